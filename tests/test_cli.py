"""The `qa` command as a newcomer meets it: --version and --help, what it says about files it cannot
use, where it puts the index of their own folder, and which questions `qa eval` asks by default.

Most tests call `main([...])` in process (the model loads once per session); the one about what
reaches the terminal runs the real command, since only there do log lines become stderr lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import qa.cli
from qa.cli import build_parser, main, questions_file
from qa.engine import cached_index_dir
from qa.manifest import MANIFEST

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
ARTICLE = """Veltria port reopens after the storm

The Veltria port reopened on Monday after a week of storms, its director said.
About 40 ships were waiting outside the breakwater to enter the harbour.
"""
# The same kind of article saved by an older Windows editor: cp1252, curly quotes and accents.
LEGACY_ARTICLE = """Kestrel Bay ferry resumes

The Kestrel Bay ferry resumed on Tuesday, said José Núñez, the harbour’s “acting” master.
"""


def run_qa(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def articles(tmp_path) -> Path:
    """A folder of one's own: one good article, one saved as cp1252, an empty file and a binary one."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "veltria.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "kestrel.txt").write_bytes(LEGACY_ARTICLE.encode("cp1252"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return folder


@pytest.fixture
def private_cache(tmp_path, monkeypatch, embedder) -> Path:
    """A cache folder of the test's own for indexes; the model (loaded first) stays where it is."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QA_INDEX_DIR", raising=False)
    monkeypatch.delenv("QA_CORPUS_DIR", raising=False)
    return tmp_path / "cache"


# ---------------------------------------------------------------- --version and --help


def test_qa_version_prints_the_installed_package_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"qa {version('qa-news')}"


def subcommands() -> dict:
    [choice] = [a for a in build_parser()._actions if a.dest == "command"]  # argparse keeps them there
    return choice.choices


@pytest.mark.parametrize("command", ["index", "ask", "eval"])
def test_each_subcommand_has_a_description_and_each_argument_a_help(command):
    parser = subcommands()[command]
    assert parser.description and len(parser.description) > 40
    undocumented = [a.dest for a in parser._actions if not a.help]
    assert undocumented == []


def test_ask_help_explains_the_question_argument(capsys):
    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    help_text = capsys.readouterr().out
    assert "question  " in help_text and "at most 1,000 characters" in help_text


# ---------------------------------------------------------------- what it says about files


def test_a_file_given_as_the_corpus_is_called_a_file_not_a_missing_folder(capsys):
    article = SEEDS / "000_4c55fd7b660ac3d2.txt"
    assert main(["ask", "--corpus", str(article), "What did Ukraine offer?"]) == 2
    assert capsys.readouterr().err == f"qa: {article} is a file, not a folder of articles (give the folder that holds it)\n"


def test_a_missing_corpus_folder_is_called_missing(tmp_path, capsys):
    assert main(["index", "--corpus", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == f"qa: corpus folder not found: {tmp_path / 'nowhere'}\n"


@pytest.mark.slow
def test_each_skipped_file_and_guessed_encoding_is_named_once_on_stderr_by_index_and_by_ask(articles, tmp_path):
    index = tmp_path / "index"
    built = run_qa("index", "--corpus", str(articles), "--index", str(index))
    asked = run_qa("ask", "How many ships were waiting outside the breakwater?",
                   "--corpus", str(articles), "--index", str(index))

    assert (built.returncode, asked.returncode) == (0, 0), built.stderr + asked.stderr
    for done in built, asked:
        for name in "empty.txt", "photo.txt":
            assert done.stderr.count(str(articles / name)) == 1, done.stderr
            assert str(articles / name) not in done.stdout
        assert f"qa: read {articles / 'kestrel.txt'} as cp1252 (not UTF-8)" in done.stderr.splitlines()
    assert "2 documents" in built.stdout and "2 files skipped (named above)" in built.stdout
    assert "qa: skipping " + str(articles / "empty.txt") + ": empty" in built.stderr.splitlines()


# ---------------------------------------------------------------- where the index of one's own folder goes


def test_qa_index_of_ones_own_folder_puts_it_in_the_cache_and_says_where(articles, private_cache, capsys):
    assert main(["index", "--corpus", str(articles)]) == 0
    own = cached_index_dir(articles)
    assert own.parent == private_cache / "indexes"
    assert capsys.readouterr().out.startswith(f"index {own}: 2 documents")
    assert json.loads((own / MANIFEST).read_text(encoding="utf-8"))["corpus"] == str(articles.resolve())


def test_an_index_folder_of_another_corpus_is_refused_unless_rebuilt(articles, tmp_path, capsys):
    index = tmp_path / "index"
    assert main(["index", "--corpus", str(articles), "--index", str(index)]) == 0
    others = tmp_path / "other-articles"
    others.mkdir()
    (others / "veltria.txt").write_text(ARTICLE.replace("40 ships", "41 ships"), encoding="utf-8")
    capsys.readouterr()

    assert main(["ask", "--corpus", str(others), "--index", str(index), "How many ships waited?"]) == 3
    refusal = capsys.readouterr().err
    assert refusal.count("\n") == 1 and refusal.startswith(f"qa: the index at {index} belongs to the articles in")
    assert "--index" in refusal and "--rebuild" in refusal

    assert main(["index", "--corpus", str(others), "--index", str(index), "--rebuild"]) == 0
    assert json.loads((index / MANIFEST).read_text(encoding="utf-8"))["corpus"] == str(others.resolve())


# ---------------------------------------------------------------- qa eval's questions


def eval_args(*argv: str):
    return build_parser().parse_args(["eval", *argv])


def test_qa_eval_asks_the_regression_set_of_the_shipped_seeds_by_default(monkeypatch):
    monkeypatch.delenv("QA_CORPUS_DIR", raising=False)
    assert questions_file(eval_args()) == PROJECT / "tests" / "regression" / "questions.jsonl"
    assert questions_file(eval_args("--questions", "mine.jsonl")) == Path("mine.jsonl")


def test_qa_eval_over_another_corpus_asks_for_its_questions_before_loading_anything(articles, capsys):
    assert main(["eval", "--corpus", str(articles)]) == 2
    assert "pass --questions FILE" in capsys.readouterr().err


def test_qa_eval_without_the_project_tree_asks_for_a_questions_file(monkeypatch, tmp_path, capsys):
    # Fault injection: an installed package has no tests/ beside it.
    monkeypatch.setattr(qa.cli, "REGRESSION_SET", tmp_path / "absent" / "questions.jsonl")
    assert main(["eval", "--corpus", str(SEEDS)]) == 2
    assert "no default question set" in capsys.readouterr().err


# --- the three outcomes, from Python and from the shell ----------------------------------------------------

OUTCOMES = {
    "answer": ("How far did Ukrainian forces advance into Russia's Kursk region?", "Answer: 2.5 km"),
    "passage": ("Why does Zelensky want security guarantees?",
                "No short answer I can stand behind. This passage looks closest:"),
    "none": ("What is the capital of France?", "The articles don't cover this."),
}


@pytest.mark.parametrize("status", OUTCOMES)
def test_each_outcome_reads_the_same_from_python_and_from_qa_ask_in_words_and_json(status, seed_engine, capsys):
    question, first_line = OUTCOMES[status]
    answer = seed_engine.answer(question)
    assert (answer.status, answer.answered) == (status, status == "answer")
    assert (answer.answer is None) == (status != "answer")
    where = ["--corpus", str(seed_engine.corpus_dir), "--index", str(seed_engine.index_dir)]
    assert main(["ask", question, *where]) == 0
    assert capsys.readouterr().out.startswith(first_line)
    assert main(["ask", question, "--json", *where]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["status"], printed["answered"], printed["relevance"]) == (status, status == "answer", answer.relevance)
