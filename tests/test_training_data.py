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


# --- the retrieval encoder's triples (bench/train_embedder.py) ---------------------------------------------

train_embedder = import_bench("train_embedder")
calibrate = import_bench("calibrate_threshold")
squad_data = import_bench("squad_data")


def test_each_answerable_question_gives_one_triple_its_answering_sentence_and_an_on_topic_one_that_does_not():
    start = CONTEXT.index("1066")
    answerable = {"question": "When did the Normans conquer England?", "answers": [{"text": "1066", "answer_start": start}]}
    unanswerable = {"question": "Who was the last ruler of Normandy?", "answers": [],
                    "plausible_answers": [{"text": "Rollo", "answer_start": CONTEXT.index("Rollo")}]}
    examples = [x for q in (unanswerable, answerable) for x in examples_for(q, negatives=1)]
    [(question, positive, negative)] = train_embedder.triples_of(examples)
    assert question == answerable["question"]
    assert "1066" in positive and negative.startswith("The Normans settled")


def test_written_triples_are_the_engines_own_passages_one_sentence_each():
    triples = train_embedder.written_triples()
    assert len(triples) > 500
    question, positive, negative = triples[0]
    assert "48 million euro" in positive and "\n" not in positive and positive != negative


def test_no_squad_article_the_encoder_learns_from_fits_the_relevance_model_or_the_answer_scorer():
    relevance_sample = {n + 1 for n in calibrate.FITTING_ARTICLES}  # 0-based there
    paraphrased = {calibrate.PARAPHRASED_ARTICLE + 1}
    learnt = set(train_embedder.TRAINING_ARTICLES)
    assert learnt and not learnt & (relevance_sample | paraphrased | set(squad_data.CONFIDENCE_FITTING))
    assert max(learnt) <= squad_data.FIT_ARTICLES  # 30-35 are for reporting only


def test_a_batch_never_holds_one_sentence_twice():
    import random

    triples = [(f"q{i}", f"s{i % 3}", f"n{i % 5}") for i in range(30)]
    batches = train_embedder.batches_without_repeats(triples, 8, random.Random(1))
    assert sorted(t for b in batches for t in b) == sorted(triples)
    for batch in batches:
        sentences = [s for _, p, n in batch for s in (p, n)]
        assert len(sentences) == len(set(sentences))


def test_a_paraphrased_copy_keeps_its_sentences_and_loses_words_it_shared_with_the_answer():
    triple = ("When did the Normans conquer England in 1066?", "The Normans later conquered England in 1066.",
              "Rollo was the first ruler of Normandy.")
    [original, copy] = train_embedder.with_paraphrased_copies([triple], rate=1.0)
    assert original == triple
    assert copy[1:] == triple[1:]
    assert "Normans" not in copy[0] and copy[0].startswith("When did")
