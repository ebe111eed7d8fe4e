"""cli: `qa index`, `qa ask`, `qa eval`. A thin caller of the engine.

Exit codes: 0 ok, 1 evaluation below its thresholds, 2 invalid input or arguments (a bad question, a
missing folder, a file given as the folder), 3 the index or the model cannot be used (a read-only
index folder, one built for another corpus, a missing model). Every failure is one line on stderr,
starting with "qa: "; so is each warning (a skipped file, an encoding guessed), once per command.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The regression set belongs with the articles it asks about: the shipped seeds/, at the project root
# beside the package (as seeds/ is). Only `qa eval` over those seeds, in a source checkout, uses it.
REGRESSION_SET = PROJECT_ROOT / "tests" / "regression" / "questions.jsonl"
DISTRIBUTION = "qa-news"
MARK_SYMBOL = {"agrees": "✓ agrees", "conflicts": "✗ conflicts", "silent": "· silent"}
EXIT_INVALID = 2
EXIT_UNAVAILABLE = 3
MESSAGE_MAX_CHARS = 500


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other failure (usage is in --help)."""

    def error(self, message: str):
        dash = "; a question starting with '-' goes after --" if self.prog.endswith("ask") else ""
        fail(f"{message} (see {self.prog} --help{dash})")
        sys.exit(EXIT_INVALID)


def fail(message: object) -> None:
    """One line on stderr, whatever the message holds (newlines, a long server error)."""
    line = " ".join(str(message).split())
    if len(line) > MESSAGE_MAX_CHARS:
        line = line[:MESSAGE_MAX_CHARS] + "…"
    print(f"qa: {line}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="qa",
        description="Offline question answering over a folder of news articles: short answers copied "
        "exactly from an article, cited to the character, with each source marked as agreeing, "
        "conflicting or silent.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}",
                        help="print the installed qa-news version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands",
                                help="`qa COMMAND --help` describes each")
    for add_command in (add_index_command, add_ask_command, add_eval_command):
        add_command(sub)
    return parser


def corpus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", metavar="DIR",
                   help="folder of .txt/.md articles (default: $QA_CORPUS_DIR, else the shipped seeds/)")
    p.add_argument("--index", metavar="DIR",
                   help="index folder (default: $QA_INDEX_DIR, else index/ for seeds/ and, for any other "
                   "corpus, a folder of its own under the cache folder, <cache>/indexes/)")
    p.add_argument("--chroma-host", metavar="HOST", help="use a Chroma server instead of the embedded store")
    p.add_argument("--chroma-port", metavar="PORT", type=int, help="Chroma server port (default 8000)")


def add_index_command(sub) -> argparse.ArgumentParser:
    p_index = sub.add_parser(
        "index", help="build or update the index",
        description="Build the index of a folder of articles, or bring it up to date: only new or "
        "changed sentences are embedded, and removed articles' passages are deleted. Files that "
        "cannot be read are skipped, each named once on stderr.",
    )
    corpus_options(p_index)
    p_index.add_argument("--rebuild", action="store_true",
                         help="drop the index and build it from scratch (also takes over an index folder "
                         "that was built for another corpus)")
    return p_index


def add_ask_command(sub) -> argparse.ArgumentParser:
    p_ask = sub.add_parser(
        "ask", help="answer one question",
        description="Answer one question from the articles with one of three outcomes: a short answer "
        "copied from one of them; the passage most likely to hold the answer, when no short answer is "
        "sure enough; or that the articles don't cover the question. The index is built or brought up "
        "to date first.",
    )
    corpus_options(p_ask)
    p_ask.add_argument("question", help="the question, in quotes (at most 1,000 characters; one starting "
                       "with '-' goes after --)")
    p_ask.add_argument("--json", action="store_true", help="print the Answer as JSON (the Python API's record)")
    return p_ask


def add_eval_command(sub) -> argparse.ArgumentParser:
    p_eval = sub.add_parser(
        "eval", help="run a question set and print its metrics",
        description="Ask every question of a question set (JSON lines) and print short-answer, "
        "citation, abstention and marker metrics; exit 1 when one is below its threshold.",
    )
    corpus_options(p_eval)
    p_eval.add_argument("--questions", metavar="FILE",
                        help="a questions.jsonl file (default: the project's regression set, "
                        "tests/regression/questions.jsonl, which asks about the shipped seeds/)")
    p_eval.add_argument("--verbose", action="store_true", help="list every failing question")
    return p_eval


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(version unknown: not installed; pip install -e .)"


def make_engine(args, progress: bool = False, rebuild: bool = False):
    from qa.engine import Engine

    return Engine(
        corpus_dir=args.corpus,
        index_dir=args.index,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port,
        rebuild=rebuild,
        progress=progress,
    )


def main(argv: list[str] | None = None) -> int:
    # Warnings (a skipped file, an encoding guessed) go to stderr once each, like failures prefixed "qa: ".
    logging.basicConfig(level=logging.WARNING, format="qa: %(message)s")
    sys.stdout.reconfigure(errors="replace")  # a terminal that cannot show a character gets a "?"
    args = build_parser().parse_args(argv)
    from qa.embedding import ModelUnavailable
    from qa.manifest import IndexUnavailable

    try:
        return COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError) as err:  # InvalidQuestion, a missing folder, a bad file
        fail(err)
        return EXIT_INVALID
    except (IndexUnavailable, ModelUnavailable, OSError) as err:
        fail(err)
        return EXIT_UNAVAILABLE


def cmd_index(args) -> int:
    engine = make_engine(args, progress=sys.stderr.isatty(), rebuild=args.rebuild)
    r = engine.sync_report
    # Each skipped file was named on stderr as the corpus was read (its log line): count, don't repeat.
    skipped = len(engine.corpus.skipped)
    print(
        f"index {engine.index_dir}: {len(engine.corpus.documents)} documents, "
        f"{len(engine.corpus.passages)} passages ({r.embedded} embedded, {r.reused} reused, "
        f"{r.deleted} removed{', rebuilt' if r.rebuilt else ''})"
        + (f"; {skipped} file{'s' if skipped > 1 else ''} skipped (named above)" if skipped else "")
    )
    return 0


def cmd_ask(args) -> int:
    from qa.engine import clean_question

    clean_question(args.question)  # reject bad input before paying for the model load
    answer = make_engine(args).answer(args.question)
    print(answer.model_dump_json(indent=2) if args.json else render_answer(answer))
    return 0


STATUS_LINE = {
    "passage": "No short answer I can stand behind. This passage looks closest:",
    "none": "The articles don't cover this.",
}


def render_answer(answer) -> str:
    """The three outcomes in words: a short answer, the closest passage, or "not covered"."""
    if answer.status == "answer":
        lines = [f"Answer: {answer.answer}   (confidence {answer.confidence:.2f}, relevance {answer.relevance:.2f})"]
    else:
        lines = [f"{STATUS_LINE[answer.status]}   (relevance {answer.relevance:.2f}, confidence {answer.confidence:.2f})"]
        if answer.status == "none" and answer.citations:
            lines.append("Related passages (they do not answer it):")
    for n, c in enumerate(answer.citations, 1):
        lines.append(f"[{n}] {c.title} ({c.doc_id}, chars {c.start}-{c.end})")
        lines.append(textwrap.indent(textwrap.fill(c.text, 96), "    "))
        if n == 1 and answer.status == "passage" and c.answer_start is not None:
            tentative = c.text[c.answer_start - c.start : c.answer_end - c.start]
            lines.append(f"    possible answer, not confirmed: {tentative!r}")
    if answer.status != "none" and any(s.marker != "silent" for s in answer.sources):
        lines.append("Sources:")
        for s in answer.sources:
            value = f": {s.value!r}" if s.value else ""
            lines.append(f"  {MARK_SYMBOL[s.marker]:<12} {s.doc_id}{value}")
    return "\n".join(lines)


def cmd_eval(args) -> int:
    from qa.evaluation import evaluate, load_questions

    path = questions_file(args)
    questions = load_questions(path)  # a missing or foreign set is refused before the model loads
    problems = print_report("regression set", evaluate(make_engine(args), questions), args.verbose)
    if not args.questions:  # the default: the conflict set is run beside the regression set
        problems += evaluate_conflict_set(args.verbose)
    return 1 if problems else 0


def evaluate_conflict_set(verbose: bool) -> list[str]:
    import tempfile

    from qa.engine import SHIPPED_CORPUS, Engine
    from qa.evaluation import REGRESSION_DIR, evaluate, load_questions, write_conflict_corpus

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_conflict_corpus(Path(tmp) / "corpus", SHIPPED_CORPUS)
        engine = Engine(corpus_dir=corpus, index_dir=Path(tmp) / "index")
        report = evaluate(engine, load_questions(REGRESSION_DIR / "conflict_questions.jsonl"), conflict_set=True)
    return print_report("conflict set", report, verbose)


def print_report(name: str, report, verbose: bool) -> list[str]:
    print(f"{name}\n{report.table()}")
    problems = report.failures()
    if verbose or problems:
        failing = report.failing_questions()
        if failing:
            print(f"\n{len(failing)} questions with a wrong answer, citation or marker:")
            print("\n".join(failing))
    if problems:
        print(f"\n{name} below thresholds: " + "; ".join(problems))
    print()
    return problems


def questions_file(args) -> Path:
    """The questions to evaluate: --questions, else the regression set, which asks about the shipped
    seeds/ and so is the default only for them, and only where the project tree ships it."""
    if args.questions:
        return Path(args.questions)
    from qa.engine import SHIPPED_CORPUS, default_corpus_dir

    corpus = Path(args.corpus) if args.corpus else default_corpus_dir()
    if corpus.resolve() != SHIPPED_CORPUS.resolve():
        raise ValueError(f"the regression set asks about the shipped seeds/, not {corpus}: "
                         "pass --questions FILE with questions about these articles")
    if not REGRESSION_SET.is_file():
        raise FileNotFoundError(f"no default question set: {REGRESSION_SET} ships with the project's "
                                "source tree, not with the package; pass --questions FILE")
    return REGRESSION_SET


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "eval": cmd_eval}

if __name__ == "__main__":
    sys.exit(main())
