"""The calibration questions (tests/calibration/) are well formed, and apart from the regression set."""

from __future__ import annotations

import os

import pytest
from helpers import PROJECT, import_bench

from qa.evaluation import load_questions

calibrate = import_bench("calibrate_threshold")


def corpus_text(folder) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt")))


def assert_answers_are_in(questions: list[dict], text: str) -> None:
    for item in questions:
        assert item["answerable"] == bool(item["answers"]), item["id"]
        for gold in item["answers"]:
            assert gold in text, f"{item['id']}: {gold!r} is not in the corpus"


def test_the_seed_calibration_answers_are_copied_from_the_seeds():
    assert_answers_are_in(load_questions(calibrate.CALIBRATION / "questions.jsonl"), corpus_text(PROJECT / "seeds"))


def test_the_paraphrased_calibration_answers_are_copied_from_squads_pharmacy_article(tmp_path):
    if not calibrate.DEFAULT_SQUAD.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the SQuAD file at {calibrate.DEFAULT_SQUAD}")
        pytest.skip(f"no SQuAD file at {calibrate.DEFAULT_SQUAD}")
    corpus = calibrate.calibration_corpora(tmp_path)["paraphrased"]
    items = load_questions(calibrate.CALIBRATION / "paraphrased_pharmacy.jsonl")
    assert_answers_are_in(items, corpus_text(corpus))
    assert sum(item["answerable"] for item in items) >= 20 and sum(not item["answerable"] for item in items) >= 10


def test_the_written_calibration_answers_are_copied_from_their_own_articles():
    folder = calibrate.CALIBRATION / "written_articles"
    items = load_questions(calibrate.CALIBRATION / "written.jsonl")
    for item in items:
        assert_answers_are_in([item], (folder / f"{item['doc']}.txt").read_text(encoding="utf-8"))
    assert sum(item["answerable"] for item in items) >= 150 and sum(not item["answerable"] for item in items) >= 50


def test_no_written_calibration_article_is_a_training_article():
    training = {p.name for p in (PROJECT / "bench/reader_data/articles").glob("*.txt")}
    assert training and not training & {p.name for p in (calibrate.CALIBRATION / "written_articles").glob("*.txt")}


def test_no_calibration_question_is_a_regression_question():
    regression = {item["question"].casefold() for item in load_questions(PROJECT / "tests/regression/questions.jsonl")}
    for name in ("questions.jsonl", "paraphrased_pharmacy.jsonl", "off_topic.jsonl", "written.jsonl"):
        for item in load_questions(calibrate.CALIBRATION / name):
            assert item["question"].casefold() not in regression, item["id"]


def test_the_off_topic_calibration_questions_are_about_other_subjects_than_both_corpora():
    items = load_questions(calibrate.CALIBRATION / "off_topic.jsonl")
    assert len(items) >= 30
    assert all(not item["answerable"] and item["off_topic"] and not item["answers"] for item in items)


def test_the_conflict_calibration_stories_are_well_formed():
    from importlib import util

    spec = util.spec_from_file_location("validate_conflict_stories", calibrate.CALIBRATION / "validate_conflict_stories.py")
    validate = util.module_from_spec(spec)
    spec.loader.exec_module(validate)
    assert len(validate.stories()) >= 2
    assert [e for story in validate.stories() for e in validate.problems(story)] == []
