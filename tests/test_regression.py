"""The regression question set, asked through the public `answer()` API.

The set measures the system; nothing in the code knows its questions. Every run prints the metrics
table and the marker confusion table (also `make eval`).

The issue-3 accuracy targets are NOT met yet (see `KNOWN_GAP`): that test runs every time, is
reported as an expected failure with the measured gap, and is strict, so the day the system meets
the targets the suite goes red until the marker is removed. The invariants that must hold for
every answer (exact offsets, one marker per source, no invented conflicts, abstention on questions
from outside the articles) are asserted unconditionally.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation import evaluate, load_questions

REGRESSION_SET = Path(__file__).parent / "regression" / "questions.jsonl"
KNOWN_GAP = (
    "issue 3/4 targets not met: the extractive reader (MiniLM fine-tuned on 15 SQuAD articles) finds the "
    "right span for about half of these heavily paraphrased questions, and its margins for the right "
    "ones are as low as for the on-topic unanswerable ones, so the calibrated threshold abstains on most; "
    "figures in the table printed above"
)


@pytest.fixture(scope="module")
def report(seed_engine):
    return evaluate(seed_engine, load_questions(REGRESSION_SET))


def test_the_metrics_are_printed_for_every_run(report, capsys):
    with capsys.disabled():
        print("\n\nregression set (tests/regression/questions.jsonl)\n" + report.table() + "\n")
    assert report.outcomes


@pytest.mark.xfail(strict=True, reason=KNOWN_GAP)
def test_regression_set_meets_every_threshold(report):
    problems = report.failures()
    assert not problems, (
        "below thresholds: " + "; ".join(problems) + "\n\n" + report.table() + "\n\n"
        + "\n".join(report.failing_questions())
    )


def test_every_citation_is_an_exact_slice_of_its_document(report, seed_engine):
    for outcome in report.outcomes:
        answer = outcome.answer
        cited = list(answer.citations) + [s.citation for s in answer.sources if s.citation]
        for c in cited:
            text = seed_engine.documents[c.doc_id].text
            assert text[c.start : c.end] == c.text, outcome.item["id"]
            if c.answer_start is not None:
                assert c.start <= c.answer_start < c.answer_end <= c.end, outcome.item["id"]
        if answer.answered:
            top = answer.citations[0]
            doc_text = seed_engine.documents[top.doc_id].text
            assert doc_text[top.answer_start : top.answer_end] == answer.answer, outcome.item["id"]


def test_every_source_gets_exactly_one_marker(report, seed_engine):
    every_doc = sorted(seed_engine.documents)
    for outcome in report.outcomes:
        assert sorted(s.doc_id for s in outcome.answer.sources) == every_doc


def test_no_source_is_marked_conflicting_where_the_set_expects_agreement_or_silence(report):
    invented = [
        (o.item["id"], doc, expected)
        for o in report.outcomes
        for doc, (expected, got) in o.markers.items()
        if got == "conflicts" and expected != "conflicts"
    ]
    assert invented == []


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "What is the population of Ukraine?",
        "On what date was the final minerals agreement signed?",
    ],
)
def test_questions_the_articles_do_not_answer_are_not_answered(seed_engine, question):
    a = seed_engine.answer(question)
    assert not a.answered and a.answer is None
    assert all(s.marker == "silent" for s in a.sources)
