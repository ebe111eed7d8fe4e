"""The reader's training examples (bench/train_reader.py): what one SQuAD question teaches it."""

from __future__ import annotations

from helpers import import_bench

from qa.segment import sentence_spans

train_reader = import_bench("train_reader")

CONTEXT = (
    "The Normans settled in Normandy in the 10th century. "
    "Normandy is a region in the north of France. "
    "The Normans later conquered England in 1066. "
    "Rollo was the first ruler of Normandy."
)


def examples_for(question: dict, negatives: int = 2):
    return train_reader.question_examples(question, CONTEXT, sentence_spans(CONTEXT, 0, len(CONTEXT)), negatives)


def test_an_answerable_question_teaches_its_span_and_two_on_topic_sentences_that_do_not_answer():
    start = CONTEXT.index("1066")
    question = {"question": "When did the Normans conquer England?", "answers": [{"text": "1066", "answer_start": start}]}
    answering, *others = examples_for(question)
    assert answering.sentence[slice(*answering.answer)] == "1066"
    assert len(others) == 2
    assert all(x.answer is None and "1066" not in x.sentence for x in others)
    assert others[0].sentence.startswith("The Normans settled")  # the sentence sharing most words first


def test_an_unanswerable_question_teaches_its_plausible_sentence_first_then_the_most_overlapping():
    plausible = CONTEXT.index("Rollo")
    question = {"question": "Who was the last ruler of Normandy?", "answers": [],
                "plausible_answers": [{"text": "Rollo", "answer_start": plausible}]}
    examples = examples_for(question)
    assert [x.answer for x in examples] == [None, None]
    assert examples[0].sentence.startswith("Rollo")
    assert examples[1].sentence != examples[0].sentence


def test_one_negative_per_question_is_still_available():
    start = CONTEXT.index("1066")
    question = {"question": "When did the Normans conquer England?", "answers": [{"text": "1066", "answer_start": start}]}
    assert len(examples_for(question, negatives=1)) == 2
