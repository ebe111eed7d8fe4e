"""The regression question set, asked through the public `answer()` API.

The set measures the system; nothing in the code knows its questions. Every run prints the metrics
table and the marker confusion table (also `make eval`).

The targets of the open issues (16, 18, 19: `qa.evaluation.AT_LEAST` / `AT_MOST`) are NOT all met
yet (see `KNOWN_GAP`): that test runs every time, is reported as an expected failure with the
measured gap, and is strict, so the day the system meets the targets the suite goes red until the
marker is removed. What must hold for every answer (exact offsets, one marker per source, no
invented conflicts, `answered == (status == "answer")`, no short answer where the articles hold
none, "none" for questions about another subject, almost never "none" for a question the articles
answer) is asserted unconditionally.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation import evaluate, load_questions

REGRESSION_SET = Path(__file__).parent / "regression" / "questions.jsonl"
KNOWN_GAP = (
    "short-answer accuracy, first citation and marker targets not met: the extractive reader (MiniLM "
    "fine-tuned on 23 SQuAD articles and 40 written news articles) finds the right span for about half of these heavily paraphrased "
    "questions, and its confidence in the right ones is as low as in the on-topic unanswerable ones, so at "
    "the threshold calibrated for 0.9 precision most are offered as passages; figures in the table above"
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


def test_the_three_outcomes_hold_their_promises(report):
    m = report.metrics()
    assert all(o.answer.answered == (o.answer.status == "answer") for o in report.outcomes)
    assert m["unanswerable_not_answered"] == 1.0  # no short answer where the articles hold none
    assert m["off_topic_none"] == 1.0  # questions about another subject: "the articles don't cover this"
    assert m["answerable_none"] <= 0.05  # and that is almost never said of a question they answer
    assert m["answer_precision"] >= 0.90


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
    assert a.status != "answer" and not a.answered and a.answer is None
    assert all(s.marker == "silent" for s in a.sources)


# --- the conflict set: the seeds plus articles that restate their facts, some with other values ---------

CONFLICT_SET = Path(__file__).parent / "regression" / "conflict_questions.jsonl"
CONFLICT_GAP = (
    "issue 19 conflict-set targets not met (marker accuracy 0.95, conflict recall 0.9, no false conflicts): "
    "a source's own reading is only as good as the reader's, which misses most conflicting values; "
    "figures in the table printed above"
)


@pytest.fixture(scope="module")
def conflict_report(tmp_path_factory, seed_engine):
    from qa.engine import SHIPPED_CORPUS, Engine
    from qa.evaluation import write_conflict_corpus

    tmp = tmp_path_factory.mktemp("conflict_set")
    engine = Engine(corpus_dir=write_conflict_corpus(tmp / "corpus", SHIPPED_CORPUS), index_dir=tmp / "index")
    return engine, evaluate(engine, load_questions(CONFLICT_SET), conflict_set=True)


def test_the_conflict_set_metrics_are_printed_for_every_run(conflict_report, capsys):
    _, report = conflict_report
    with capsys.disabled():
        print("\n\nconflict set (tests/regression/conflict_questions.jsonl)\n" + report.table() + "\n")
    assert sum(e == "conflicts" for o in report.outcomes for e, _ in o.markers.values()) >= 20


@pytest.mark.xfail(strict=True, reason=CONFLICT_GAP)
def test_the_conflict_set_meets_its_thresholds(conflict_report):
    _, report = conflict_report
    problems = report.failures()
    assert not problems, "below thresholds: " + "; ".join(problems) + "\n\n" + report.table()


def test_every_source_of_the_conflict_set_is_marked_once_and_cited_exactly(conflict_report):
    engine, report = conflict_report
    for outcome in report.outcomes:
        assert sorted(s.doc_id for s in outcome.answer.sources) == sorted(engine.documents)
        for s in outcome.answer.sources:
            if s.citation:
                text = engine.documents[s.doc_id].text
                assert text[s.citation.start:s.citation.end] == s.citation.text, outcome.item["id"]
                assert text[s.citation.answer_start:s.citation.answer_end] == s.value, outcome.item["id"]
        for value in outcome.answer.values:
            assert set(value.doc_ids) <= set(engine.documents)
