"""The web chat driven like a person would: `python app.py` in a subprocess, headless Debian chromium.

Needs `chromium` on PATH (`apt-get install -y chromium`); skipped without it, except in CI (CI=true),
where a missing browser is a failure. Screenshots go to the test's tmp dir; their paths are printed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
STARTUP_SECONDS = 180  # model load plus, at worst, a fresh index build
ANSWER_TIMEOUT_MS = 20_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

KURSK = "How far did Ukrainian troops advance into Kursk?"
ENVOY = "Who is Trump's special envoy for Russia and Ukraine?"
FORBES = "What is the estimated value of Ukraine's mineral resources according to Forbes?"
UNANSWERABLE = "What is the capital of France?"

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_ARTICLE = f"""Orlova {IMG} lithium deal signed in Veltria

The Orlova Mining Company signed a lithium deal with the government of Veltria on Monday.
The Orlova lithium deal is worth 3.2 billion euros {SCRIPT} according to the Veltrian mining ministry.
Officials said the new mine {IMG} near Kestrel Bay will open in 2027.
"""
HOSTILE_QUESTION = "How much is the Orlova lithium deal worth?"


# ---------------------------------------------------------------- servers and browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`python app.py` on a free loopback port, its output in a log file."""

    def __init__(self, corpus: Path, index: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRADIO_SERVER_")}
        env.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(PROJECT / "app.py"), "--port", str(self.port),
                 "--corpus", str(corpus), "--index", str(index)],
                cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"app.py exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        pytest.fail(f"app.py not ready after {STARTUP_SECONDS} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


def copy_of_project_index(target: Path) -> Path:
    """A private copy of index/ (if built), so the test never writes into the project's index."""
    source = PROJECT / "index"
    if (source / "manifest.json").exists():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))
    else:
        target.mkdir(parents=True)
    return target


def start_app(corpus: Path, index: Path, log: Path):
    server = AppServer(corpus, index, log)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def seed_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seed_app")
    yield from start_app(SEEDS, copy_of_project_index(tmp / "index"), tmp / "app.log")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The seed articles plus one whose title and sentences carry script and an onerror image."""
    tmp = tmp_path_factory.mktemp("hostile_app")
    corpus = tmp / "articles"
    shutil.copytree(SEEDS, corpus)
    (corpus / "hostile.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    yield from start_app(corpus, copy_of_project_index(tmp / "index"), tmp / "app.log")


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        message = "chromium is not installed: apt-get install -y chromium"
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
    """A fresh page that records dialogs (and dismisses them) and requests leaving the machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.dialogs = []
    page.outside_requests = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: page.outside_requests.append(request.url)
            if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.set_default_timeout(ANSWER_TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


def screenshot(page, shots: Path, name: str) -> Path:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot {name}: {path}")
    return path


# ---------------------------------------------------------------- what a person does


def open_app(page, url: str) -> float:
    """Load the app; returns when the question box is usable (ms since navigation start)."""
    page.goto(url)
    page.locator("#qa-question textarea").wait_for(state="visible")
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
    page.locator("#qa-citations label", has_text=f"[{number}]").click()
    page.locator("#qa-article .token.highlighted .text").first.wait_for()


def api_answer(url: str, question: str) -> dict:
    from gradio_client import Client

    return Client(url, verbose=False).predict(question, api_name="/answer")


# ---------------------------------------------------------------- the tests


@pytest.mark.browser
def test_questions_are_answered_with_citations_and_agreement_marks(page, seed_app, shots):
    ready = open_app(page, seed_app.url)
    pressed = page.evaluate("performance.now()")
    first_answer = ask(page, KURSK)
    print(f"first answer visible {first_answer - ready:.0f} ms after the page was ready "
          f"({first_answer - pressed:.0f} ms after Enter; page ready {ready:.0f} ms after navigation; target 1000 ms)")

    reply = last_reply(page)
    assert "2.5 km" in answer_in(reply)
    assert "2.5 km" in reply.locator(".qa-quote mark").inner_text()
    assert reply.locator(".qa-citation").first.inner_text().startswith("[1] ")
    assert reply.locator(".qa-source").count() == len(list(SEEDS.glob("*.txt")))
    assert "✓ agrees" in reply.locator(".qa-agrees .qa-mark").first.inner_text()

    ask(page, ENVOY)
    assert "Kellogg" in answer_in(last_reply(page))
    ask(page, FORBES)
    reply = last_reply(page)
    assert "14.8 trillion" in answer_in(reply)
    assert reply.locator(".qa-agrees").count() >= 1

    # The whole conversation stays on screen, one reply per question.
    assert page.locator("#qa-chat [data-testid=user]").count() == 3
    assert page.locator("#qa-chat .qa-answered").count() == 3
    # The agreeing source's own sentence is one click away.
    reply.locator(".qa-agrees summary").first.click()
    assert "14.8 trillion" in reply.locator(".qa-agrees .qa-source-sentence").first.inner_text()
    page.locator("#qa-chat [data-testid=user]").last.evaluate("e => e.scrollIntoView({block: 'start'})")
    screenshot(page, shots, "answered")
    assert page.outside_requests == []


@pytest.mark.browser
def test_a_citation_opens_the_whole_article_with_the_cited_span_highlighted(page, seed_app, shots):
    expected = api_answer(seed_app.url, FORBES)["citations"][0]
    open_app(page, seed_app.url)
    ask(page, FORBES)
    open_citation(page, 1)

    tokens = page.locator("#qa-article .token.highlighted .text").all_inner_texts()
    assert "".join(tokens) == expected["text"]
    answer_span = expected["text"][expected["answer_start"] - expected["start"]:expected["answer_end"] - expected["start"]]
    assert answer_span in tokens
    heading = page.locator("#qa-viewer-heading").inner_text()
    assert expected["title"] in heading and expected["doc_id"] in heading and "2025-02-04" in heading
    article = page.locator("#qa-article .textfield").inner_text()
    assert "Zelensky" in article and len(article) > 1000  # the whole article, not the sentence
    screenshot(page, shots, "source_viewer")


@pytest.mark.browser
def test_an_unanswerable_question_says_the_articles_dont_say(page, seed_app, shots):
    open_app(page, seed_app.url)
    ask(page, UNANSWERABLE)
    reply = last_reply(page)
    assert reply.locator(".qa-abstain").inner_text() == "The articles don't say."
    assert reply.locator(".qa-related").count() >= 1
    assert reply.locator(".qa-answer").count() == 0
    screenshot(page, shots, "abstention")


@pytest.mark.browser
def test_examples_are_one_click_and_bad_input_gets_a_friendly_message(page, seed_app):
    open_app(page, seed_app.url)
    page.get_by_role("button", name=ENVOY).click()
    page.locator("#qa-chat .qa-reply").wait_for()
    assert "Kellogg" in answer_in(last_reply(page))

    ask(page, "   ")
    assert "Please type a question" in last_reply(page).inner_text()
    ask(page, "why " * 400)
    assert "too long" in last_reply(page).inner_text()
    assert "Traceback" not in page.locator("body").inner_text()


@pytest.mark.browser
def test_hostile_article_text_is_shown_literally_and_runs_nothing(page, hostile_app, shots):
    open_app(page, hostile_app.url)
    ask(page, HOSTILE_QUESTION)
    reply = last_reply(page)
    assert "3.2 billion euros" in answer_in(reply)
    assert SCRIPT in reply.locator(".qa-quote").first.inner_text()
    assert IMG in reply.locator(".qa-citation").first.inner_text()  # the title
    reply.locator(".qa-agrees summary").first.click()

    ask(page, f"Is {IMG} a {SCRIPT} question?")
    assert IMG in page.locator("#qa-chat [data-testid=user]").last.inner_text()

    page.locator("#qa-chat [data-testid=bot]").first.click()  # back to the first reply's citations
    open_citation(page, 1)
    assert SCRIPT in "".join(page.locator("#qa-article .token.highlighted .text").all_inner_texts())
    assert IMG in page.locator("#qa-article .textfield").inner_text()
    assert IMG in page.locator("#qa-viewer-heading").inner_text()
    assert IMG in page.locator("#qa-citations").inner_text()

    page.wait_for_timeout(300)  # give any injected handler the chance to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert page.locator("#qa-chat img, #qa-article img, #qa-viewer-heading img, #qa-citations img").count() == 0
    assert page.locator("#qa-chat script, #qa-article script, #qa-viewer-heading script").count() == 0
    screenshot(page, shots, "xss")


@pytest.mark.slow
def test_the_api_returns_answer_json_to_several_users_at_once(seed_app):
    questions = [KURSK, ENVOY, FORBES, UNANSWERABLE]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda q: api_answer(seed_app.url, q), questions))
    assert [a["question"] for a in answers] == questions
    assert [a["answered"] for a in answers] == [True, True, True, False]
    assert "14.8 trillion" in answers[2]["answer"]
    first = answers[0]["citations"][0]
    assert set(first) >= {"doc_id", "title", "start", "end", "text", "answer_start", "answer_end", "score"}
    assert {s["marker"] for s in answers[0]["sources"]} <= {"agrees", "conflicts", "silent"}


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
