"""The web chat driven like a person would: `python app.py` in a subprocess, headless Debian chromium.

Needs `chromium` on PATH (`apt-get install -y chromium`); skipped without it, except in CI (CI set),
where a missing browser is a failure. Every wait is on a condition of the page (a reply appearing, a
label changing), never a fixed sleep.

Screenshots go to the test's tmp dir (paths printed with `pytest -s`); with $QA_SCREENSHOT_DIR set
(e.g. docs/screenshots) one of each kind is copied there too, so a plain test run leaves git clean.
The three outcomes each have a test (a short answer, the closest passage, "the articles don't cover
this"), and the answer's place on screen is checked at a desktop (1280 px) and a phone (390 px) width.
The first test prints the time from page load to the first answer on screen ("FIRST ANSWER",
target 1000 ms). It prints, not asserts: speed is a benchmark figure on these shared machines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
DOCS_SCREENSHOTS = os.environ.get("QA_SCREENSHOT_DIR", "")
ANSWER_TIMEOUT_MS = 20_000
# The target; a slower machine can widen it (the figure is printed either way).
FIRST_ANSWER_TARGET_MS = 1000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

KURSK = "How far did Ukrainian forces advance into Russia's Kursk region?"
ENVOY = "Who is Trump's special envoy for Russia and Ukraine?"  # one of the page's examples
TALKS = "When did Zelensky discuss American investments with Trump?"  # answered well above the span threshold
FORBES = "What is the estimated value of Ukraine's mineral resources according to Forbes?"
# On topic, but no span the reader is sure of: the engine shows the passage that likely holds it.
PASSAGE = "Why does Zelensky want security guarantees?"  # on topic; no span the reader stands behind
UNANSWERABLE = "What is the capital of France?"
NOT_COVERED = "The articles don't cover this."
NO_SHORT_ANSWER = "No short answer I can stand behind. This passage looks closest:"
DOC_ID = re.compile(r"\b\d{3}_[0-9a-f]{16}\b")  # the seeds' file names, internal ids not meant for reading
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

from helpers import HOSTILE_ARTICLE, IMG, SCRIPT, import_bench_load  # noqa: E402  (shared with other tests)

load = import_bench_load()
HOSTILE_QUESTION = "How much is the Orlova lithium deal worth?"

# A source that contradicts the seeds on how far the troops advanced (the seeds say 2.5 km).
CONFLICTING_ARTICLE = """2025-02-07 Ukrainian troops push deeper into Kursk, officials say

Ukrainian officials said on Friday that Ukrainian troops advanced 8 km (5 miles) into Russia's Kursk region during the new offensive.
Russian officials denied the claim and said the attack had been repelled.
"""

# Any attempt to set window.__pwned (by an injected script or handler) is recorded here.
PWNED_TRAP = """
window.__pwnedAttempts = [];
Object.defineProperty(window, '__pwned', {
  configurable: false,
  get() { return undefined; },
  set(value) { window.__pwnedAttempts.push(String(value)); },
});
"""


# ---------------------------------------------------------------- servers and browser


def copy_of_project_index(target: Path, corpus: Path = SEEDS) -> Path:
    """A private copy of index/ (if built), so the test never writes into the project's index. It
    stands in for an index of `corpus` (the seeds plus an article): an index refuses other corpora."""
    source = PROJECT / "index"
    if (source / "manifest.json").exists():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        manifest["corpus"] = str(corpus.resolve())
        (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    else:
        target.mkdir(parents=True)
    return target


def start_app(corpus: Path, index: Path, log: Path):
    """`python app.py` on a free loopback port, served and warmed up (bench/load.py's driver)."""
    with load.AppProcess(corpus, index, log) as app:
        yield app


def seeds_plus(tmp: Path, name: str, text: str) -> Path:
    corpus = tmp / "articles"
    shutil.copytree(SEEDS, corpus)
    (corpus / name).write_text(text, encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def seed_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seed_app")
    yield from start_app(SEEDS, copy_of_project_index(tmp / "index"), tmp / "app.log")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The seed articles plus one whose title and sentences carry script and an onerror image."""
    tmp = tmp_path_factory.mktemp("hostile_app")
    corpus = seeds_plus(tmp, "hostile.txt", HOSTILE_ARTICLE)
    yield from start_app(corpus, copy_of_project_index(tmp / "index", corpus), tmp / "app.log")


@pytest.fixture(scope="module")
def conflict_app(tmp_path_factory):
    """The seed articles plus one that states a different distance for the Kursk advance."""
    tmp = tmp_path_factory.mktemp("conflict_app")
    corpus = seeds_plus(tmp, "kursk_8km.txt", CONFLICTING_ARTICLE)
    yield from start_app(corpus, copy_of_project_index(tmp / "index", corpus), tmp / "app.log")


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        message = "chromium is not installed: `sudo apt-get install -y chromium` (Debian) to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright  # a dev dependency: missing means a broken install

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records dialogs (dismissing them), attempts to set window.__pwned, and
    requests leaving the machine."""
    from playwright.sync_api import expect

    expect.set_options(timeout=ANSWER_TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(PWNED_TRAP)
    page = context.new_page()
    page.dialogs = []
    page.requests = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: page.requests.append(request.url))
    page.set_default_timeout(ANSWER_TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


def outside_requests(page) -> list[str]:
    return [url for url in page.requests if not url.startswith(("http://127.0.0.1", "data:", "blob:"))]


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


def screenshot(page, shots: Path, name: str, full_page: bool = True) -> Path:
    """A screenshot (the full page, or what the window shows) in the tmp dir, copied to
    docs/screenshots/ for the closing note."""
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"screenshot {name}: {path}")
    if DOCS_SCREENSHOTS:
        Path(DOCS_SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(DOCS_SCREENSHOTS) / path.name)
    return path


# ---------------------------------------------------------------- what a person does


PANELS = ["qa-chat", "qa-question", "qa-citations", "qa-sources", "qa-viewer-heading", "qa-legend", "qa-article"]

# Gradio draws a component's module lazily: until it is loaded, a loading placeholder stands where the
# component will be, outside the element that will carry its id. The app has loaded when every panel is
# on the page and no such placeholder is left.
APP_LOADED = """ids => ids.every(id => document.getElementById(id))
  && ![...document.querySelectorAll('.wrap.default:not(.hide)')]
       .some(e => e.getClientRects().length && !e.closest('[id^=qa-]'))"""


def open_app(page, url: str) -> float:
    """Load the app; returns when the question box is usable and every panel has loaded (ms since
    navigation start)."""
    page.goto(url)
    page.locator("#qa-question textarea").wait_for(state="visible")
    page.wait_for_function(APP_LOADED, arg=PANELS, polling="raf")
    return page.evaluate("performance.now()")


def ask(page, question: str) -> float:
    """Type a question, press Enter, wait for its reply; returns ms since navigation start."""
    replies = page.locator("#qa-chat .qa-reply").count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    shown = page.wait_for_function(
        "n => document.querySelectorAll('#qa-chat .qa-reply').length > n ? performance.now() : false",
        arg=replies, polling="raf", timeout=ANSWER_TIMEOUT_MS,
    )
    return shown.json_value()


def last_reply(page):
    return page.locator("#qa-chat .qa-reply").last


def answer_in(reply) -> str:
    """The short answer of a reply, failing with what the reply says instead when there is none."""
    answer = reply.locator(".qa-answer")
    assert answer.count() == 1, f"expected an answer; the reply says: {reply.inner_text()!r}"
    return answer.inner_text()


def open_citation(page, number: int = 1) -> None:
    """Click citation [number] in the picker; returns once the viewer shows an article with a highlight."""
    page.locator("#qa-citations label", has_text=f"[{number}]").click()
    page.locator("#qa-article .token.highlighted .text").first.wait_for()


def highlighted_text(page) -> str:
    return "".join(page.locator("#qa-article .token.highlighted .text").all_inner_texts())


# Scroll `e` into view until it stays there for a few frames, so a screenshot is not taken mid-scroll.
SCROLL_UNTIL_STILL = """(e, block) => new Promise(done => {
  let still = 0, last = null, frames = 0;
  const step = () => {
    const top = e.getBoundingClientRect().top;
    if (last !== null && Math.abs(top - last) < 1) still += 1; else still = 0;
    if (still >= 5 || ++frames > 300) return done();
    e.scrollIntoView({block});
    last = e.getBoundingClientRect().top;
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
})"""


def scroll_into_view(locator, block: str = "start") -> None:
    locator.evaluate(SCROLL_UNTIL_STILL, block)


def show_last_exchange(page) -> None:
    """Scroll the chat so the last question and its reply are in view (for screenshots)."""
    scroll_into_view(page.locator("#qa-chat [data-testid=user]").last)


# Why `e` is not readable where it is ("" when it is): outside the window, scrolled out of a box around
# it, or covered by something drawn over its first line (the label that once sat on the top message).
WHY_NOT_ON_SCREEN = """e => {
  const r = e.getBoundingClientRect();
  if (r.top < -1 || r.bottom > innerHeight + 1) return `outside the window: top ${r.top}, bottom ${r.bottom}, height ${innerHeight}`;
  for (let box = e.parentElement; box; box = box.parentElement) {
    if (!/auto|scroll/.test(getComputedStyle(box).overflowY)) continue;
    const b = box.getBoundingClientRect();
    if (r.top < b.top - 1 || r.bottom > b.bottom + 1) return `scrolled out of ${box.className}: top ${r.top} not in ${b.top}..${b.bottom}`;
  }
  const hit = document.elementFromPoint(r.left + 4, r.top + Math.min(8, r.height / 2));
  return hit && e.contains(hit) ? "" : `covered by ${hit ? hit.outerHTML.slice(0, 120) : "nothing drawn"}`;
}"""


def wait_until_on_screen(page, locator) -> None:
    """Returns once `locator` is readable on screen (the chat scrolls a new reply into view on the next
    frames); fails saying where it is instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    handle = locator.element_handle()
    try:
        page.wait_for_function(f"e => ({WHY_NOT_ON_SCREEN})(e) === ''", arg=handle, polling="raf", timeout=5000)
    except PlaywrightTimeout:
        pytest.fail(f"not on screen: {handle.evaluate(WHY_NOT_ON_SCREEN)}")


# Every frame from now on: the question box's text, the busy indicators drawn (by the region they are
# in), and whether a reply is on screen yet. Stopped by setting window.__stopFrames.
RECORD_FRAMES = """() => { window.__frames = []; window.__stopFrames = false;
  const step = () => {
    const busy = [...document.querySelectorAll('.wrap.default:not(.hide), .message.pending, .eta-bar')]
      .filter(e => e.getClientRects().length).map(e => (e.closest('[id^=qa-]') || {id: `page (${e.className})`}).id);
    window.__frames.push({box: document.querySelector('#qa-question textarea').value, busy,
                          replied: !!document.querySelector('#qa-chat .qa-reply')});
    if (!window.__stopFrames) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}"""


def hold_a_second(route) -> None:
    """Hold a request to the app for a second, so the page can be seen while a question runs (the
    page keeps drawing while the test waits here)."""
    import time

    time.sleep(1)  # the condition under test is "while it runs": this is how long it runs
    route.continue_()


def api_answer(url: str, question: str) -> dict:
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False).predict(question, api_name="/answer")


# ---------------------------------------------------------------- the tests


@pytest.mark.browser
def test_questions_are_answered_with_citations_and_agreement_marks(page, seed_app, shots):
    from playwright.sync_api import expect

    ready = open_app(page, seed_app.url)
    first_answer = ask(page, KURSK)
    waited = first_answer - ready
    print(f"\nFIRST ANSWER: {waited:.0f} ms from page load (question box ready) to the first answer on screen "
          f"[target {FIRST_ANSWER_TARGET_MS} ms]; page load itself took {ready:.0f} ms from navigation")

    reply = last_reply(page)
    assert "2.5 km" in answer_in(reply)
    assert "2.5 km" in reply.locator(".qa-quote mark").inner_text()  # the answer, marked in its sentence
    assert "high confidence" in reply.locator(".qa-confidence").inner_text()
    first = reply.locator(".qa-citation").first
    assert re.match(r"\[1\] \S.+$", first.inner_text())
    # Titles read without the internal file names; the id is there on hover.
    assert not DOC_ID.search(reply.inner_text())
    assert DOC_ID.fullmatch(first.locator(".qa-title").get_attribute("title"))
    assert not DOC_ID.search(page.locator("#qa-citations").inner_text() + page.locator("#qa-sources").inner_text())
    expect(reply.locator(".qa-marks-meaning")).to_have_text(re.compile("silent: the article says nothing on this"))
    assert reply.locator(".qa-source").count() == len(list(SEEDS.glob("*.txt")))  # one mark per source
    expect(reply.locator(".qa-agrees .qa-mark").first).to_have_text("✓ agrees")
    assert reply.locator(".qa-silent .qa-mark").count() >= 1
    show_last_exchange(page)
    screenshot(page, shots, "answered")

    ask(page, TALKS)
    assert "September 2024" in answer_in(last_reply(page))
    ask(page, FORBES)
    reply = last_reply(page)
    assert "14.8 trillion" in answer_in(reply)
    assert reply.locator(".qa-citation").count() >= 1
    assert reply.locator(".qa-agrees").count() >= 1

    # The whole conversation stays on screen, one reply per question.
    assert page.locator("#qa-chat [data-testid=user]").count() == 3
    assert page.locator("#qa-chat .qa-answered").count() == 3
    # The agreeing source's own sentence is one click away.
    reply.locator(".qa-agrees summary").first.click()
    expect(reply.locator(".qa-agrees .qa-source-sentence").first).to_be_visible()
    expect(reply.locator(".qa-agrees .qa-source-sentence").first).to_contain_text("14.8 trillion")
    assert outside_requests(page) == []


@pytest.mark.browser
def test_a_citation_opens_the_whole_article_with_the_cited_span_highlighted(page, seed_app, shots):
    from playwright.sync_api import expect

    expected = api_answer(seed_app.url, FORBES)["citations"][0]
    article_text = (SEEDS / f"{expected['doc_id']}.txt").read_text(encoding="utf-8")
    assert article_text[expected["start"]:expected["end"]] == expected["text"]

    open_app(page, seed_app.url)
    ask(page, FORBES)
    expect(page.locator("#qa-citations")).to_contain_text(FORBES)  # the picker lists this reply
    open_citation(page, 1)

    # Exactly the cited characters are highlighted, the answer span among them as its own piece.
    tokens = page.locator("#qa-article .token.highlighted .text").all_inner_texts()
    assert "".join(tokens) == expected["text"]
    answer_span = article_text[expected["answer_start"]:expected["answer_end"]]
    assert answer_span in tokens
    heading = page.locator("#qa-viewer-heading").inner_text()
    assert expected["title"] in heading and expected["doc_id"] in heading and "2025-02-04" in heading
    article = page.locator("#qa-article .textfield").inner_text()
    assert "Zelensky" in article and len(article) > 1000  # the whole article, not the sentence
    # The colour key sits above the article, not over its text. Both are read in one frame: the page
    # scrolls to the highlight meanwhile, and two reads apart can straddle the scroll.
    key_bottom, text_top = page.evaluate("""() => [
        document.querySelector('#qa-legend').getBoundingClientRect().bottom,
        document.querySelector('#qa-article .textfield').getBoundingClientRect().top]""")
    assert key_bottom <= text_top
    expect(page.locator("#qa-legend")).to_contain_text("the answer")
    screenshot(page, shots, "source_viewer")


@pytest.mark.browser
def test_an_on_topic_question_without_a_sure_span_shows_the_closest_passage_with_its_guess_underlined(
        page, seed_app, shots):
    open_app(page, seed_app.url)
    ask(page, PASSAGE)
    reply = last_reply(page)
    assert reply.locator(".qa-abstain").inner_text() == NO_SHORT_ANSWER
    guess = reply.locator(".qa-closest .qa-tentative")
    assert guess.count() == 1, f"no tentative span; the reply says: {reply.inner_text()!r}"
    assert guess.evaluate("e => getComputedStyle(e).textDecorationStyle") == "dotted"
    # Never dressed as an answer: no answer line, no yellow highlight, here or in the article.
    assert reply.locator(".qa-answer").count() == 0 and reply.locator("mark").count() == 0
    assert reply.locator(".qa-related").count() >= 1  # the other related passages
    show_last_exchange(page)
    screenshot(page, shots, "passage")

    open_citation(page, 1)
    pieces = page.locator("#qa-article .token.highlighted .text").all_inner_texts()
    assert len(pieces) == 1 and guess.inner_text() in pieces[0]  # the sentence, the guess not set apart


@pytest.mark.browser
def test_a_question_about_something_else_says_the_articles_dont_cover_it(page, seed_app, shots):
    open_app(page, seed_app.url)
    ask(page, UNANSWERABLE)
    reply = last_reply(page)
    assert reply.locator(".qa-abstain").inner_text() == NOT_COVERED
    assert reply.locator(".qa-related").count() >= 1  # the closest passages, as related only
    assert reply.locator(".qa-answer").count() == 0
    show_last_exchange(page)
    screenshot(page, shots, "not_covered")


@pytest.mark.browser
@pytest.mark.parametrize("screen", WIDTHS)
def test_the_latest_reply_opens_at_its_answer_on_every_width(page, seed_app, shots, screen):
    page.set_viewport_size(WIDTHS[screen])
    open_app(page, seed_app.url)
    ask(page, ENVOY)
    ask(page, KURSK)  # a long reply (citations, a line per source) under an earlier one
    reply = last_reply(page)
    wait_until_on_screen(page, reply.locator(".qa-answer"))  # not scrolled past, nothing over it
    wait_until_on_screen(page, page.locator("#qa-chat [data-testid=user]").last)  # its question just above
    assert "2.5 km" in answer_in(reply)
    screenshot(page, shots, f"answer_{WIDTHS[screen]['width']}px", full_page=False)


@pytest.mark.browser
def test_while_a_question_runs_it_stays_in_its_box_and_only_the_chat_shows_it_is_busy(page, seed_app):
    open_app(page, seed_app.url)
    page.route("**/queue/join*", hold_a_second)
    page.evaluate(RECORD_FRAMES)
    ask(page, FORBES)
    frames = page.evaluate("window.__stopFrames = true, window.__frames")
    running = [f for f in frames if not f["replied"]]
    asked = next(i for i, f in enumerate(running) if f["box"] == FORBES)  # the Enter key's frame
    assert len(running) - asked > 10  # the second it was held, frame by frame
    emptied = [i for i, f in enumerate(running) if i > asked and f["box"] != FORBES]
    assert not emptied or emptied[0] > len(running) - 5, "the question left its box while it ran"
    busy = [f["busy"] for f in running[asked:] if f["busy"]]
    assert len(busy) > 10, "nothing on the page showed it was busy"
    assert all(regions == ["qa-chat"] for regions in busy), f"busy indicators drawn: {busy[:3]}"


@pytest.mark.browser
def test_a_source_stating_a_different_value_is_marked_as_conflicting(page, conflict_app, shots):
    from playwright.sync_api import expect

    open_app(page, conflict_app.url)
    ask(page, KURSK)
    reply = last_reply(page)
    answer = answer_in(reply)
    conflicting = reply.locator(".qa-conflicts")
    assert conflicting.count() >= 1, f"no conflicting source marked; the reply says: {reply.inner_text()!r}"
    expect(conflicting.first.locator(".qa-mark")).to_have_text("✗ conflicts")
    assert reply.locator(".qa-agrees").count() >= 1
    expect(reply.locator(".qa-disagree")).to_contain_text("Sources disagree")
    # Both values are on screen: the answer's and the one the conflicting source states.
    text = reply.inner_text()
    assert "2.5 km" in text and "8 km" in text
    conflict_line = conflicting.first.locator("summary").inner_text()
    assert answer not in conflict_line

    # The conflicting sentence is a numbered citation that opens in its article.
    conflicting.first.locator("summary").click()
    expect(conflicting.first.locator(".qa-source-sentence")).to_be_visible()
    sentence = conflicting.first.locator(".qa-source-sentence").inner_text()
    citations = page.locator("#qa-citations label")
    expect(citations).to_have_count(reply.locator(".qa-citation").count())
    title = conflicting.first.locator("summary .qa-title").inner_text()
    number = next(i for i, label in enumerate(citations.all_inner_texts(), 1) if label.endswith(title))
    open_citation(page, number)
    assert highlighted_text(page) == sentence
    scroll_into_view(conflicting.first, "end")
    screenshot(page, shots, "conflict")


@pytest.mark.browser
def test_another_folder_of_articles_gets_no_example_questions_about_the_seeds(page, conflict_app):
    from playwright.sync_api import expect

    open_app(page, conflict_app.url)
    expect(page.locator("#qa-question textarea")).to_have_attribute("placeholder", re.compile("your articles"))
    assert page.get_by_role("button", name=KURSK).count() == 0
    assert page.get_by_text("Examples", exact=True).count() == 0
    ask(page, "   ")
    assert last_reply(page).inner_text() == "Please type a question in words."


@pytest.mark.browser
def test_examples_are_one_click_and_bad_input_gets_a_friendly_message(page, seed_app):
    open_app(page, seed_app.url)
    page.get_by_role("button", name=ENVOY).click()
    page.locator("#qa-chat .qa-reply").wait_for()
    assert page.locator("#qa-chat [data-testid=user]").inner_text() == ENVOY
    assert "Kellogg" in last_reply(page).inner_text()  # answered, or offered in the passage that holds it

    ask(page, "   ")
    assert "Please type a question" in last_reply(page).inner_text()
    ask(page, "why " * 400)
    assert "too long" in last_reply(page).inner_text()
    assert "Traceback" not in page.locator("body").inner_text()


@pytest.mark.browser
def test_hostile_article_text_is_shown_literally_and_runs_nothing(page, hostile_app, shots):
    from playwright.sync_api import expect

    open_app(page, hostile_app.url)
    ask(page, HOSTILE_QUESTION)
    reply = last_reply(page)
    assert "3.2 billion euros" in answer_in(reply)
    assert SCRIPT in reply.locator(".qa-quote").first.inner_text()
    assert IMG in reply.locator(".qa-citation").first.inner_text()  # the title
    reply.locator(".qa-agrees summary").first.click()
    expect(reply.locator(".qa-agrees .qa-source-sentence").first).to_contain_text(SCRIPT)

    hostile_question = f"Is {IMG} a {SCRIPT} question?"
    ask(page, hostile_question)
    assert page.locator("#qa-chat [data-testid=user]").last.inner_text() == hostile_question
    expect(page.locator("#qa-citations")).to_contain_text(hostile_question)  # the label, as text

    page.locator("#qa-chat [data-testid=bot]").first.click()  # back to the first reply's citations
    expect(page.locator("#qa-citations")).to_contain_text(HOSTILE_QUESTION)
    open_citation(page, 1)
    assert SCRIPT in highlighted_text(page)
    assert IMG in page.locator("#qa-article .textfield").inner_text()
    assert IMG in page.locator("#qa-viewer-heading").inner_text()
    assert IMG in page.locator("#qa-citations").inner_text()

    # Nothing hostile became an element, so no handler can still be pending; none ran before.
    regions = "#qa-chat, #qa-article, #qa-viewer-heading, #qa-citations, #qa-sources"
    assert page.locator(f":is({regions}) :is(img, script, iframe, object, embed)").count() == 0
    assert page.evaluate("window.__pwnedAttempts") == []
    assert page.dialogs == []
    assert not [url for url in page.requests if url.endswith("/x")]  # the onerror image never loaded
    show_last_exchange(page)
    screenshot(page, shots, "xss")


@pytest.mark.slow
def test_the_api_returns_answer_json_to_several_users_at_once(seed_app):
    questions = [KURSK, TALKS, FORBES, UNANSWERABLE]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda q: api_answer(seed_app.url, q), questions))
    assert [a["question"] for a in answers] == questions
    assert [a["answered"] for a in answers] == [True, True, True, False]
    assert "2.5 km" in answers[0]["answer"]
    assert "September 2024" in answers[1]["answer"]
    assert "14.8 trillion" in answers[2]["answer"]
    assert answers[3]["answer"] is None
    first = answers[0]["citations"][0]
    assert set(first) >= {"doc_id", "title", "start", "end", "text", "answer_start", "answer_end", "score"}
    assert {s["marker"] for s in answers[0]["sources"]} <= {"agrees", "conflicts", "silent"}
    assert len(answers[0]["sources"]) == len(list(SEEDS.glob("*.txt")))


@pytest.mark.slow
def test_the_api_refuses_an_empty_question_with_a_message(seed_app):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Please send a question in words"):
        api_answer(seed_app.url, "   ")


@pytest.mark.slow
def test_the_api_describes_the_answer_it_returns(seed_app):
    from gradio_client import Client

    client = Client(seed_app.url, verbose=False, analytics_enabled=False)
    usage = client.view_api(print_info=False, return_format="str")
    returned = usage[usage.index("Returns:"):]
    for field in ("status: Literal['answer', 'passage', 'none']", "citations: list[", "answer_start", "marker",
                  "relevance", "values"):
        assert field in returned, f"{field!r} not in {returned!r}"
    answer = client.predict(PASSAGE, api_name="/answer")
    assert (answer["status"], answer["answer"], answer["answered"]) == ("passage", None, False)


@pytest.mark.slow
def test_no_file_of_the_machine_is_served(seed_app):
    article = next(SEEDS.glob("*.txt")).resolve()
    for path in (f"/gradio_api/file={article}", "/gradio_api/file=/etc/passwd", f"/file={article}"):
        try:
            with urllib.request.urlopen(seed_app.url + path, timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status in (403, 404), path
    with urllib.request.urlopen(seed_app.url + "/config", timeout=5) as response:
        assert str(PROJECT) not in response.read().decode()
