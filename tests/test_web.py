"""The web front end's formatting, without a browser or a model: hand-made `Answer`s in, text out."""

from __future__ import annotations

import datetime as dt
import html
import importlib.util
import re
import socket
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa.engine import SHIPPED_CORPUS
from qa.models import Answer, Citation, Document, SourceAgreement, StatedValue
from qa.render import (
    MARKS_MEANING,
    NO_SHORT_ANSWER,
    NOT_COVERED,
    article_segments,
    as_html,
    citation_for_document,
    citation_label,
    friendly_problem,
    literal,
    picker_label,
    render_question,
    render_reply,
    source_choices,
    viewable_citations,
    viewer_heading,
)
from qa.web import EXAMPLES, build_app, examples_for

ARTICLE = (
    "Kyiv signs a mining deal. "
    "Ukrainian forces advanced 2.5 km (1.5 miles) into Kursk. "
    "Talks continue."
)
SENTENCE = "Ukrainian forces advanced 2.5 km (1.5 miles) into Kursk."
S_START = ARTICLE.index(SENTENCE)
A_START = ARTICLE.index("2.5 km (1.5 miles)")
A_END = A_START + len("2.5 km (1.5 miles)")

HOSTILE = 'It cost <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=1"> *much* [x](javascript:alert(1)) $$x$$'


def cite(doc_id="doc_a", title="Mining deal", text=SENTENCE, start=S_START, answer=(A_START, A_END)):
    return Citation(doc_id=doc_id, title=title, start=start, end=start + len(text), text=text,
                    answer_start=answer[0] if answer else None, answer_end=answer[1] if answer else None)


def answered(**overrides) -> Answer:
    top = cite()
    fields = dict(
        question="How far did Ukrainian troops advance into Kursk?",
        status="answer",
        answer="2.5 km (1.5 miles)",
        confidence=0.8,
        citations=[top],
        sources=[
            SourceAgreement(doc_id="doc_b", title="Other article", marker="silent"),
            SourceAgreement(doc_id="doc_a", title="Mining deal", marker="agrees", citation=top,
                            value="2.5 km (1.5 miles)"),
        ],
    )
    return Answer(**{**fields, **overrides})


def visible_text(markup: str) -> str:
    """Roughly what a browser shows: tags dropped, character references decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


# ---------------------------------------------------------------- literal text


class Markup(HTMLParser):
    """The tags and attribute names a browser would build from `source`."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.feed(source)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_text_for_the_chat_is_escaped_html():
    assert as_html(HOSTILE) == html.escape(HOSTILE)
    assert visible_text(as_html(HOSTILE)) == HOSTILE


def test_literal_text_for_markdown_shows_the_same_characters_but_forms_no_markup():
    shown = literal(HOSTILE)
    assert visible_text(shown) == HOSTILE
    for markup_char in "<>\"'&*[]()`$_#!|\\":
        assert markup_char not in shown.replace("&#", "").replace(";", "")


def test_literal_text_collapses_whitespace_so_no_line_can_start_a_code_block():
    assert literal("a\n\n    indented   b") == "a indented b"


# ---------------------------------------------------------------- a reply in the chat


def test_an_answered_reply_leads_with_the_answer_then_the_sentence_with_the_answer_marked():
    reply = render_reply(answered())
    assert visible_text(reply).startswith("2.5 km (1.5 miles)")
    mark = re.search(r'<mark class="qa-span">(.*?)</mark>', reply).group(1)
    assert html.unescape(mark) == "2.5 km (1.5 miles)"
    assert "Ukrainian forces advanced 2.5 km (1.5 miles) into Kursk." in visible_text(reply)


def test_an_answered_reply_numbers_its_citations_by_title_with_the_document_id_on_hover():
    second = cite(doc_id="doc_c", title="Third article", start=0, text="Kyiv signs a mining deal.", answer=None)
    reply = render_reply(answered(citations=[cite(), second]))
    text = visible_text(reply)
    assert "[1] Mining deal" in text and "[2] Third article" in text
    assert "doc_a" not in text and "doc_c" not in text  # internal file names are not for reading
    assert '<span class="qa-title" title="doc_c">Third article</span>' in reply


def test_the_citation_picker_lists_numbers_and_titles_only():
    assert citation_label(2, cite(doc_id="001_ba940ec7e439679a", title="Mining deal")) == "[2] Mining deal"


def test_the_agreement_strip_marks_every_source_agreeing_first_with_its_sentence_on_expansion():
    reply = render_reply(answered())
    marks = re.findall(r'class="qa-source qa-(\w+)"', reply)
    assert marks == ["agrees", "silent"]
    agreeing = re.search(r'<details class="qa-source qa-agrees">(.*?)</details>', reply).group(1)
    assert "✓ agrees" in agreeing and "“2.5 km (1.5 miles)”" in visible_text(agreeing)
    assert html.unescape(re.search(r'title="([^"]*)"', agreeing).group(1)) == SENTENCE
    assert SENTENCE in visible_text(agreeing)
    assert "– silent" in reply


def test_the_marks_are_explained_once_in_one_line_under_the_strip():
    reply = render_reply(answered())
    assert visible_text(reply).count(MARKS_MEANING) == 1
    assert "silent: the article says nothing on this" in MARKS_MEANING
    strip_end = reply.index('<div class="qa-hint qa-marks-meaning">')
    assert strip_end > reply.rindex('class="qa-source ')  # right after the last source line


def test_a_conflicting_source_is_marked_and_its_sentence_becomes_a_numbered_citation():
    other = cite(doc_id="doc_b", title="Other article", text="They advanced 3 km.", start=0, answer=(14, 18))
    conflict = SourceAgreement(doc_id="doc_b", title="Other article", marker="conflicts", citation=other, value="3 km")
    answer = answered(sources=[answered().sources[1], conflict])
    reply = render_reply(answer)
    assert "✗ conflicts" in reply and "“3 km”" in visible_text(reply)
    assert [c.doc_id for c in viewable_citations(answer)] == ["doc_a", "doc_b"]
    assert "[2] Other article" in visible_text(reply)


def test_a_reply_with_a_conflicting_source_says_the_sources_disagree_right_under_the_answer():
    other = cite(doc_id="doc_b", title="Other article", text="They advanced 8 km.", start=0, answer=(14, 18))
    conflict = SourceAgreement(doc_id="doc_b", title="Other article", marker="conflicts", citation=other, value="8 km")
    text = visible_text(render_reply(answered(sources=[answered().sources[1], conflict])))
    assert text.startswith("2.5 km (1.5 miles)⚠ Sources disagree: 1 source states a different value")
    assert "Sources disagree" not in visible_text(render_reply(answered()))


def three_against_one() -> Answer:
    """Three sources say 2.5 km, one says 8 km: the engine's `values`, most sources first."""
    titles = {"doc_a": "Mining deal", "doc_b": "Kursk offensive", "doc_c": "Zelensky's plan", "doc_d": "Deeper into Kursk"}
    marker = {"doc_a": "agrees", "doc_b": "agrees", "doc_c": "agrees", "doc_d": "conflicts"}
    return answered(
        sources=[SourceAgreement(doc_id=d, title=t, marker=marker[d]) for d, t in titles.items()],
        values=[StatedValue(value="2.5 km (1.5 miles)", doc_ids=["doc_a", "doc_b", "doc_c"], confidence=0.9),
                StatedValue(value="8 km (5 miles)", doc_ids=["doc_d"], confidence=0.6)],
    )


def test_the_disagreement_note_names_each_value_with_the_sources_stating_it():
    reply = render_reply(three_against_one())
    note = visible_text(re.search(r'<div class="qa-disagree">(.*?)</div>', reply).group(1))
    assert note == ("⚠ Sources disagree: 2.5 km (1.5 miles) — 3 sources (Mining deal, Kursk offensive, "
                    "Zelensky's plan); 8 km (5 miles) — 1 source (Deeper into Kursk)")
    assert '<span class="qa-title" title="doc_d">Deeper into Kursk</span>' in reply  # the id on hover


def test_a_value_stated_by_many_sources_names_three_and_counts_the_rest():
    many = [f"doc_{n}" for n in range(5)]
    answer = answered(sources=[SourceAgreement(doc_id=d, title=f"Title {d}", marker="agrees") for d in many],
                      values=[StatedValue(value="2.5 km", doc_ids=many), StatedValue(value="8 km", doc_ids=["doc_x"])])
    note = visible_text(render_reply(answer))
    assert "2.5 km — 5 sources (Title doc_0, Title doc_1, Title doc_2, 2 more); 8 km — 1 source (doc_x)" in note


def test_one_stated_value_is_no_disagreement():
    answer = answered(values=[StatedValue(value="2.5 km (1.5 miles)", doc_ids=["doc_a"])])
    assert "Sources disagree" not in render_reply(answer)


def test_a_passage_whose_sources_speak_shows_the_strip_and_their_split():
    split = three_against_one()
    passage = split.model_copy(update={"status": "passage", "answer": None, "confidence": 0.3})
    text = visible_text(render_reply(passage))
    assert text.startswith(NO_SHORT_ANSWER)
    assert "What each source says" in text and "✗ conflicts" in text and MARKS_MEANING in text
    assert "⚠ Sources disagree: 2.5 km (1.5 miles) — 3 sources" in text
    all_silent = passage.model_copy(update={"sources": [SourceAgreement(doc_id="doc_a", title="Mining deal",
                                                                        marker="silent")], "values": []})
    assert "What each source says" not in visible_text(render_reply(all_silent))


def test_a_passage_says_which_value_its_agreeing_sources_state():
    """The guess in the passage may be another sentence's; "✓ agrees" is with what the sources state."""
    titles = {"doc_a": "Line opens", "doc_b": "New tram line"}
    passage = answered(
        sources=[SourceAgreement(doc_id=d, title=t, marker="agrees") for d, t in titles.items()],
        values=[StatedValue(value="Monday", doc_ids=list(titles), confidence=0.6)],
    ).model_copy(update={"status": "passage", "answer": None, "confidence": 0.3})
    text = visible_text(render_reply(passage))
    assert "What each source says (2 sources state “Monday”)" in text
    assert "Sources disagree" not in text


def test_the_citation_picker_names_the_question_whose_citations_it_lists():
    assert picker_label(answered()) == "Citations of the selected answer: “How far did Ukrainian troops advance into Kursk?”"
    long = picker_label(answered(question="why " * 100))
    assert len(long) < 200 and long.endswith("…”")


def test_a_question_the_articles_do_not_cover_says_so_and_lists_passages_as_related_only():
    related = cite(answer=None)
    not_covered = Answer(question="What is the capital of France?", status="none", confidence=0.2, relevance=0.01,
                         citations=[related],
                         sources=[SourceAgreement(doc_id="doc_a", title="Mining deal", marker="silent")])
    text = visible_text(render_reply(not_covered))
    assert text.startswith(NOT_COVERED)
    assert "Closest passages, for reference only" in text
    assert f"[1] “{SENTENCE}” — Mining deal" in text


def test_a_passage_outcome_quotes_the_closest_passage_with_its_guess_underlined_not_highlighted():
    closest = cite()
    other = cite(doc_id="doc_b", title="Other article", answer=None)
    passage = Answer(question="How far into Kursk?", status="passage", confidence=0.3, relevance=0.9,
                     citations=[closest, other],
                     sources=[SourceAgreement(doc_id="doc_a", title="Mining deal", marker="silent")])
    reply = render_reply(passage)
    text = visible_text(reply)
    assert text.startswith(NO_SHORT_ANSWER)
    assert SENTENCE in text and "Other related passages" in text
    assert '<span class="qa-tentative" title="possible answer, not confirmed">2.5 km (1.5 miles)</span>' in reply
    assert "<mark" not in reply  # the yellow highlight is for answers the engine stands behind


def test_a_passage_outcome_without_a_guess_worth_showing_quotes_the_passage_unmarked():
    passage = Answer(question="Which news agency interviewed him?", status="passage", confidence=0.08, relevance=0.9,
                     citations=[cite(answer=None)],
                     sources=[SourceAgreement(doc_id="doc_a", title="Mining deal", marker="silent")])
    reply = render_reply(passage)
    assert visible_text(reply).startswith(NO_SHORT_ANSWER) and SENTENCE in visible_text(reply)
    assert "qa-tentative" not in reply and "<mark" not in reply  # neither a guess nor an answer is marked


def test_a_short_answer_says_its_confidence_in_words_with_the_number_on_hover():
    reply = render_reply(answered(confidence=0.993))
    assert '<span title="confidence 0.99">very high confidence</span>' in reply


def test_hostile_article_and_question_text_stay_text_in_every_part_of_a_reply():
    evil = cite(doc_id=HOSTILE, title=HOSTILE, text=HOSTILE, start=0, answer=(0, 7))
    answer = Answer(question=HOSTILE, status="answer", answer="It cost", confidence=0.5, citations=[evil],
                    sources=[SourceAgreement(doc_id=HOSTILE, title=HOSTILE, marker="agrees", citation=evil,
                                             value=HOSTILE)],
                    values=[StatedValue(value=HOSTILE, doc_ids=[HOSTILE]), StatedValue(value="x", doc_ids=["y"])])
    for markup in (render_reply(answer), render_question(HOSTILE)):
        built = Markup(markup)
        assert built.tags <= {"div", "span", "mark", "details", "summary"}
        assert built.attributes <= {"class", "title"}
    assert HOSTILE in visible_text(render_reply(answer))
    assert visible_text(render_question(HOSTILE)) == HOSTILE


def test_an_overlong_question_is_echoed_only_in_part():
    assert len(visible_text(render_question("why " * 1000))) < 400


@pytest.mark.parametrize(
    "reason, expected",
    [
        ("question is empty", "Please type a question in words, or pick one of the examples."),
        ("question has no words in it", "Please type a question"),
        ("question is too long (5,000 characters; limit 1,000)", "too long to answer: (5,000 characters; limit 1,000)"),
    ],
)
def test_refused_questions_get_a_friendly_message(reason, expected):
    assert expected in friendly_problem(ValueError(reason))


def test_a_refusal_is_worded_for_the_door_the_question_came_through():
    empty = ValueError("question is empty")
    assert friendly_problem(empty, "chat without examples") == "Please type a question in words."
    assert friendly_problem(empty, "api").startswith("Please send a question in words")
    assert "example" not in friendly_problem(empty, "api")  # an API caller sees no example buttons


# ---------------------------------------------------------------- the source viewer


def test_the_article_is_cut_at_the_citation_offsets_exactly():
    segments = article_segments(ARTICLE, cite())
    assert "".join(text for text, _ in segments) == ARTICLE
    assert [label for _, label in segments] == [None, "cited sentence", "answer", "cited sentence", None]
    assert "".join(t for t, label in segments if label) == SENTENCE
    assert [t for t, label in segments if label == "answer"] == ["2.5 km (1.5 miles)"]


def test_a_citation_without_an_answer_span_highlights_the_sentence_only():
    segments = article_segments(ARTICLE, cite(answer=None))
    assert segments == [(ARTICLE[:S_START], None), (SENTENCE, "cited sentence"),
                        (ARTICLE[S_START + len(SENTENCE):], None)]


def test_a_tentative_span_is_not_coloured_as_an_answer_in_the_article():
    segments = article_segments(ARTICLE, cite(), tentative=True)
    assert [label for _, label in segments] == [None, "cited sentence", None]


def test_a_source_chosen_by_hand_highlights_its_sentence_in_the_shown_answer():
    answer = answered()
    assert citation_for_document(answer, "doc_a") == answer.citations[0]
    assert citation_for_document(answer, "doc_b") is None
    assert article_segments(ARTICLE, None) == [(ARTICLE, None)]


def test_the_viewer_heading_names_title_date_and_document_as_text():
    doc = Document(doc_id="doc_a", path="/secret/path/doc_a.txt", title="<b>Deal</b>", date=dt.date(2025, 2, 4),
                   text=ARTICLE, sha256="0" * 64)
    heading = viewer_heading(doc)
    assert visible_text(heading) == "### <b>Deal</b>\n\n2025-02-04 · doc_a"
    assert "<b>" not in heading and "/secret" not in heading


# ---------------------------------------------------------------- the app around a stand-in engine


class StandInEngine:
    """Answers every question with the same `Answer`; refuses what `clean_question` refuses."""

    def __init__(self, corpus_dir: Path = SHIPPED_CORPUS):
        self.corpus_dir = corpus_dir
        self.documents = {
            "doc_a": Document(doc_id="doc_a", path="/x/doc_a.txt", title="Mining deal", text=ARTICLE,
                              sha256="0" * 64),
        }

    def answer(self, question: str) -> Answer:
        from qa.engine import clean_question

        return answered(question=clean_question(question))


def test_the_app_builds_and_offers_an_answer_endpoint():
    demo = build_app(StandInEngine())
    api_names = {dep.api_name for dep in demo.fns.values() if dep.api_visibility == "public"}
    assert api_names == {"answer"}


def test_the_answer_endpoint_documents_the_answer_schema():
    info = build_app(StandInEngine()).get_api_info()["named_endpoints"]["/answer"]
    returned = info["returns"][0]["python_type"]["type"]
    for field in ("status", "answer", "confidence", "relevance", "citations", "answer_start", "marker", "values"):
        assert field in returned, field
    assert info["parameters"][0]["python_type"]["type"] == "str"


def endpoint(demo, name: str):
    return next(dep for dep in demo.fns.values() if dep.name == name)


def test_asking_shows_one_compact_indicator_on_the_chat_and_leaves_the_other_panels_still():
    demo = build_app(StandInEngine())
    asking = endpoint(demo, "ask")
    assert asking.show_progress == "minimal"  # a small timer on the chat, no overlay
    chat = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "qa-chat")
    assert asking.show_progress_on == [chat]


def test_the_chat_opens_the_latest_reply_at_its_top_without_a_label_over_it():
    demo = build_app(StandInEngine())
    chat = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "qa-chat")
    assert chat.autoscroll is False and chat.show_label is False
    assert any(dep.js and "#qa-chat [data-testid=user]" in dep.js for dep in demo.fns.values())


def test_the_shipped_articles_come_with_example_questions_other_folders_with_none(tmp_path):
    assert examples_for(StandInEngine()) == EXAMPLES
    assert examples_for(StandInEngine(SHIPPED_CORPUS / ".." / "seeds")) == EXAMPLES  # the same folder
    assert examples_for(StandInEngine(tmp_path)) == []

    shown = build_app(StandInEngine()).get_config_file()
    assert any(c.get("props", {}).get("label") == "Examples" for c in shown["components"])
    own = build_app(StandInEngine(tmp_path)).get_config_file()
    assert not any(c.get("props", {}).get("label") == "Examples" for c in own["components"])
    box = next(c["props"] for c in own["components"] if c["props"].get("elem_id") == "qa-question")
    assert "your articles" in box["placeholder"]


def test_an_empty_question_in_a_chat_without_examples_does_not_point_at_examples(tmp_path):
    ask = endpoint(build_app(StandInEngine(tmp_path)), "ask").fn
    box, history, *_ = ask("   ", [], {})
    assert "Please type a question in words." in history[-1]["content"]
    assert "example" not in history[-1]["content"]


def test_the_source_picker_lists_titles_adding_the_id_only_where_titles_repeat():
    def doc(doc_id, title):
        return Document(doc_id=doc_id, path=f"/x/{doc_id}.txt", title=title, text=ARTICLE, sha256="0" * 64)

    documents = {d.doc_id: d for d in (doc("a1", "Mining deal"), doc("b2", "Talks"), doc("c3", "Talks"))}
    assert source_choices(documents) == [("Mining deal", "a1"), ("Talks (b2)", "b2"), ("Talks (c3)", "c3")]


# ---------------------------------------------------------------- the launcher's options


@pytest.fixture(scope="module")
def app():
    """app.py as a module (importing it starts nothing)."""
    spec = importlib.util.spec_from_file_location("app", Path(__file__).resolve().parent.parent / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_launcher_binds_loopback_port_7860_unless_told_otherwise(app, monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    defaults = app.parse_args([])
    assert (defaults.host, defaults.port, defaults.corpus, defaults.index) == ("127.0.0.1", 7860, None, None)

    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "9000")
    assert (app.parse_args([]).host, app.parse_args([]).port) == ("0.0.0.0", 9000)
    chosen = app.parse_args(["--host", "127.0.0.2", "--port", "8000", "--corpus", "c", "--index", "i"])
    assert (chosen.host, chosen.port, chosen.corpus, chosen.index) == ("127.0.0.2", 8000, "c", "i")


def test_the_launcher_runs_torch_on_one_thread_unless_told_otherwise(app, monkeypatch):
    monkeypatch.delenv("QA_TORCH_THREADS", raising=False)
    assert app.parse_args([]).threads == 1
    assert app.parse_args(["--threads", "4"]).threads == 4
    monkeypatch.setenv("QA_TORCH_THREADS", "2")
    assert app.parse_args([]).threads == 2


def test_a_failed_warm_up_request_is_reported_not_raised(app, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.warm_up_server(f"http://127.0.0.1:{port}/")
    assert "warm-up request failed" in capsys.readouterr().err


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)])
def test_only_loopback_addresses_count_as_local(app, host, loopback):
    assert app.is_loopback(host) is loopback
