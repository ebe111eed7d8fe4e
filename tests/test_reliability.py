"""Bad questions through every door: `answer()` in Python, `qa ask` in a shell, the web UI's handlers.

The documented outcome of each kind of input:
  invalid (empty, only invisible or control characters, no words, too long, not a string)
      Python  InvalidQuestion, a ValueError whose message says why
      CLI     exit code 2, nothing on stdout, one line "qa: <why>" on stderr; the engine never starts
      web     the chat shows a friendly message; the API raises gr.Error with one worded for API callers
  valid, but about nothing in the articles (another language, HTML, SQL, emoji around words)
      status "none": answered=False, answer=None, every source silent
  valid, with invisible characters inside (zero-width, bidi, control) -> the same answer as without
Questions longer than MAX_QUESTION_CHARS are refused unread, never truncated or embedded.
No test here depends on an answer's text: the selector has its own tests and is still changing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gradio as gr
import pytest

import qa
import qa.engine
from qa.cli import main as qa_main
from qa.engine import MAX_QUESTION_CHARS, InvalidQuestion, clean_question
from qa.render import ECHO_MAX_CHARS, as_html, friendly_problem
from qa.web import build_app

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
KURSK = "How far did Ukrainian troops advance into Kursk?"

# id -> (question, what the refusal says)
INVALID = {
    "empty": ("", "empty"),
    "whitespace only": (" \t\n \u3000 ", "empty"),
    "zero-width only": ("\u200b\u200c\u200d\u2060\ufeff", "empty"),
    "control characters only": ("\x00\x01\x07\x08\x7f", "empty"),
    "emoji only": ("🤔❓🙂👍🏽🇺🇦", "no words"),
    "punctuation only": ("?!... --- ;", "no words"),
    "100,000 characters": (((KURSK + " ") * 2100)[:100_000], "too long"),
    "one character over the limit": ("a" * (MAX_QUESTION_CHARS + 1), "too long"),
}
NOT_STRINGS = [None, 42, 3.5, KURSK.encode(), [KURSK], {"question": KURSK}]

# Valid questions the seed articles (Ukraine, minerals, Kursk) cannot answer.
UNANSWERABLE = {
    "ukrainian": "Яка столиця Франції?",
    "chinese": "法国的首都是哪里？",
    "html and script": '<script>alert(1)</script><img src=x onerror="alert(2)"> What is the capital of France?',
    "sql": "'; DROP TABLE passages; -- SELECT * FROM users WHERE 1=1",
    "emoji around words": "🇫🇷 What is the capital city of France? 🤔",
    "exactly at the limit": ("What is the capital of France? " * 40)[:MAX_QUESTION_CHARS],
}

# The same question as KURSK once invisible and control characters are taken out.
HIDDEN_CHARACTERS = {
    "zero-width and soft hyphen inside words": "How far did Ukr\u200bainian troops ad\u00advance into Kur\u2060sk?",
    "control characters between words": "How far\x07did\tUkrainian troops\x1badvance into Kursk?",
    "bidi override around it": "\u202eHow far did Ukrainian troops advance into Kursk?\u202c",
    "byte order mark and odd spacing": "\ufeff  How far did\nUkrainian   troops advance into Kursk?  ",
}


def refusal_of(question) -> InvalidQuestion:
    with pytest.raises(InvalidQuestion) as refused:
        clean_question(question)
    return refused.value


def exact_slices(answer, engine) -> bool:
    """Every citation quotes its document exactly at its offsets (the contract of `Citation`)."""
    return all(engine.documents[c.doc_id].text[c.start : c.end] == c.text for c in answer.citations)


@pytest.fixture
def default_engine_is_seed_engine(seed_engine, monkeypatch):
    """`qa.answer()` uses the default engine; here that is the session's seed engine, not index/."""
    replaced = qa.engine.set_default_engine(seed_engine)
    yield seed_engine
    qa.engine.set_default_engine(replaced)


@pytest.fixture
def no_default_engine(monkeypatch):
    """Fails the test if `qa.answer()` loads the default engine (model, index) at all."""

    def must_not_load():
        raise AssertionError("the default engine was loaded for a question that should be refused first")

    monkeypatch.setattr(qa.engine, "default_engine", must_not_load)


# ---------------------------------------------------------------- Python: answer()


@pytest.mark.parametrize("question, reason", INVALID.values(), ids=INVALID.keys())
def test_answer_refuses_an_invalid_question_with_a_value_error_before_loading_anything(
    no_default_engine, question, reason
):
    with pytest.raises(ValueError, match=reason) as refused:
        qa.answer(question)
    assert isinstance(refused.value, InvalidQuestion)


@pytest.mark.parametrize("value", NOT_STRINGS, ids=lambda v: type(v).__name__)
def test_answer_refuses_anything_but_a_string(no_default_engine, value):
    with pytest.raises(ValueError, match=f"must be a string, not {type(value).__name__}"):
        qa.answer(value)


def test_an_overlong_question_is_refused_without_being_embedded_or_searched(seed_engine, monkeypatch):
    calls = []  # spies: the real functions still run if called, but none may be
    for name in ("encode_query", "encode"):
        real = getattr(seed_engine.embedder, name)
        monkeypatch.setattr(seed_engine.embedder, name, lambda *a, _real=real, **k: calls.append(a) or _real(*a, **k))
    real_retrieve = seed_engine.retriever.retrieve
    monkeypatch.setattr(seed_engine.retriever, "retrieve", lambda *a: calls.append(a) or real_retrieve(*a))

    with pytest.raises(InvalidQuestion, match=r"too long \(100,000 characters; limit 1,000\)"):
        seed_engine.answer("x" * 100_000)
    assert calls == []


@pytest.mark.parametrize("question", UNANSWERABLE.values(), ids=UNANSWERABLE.keys())
def test_a_valid_question_about_nothing_in_the_articles_is_not_covered(default_engine_is_seed_engine, question):
    answer = qa.answer(question)
    assert (answer.status, answer.answered, answer.answer) == ("none", False, None)
    assert {s.marker for s in answer.sources} == {"silent"}
    assert exact_slices(answer, default_engine_is_seed_engine)


@pytest.mark.parametrize("question", HIDDEN_CHARACTERS.values(), ids=HIDDEN_CHARACTERS.keys())
def test_invisible_and_control_characters_do_not_change_the_answer(seed_engine, question):
    assert clean_question(question) == KURSK
    assert seed_engine.answer(question) == seed_engine.answer(KURSK)


# ---------------------------------------------------------------- the shell: qa ask


def run_qa(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)


# A command line cannot carry NUL, so the control-character case sends the others.
CLI_INVALID = {name: case for name, case in INVALID.items() if "\x00" not in case[0]}
CLI_INVALID["control characters only"] = ("\x01\x07\x08\x1b\x7f", "empty")


@pytest.mark.parametrize("question, reason", CLI_INVALID.values(), ids=CLI_INVALID.keys())
def test_qa_ask_refuses_an_invalid_question_with_exit_2_and_one_line_before_starting(tmp_path, question, reason):
    index = tmp_path / "index"
    done = run_qa("ask", question, "--corpus", str(SEEDS), "--index", str(index))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("qa: ") and reason in done.stderr
    assert not index.exists()  # refused before the engine (model, index) was even created


def test_qa_ask_says_a_hostile_but_valid_question_is_not_covered(seed_engine):
    done = run_qa("ask", UNANSWERABLE["sql"], "--json", "--corpus", str(SEEDS), "--index", str(seed_engine.index_dir))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["status"], answer["answered"], answer["answer"]) == ("none", False, None)


@pytest.mark.parametrize("question", UNANSWERABLE.values(), ids=UNANSWERABLE.keys())
def test_qa_ask_says_not_covered_for_a_valid_question_about_something_else(seed_engine, capsys, question):
    # In process (the model is loaded once per session); the subprocess test above covers the real shell.
    status = qa_main(["ask", question, "--json", "--corpus", str(SEEDS), "--index", str(seed_engine.index_dir)])
    answer = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (answer["status"], answer["answered"], answer["answer"]) == ("none", False, None)


# ---------------------------------------------------------------- the web UI's handlers


@pytest.fixture(scope="module")
def handlers(seed_engine) -> dict:
    """The Python functions behind the chat box and the /answer API endpoint of the real app."""
    demo = build_app(seed_engine)
    return {dep.name: dep.fn for dep in demo.fns.values() if dep.fn is not None}


def chat(handlers, question) -> tuple[str, list[dict]]:
    """One turn in an empty chat: (what stays in the question box, the chat messages)."""
    box, history, *_ = handlers["ask"](question, [], {})
    return box, history


@pytest.mark.parametrize("question, reason", INVALID.values(), ids=INVALID.keys())
def test_the_chat_answers_an_invalid_question_with_a_friendly_message(handlers, question, reason):
    box, history = chat(handlers, question)
    reply = history[-1]
    assert reply["role"] == "assistant" and "qa-problem" in reply["content"]
    assert as_html(friendly_problem(refusal_of(question))) in reply["content"]
    assert box == question  # left in the box to be corrected
    if question.strip():
        assert len(history[0]["content"]) <= ECHO_MAX_CHARS + 1  # a 100,000-character echo is cut short


def test_the_chat_treats_a_missing_question_as_empty(handlers):
    box, history = chat(handlers, None)
    assert as_html(friendly_problem(refusal_of(""))) in history[-1]["content"]


@pytest.mark.parametrize("question, reason", INVALID.values(), ids=INVALID.keys())
def test_the_api_refuses_an_invalid_question_with_a_friendly_error(handlers, question, reason):
    with pytest.raises(gr.Error) as refused:
        handlers["answer_api"](question)
    assert refused.value.message == friendly_problem(refusal_of(question), "api")


@pytest.mark.parametrize("value", NOT_STRINGS, ids=lambda v: type(v).__name__)
def test_the_api_refuses_a_non_string_with_a_friendly_error(handlers, value):
    with pytest.raises(gr.Error, match="must be a string"):
        handlers["answer_api"](value)


@pytest.mark.parametrize("question", UNANSWERABLE.values(), ids=UNANSWERABLE.keys())
def test_the_chat_says_the_articles_dont_cover_a_valid_question_about_something_else(handlers, question):
    box, history = chat(handlers, question)
    assert box == ""
    assert "qa-abstained" in history[-1]["content"]
    assert "<script" not in history[0]["content"] + history[-1]["content"]  # the question shows as text
    assert handlers["answer_api"](question)["status"] == "none"
