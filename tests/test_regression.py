"""The regression question set, asked through the public `answer()` API, against the thresholds.

The set measures the system; nothing in the code knows its questions. A failure lists every
failing question with what was returned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation import evaluate, load_questions

REGRESSION_SET = Path(__file__).parent / "regression" / "questions.jsonl"


@pytest.fixture(scope="module")
def report(seed_engine):
    return evaluate(seed_engine, load_questions(REGRESSION_SET))


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
