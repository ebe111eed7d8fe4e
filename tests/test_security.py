"""Security checks against the running app: no file of the machine is served, it listens on loopback
only, and hostile article text stays text in everything the app returns.

The app runs over the seed articles plus one whose headline and sentences carry <script> and an
<img onerror>. The browser test (tests/test_browser.py) checks the rendered page; here it is the
HTTP answers: the API's JSON and the HTML the chat handler produces for the page.
"""

from __future__ import annotations

import http.client
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
SEED_ARTICLE = next(SEEDS.glob("*.txt")).resolve()

HOSTILE_QUESTIONS = ["How much is the Orlova lithium deal worth?", "When will the mine near Kestrel Bay open?"]
SECRETS = ["root:x:0:", "Zelensky", "import ", "schema_version"]  # bits of passwd, an article, code, the manifest


from helpers import HOSTILE_ARTICLE, IMG, SCRIPT, import_bench_load  # noqa: E402

load = import_bench_load()


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("hostile") / "articles"
    shutil.copytree(SEEDS, corpus)
    (corpus / "hostile.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def app(hostile_corpus, tmp_path_factory):
    """`python app.py` with no --host: whatever it binds is its default."""
    tmp = tmp_path_factory.mktemp("security-app")
    with load.AppProcess(hostile_corpus, tmp / "index", tmp / "app.log") as running:
        running.index = tmp / "index"
        yield running


def get(app, path: str) -> tuple[int, str, str]:
    """GET the path exactly as written (http.client neither normalises nor re-encodes it)."""
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("content-type", ""), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


# ---------------------------------------------------------------- files of the machine


def file_requests(app) -> list[str]:
    return [
        "/gradio_api/file=/etc/passwd",
        "/gradio_api/file=../../etc/passwd",
        "/gradio_api/file=..%2f..%2f..%2fetc%2fpasswd",
        "/gradio_api/file=%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file=//etc/passwd",
        "/gradio_api/file=/tmp/gradio/../../etc/passwd",
        "/file=/etc/passwd",
        "/static/../../../etc/passwd",
        "/assets/..%2f..%2f..%2f..%2fetc/passwd",
        f"/gradio_api/file={SEED_ARTICLE}",
        f"/file={SEED_ARTICLE}",
        "/gradio_api/file=app.py",
        f"/gradio_api/file={PROJECT / 'qa' / 'engine.py'}",
        f"/gradio_api/file={app.index / 'manifest.json'}",
        "/gradio_api/file=/proc/self/environ",
    ]


def test_no_file_outside_the_app_is_served(app):
    for path in file_requests(app):
        status, _, body = get(app, path)
        assert status in (403, 404), f"{path} -> {status}"
        assert not [s for s in SECRETS if s in body], f"{path} returned file contents: {body[:200]!r}"


def test_the_page_config_does_not_reveal_where_the_articles_and_index_are(app, hostile_corpus):
    for path in ("/config", "/gradio_api/info"):
        status, _, body = get(app, path)
        assert status == 200
        assert str(hostile_corpus) not in body and str(app.index) not in body and str(PROJECT) not in body


# ---------------------------------------------------------------- where it listens


def listening_addresses(port: int) -> list[str]:
    """Local addresses of the sockets listening on `port`, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


LOOPBACK_HEX = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc writes them


def test_the_app_listens_on_loopback_only_by_default(app):
    addresses = listening_addresses(app.port)
    assert addresses and set(addresses) <= LOOPBACK_HEX, addresses


# ---------------------------------------------------------------- hostile article text


def ask_the_api(app, question: str) -> tuple[str, dict]:
    """The /answer endpoint over plain HTTP: (content type of the result, the Answer JSON)."""
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    try:
        connection.request("POST", "/gradio_api/call/answer", body=json.dumps({"data": [question]}),
                           headers={"Content-Type": "application/json"})
        event_id = json.loads(connection.getresponse().read())["event_id"]
        connection.request("GET", f"/gradio_api/call/answer/{event_id}")
        response = connection.getresponse()
        stream = response.read().decode("utf-8")
    finally:
        connection.close()
    data = next(line for line in stream.splitlines() if line.startswith("data:"))
    return response.getheader("content-type", ""), json.loads(data.removeprefix("data:"))[0]


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


@pytest.mark.parametrize("question", HOSTILE_QUESTIONS)
def test_the_api_returns_hostile_article_text_as_json_text_never_as_html(app, question):
    content_type, answer = ask_the_api(app, question)
    assert content_type.startswith("text/event-stream")  # data for a program, not a page to render
    texts = strings_in(answer)
    # The markup is returned as the characters of the article, unaltered, inside JSON strings: the
    # API neither renders nor half-escapes it. The hostile article is among the citations or sources.
    assert any(SCRIPT in t or IMG in t for t in texts)
    assert not any("&lt;" in t or "&#" in t for t in texts)


class Markup(HTMLParser):
    """The tags and attributes a browser would build from some HTML."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.text = set(), set(), []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def hostile_handlers(hostile_corpus, tmp_path_factory) -> dict:
    """The Python handlers of the real app over the hostile corpus (what the page receives)."""
    from qa.engine import Engine
    from qa.web import build_app

    engine = Engine(corpus_dir=hostile_corpus, index_dir=tmp_path_factory.mktemp("hostile-index"))
    demo = build_app(engine)
    return {dep.name: dep.fn for dep in demo.fns.values() if dep.fn is not None}


@pytest.mark.parametrize("question", HOSTILE_QUESTIONS)
def test_the_chat_html_shows_hostile_article_text_escaped(hostile_handlers, question):
    _, history, _, shown, radio, *_ = hostile_handlers["ask"](question, [], {})
    reply = Markup(history[-1]["content"])
    assert not reply.tags & {"script", "img", "iframe", "svg"}
    assert not {a for a in reply.attributes if a.startswith("on")}
    assert "onerror" in "".join(reply.text) or "<script>" in "".join(reply.text)  # shown, as text

    # The source viewer: the heading is inert Markdown, the article goes to a plain-text component.
    for number in range(len(radio["choices"])):
        heading, segments, _ = hostile_handlers["open_citation"](number, shown)
        assert "<" not in heading and ">" not in heading
        if "hostile" in str(radio["choices"][number]):
            assert "".join(text for text, _ in segments) == HOSTILE_ARTICLE
