"""bench/retrieval.py's scoring: which passage counts as a hit, and the bound of the two retrievers."""

from helpers import import_bench

from qa.models import Passage

retrieval = import_bench("retrieval")

DOCUMENT = "Ukraine offered a deal. More than 70% of these resources lie in three regions. Talks go on."


def sentence(doc_id: str, text: str, document: str = DOCUMENT) -> Passage:
    start = document.index(text)
    return Passage(passage_id=f"{doc_id}:{start}", doc_id=doc_id, start=start, end=start + len(text), text=text)


def test_a_regression_hit_is_a_sentence_overlapping_the_evidence_of_its_own_document():
    relevant = retrieval.overlapping_evidence({"a": DOCUMENT, "b": DOCUMENT})
    item = {"supporting": {"a": "70% of these resources"}}

    assert relevant(item, sentence("a", "More than 70% of these resources lie in three regions."))
    assert not relevant(item, sentence("a", "Talks go on."))
    # the same words in a document the item does not cite are not its evidence
    assert not relevant(item, sentence("b", "More than 70% of these resources lie in three regions."))


def test_a_fitting_set_hit_holds_a_gold_answer_in_the_question_s_own_paragraph():
    squad_item = {"answers": ["70%"], "doc_id": "a"}
    calibration_item = {"answers": ["70%"]}  # no document named: any passage holding the answer
    answering = "More than 70% of these resources lie in three regions."

    assert retrieval.holding_an_answer(squad_item, sentence("a", answering))
    assert not retrieval.holding_an_answer(squad_item, sentence("b", answering))
    assert retrieval.holding_an_answer(calibration_item, sentence("b", answering))
    assert not retrieval.holding_an_answer(calibration_item, sentence("a", "Talks go on."))


def test_the_better_of_the_two_rankings_takes_whichever_ranks_the_evidence_higher():
    assert retrieval.better_rank(4, 18) == 4
    assert retrieval.better_rank(None, 6) == 6  # outside one list: the other decides
    assert retrieval.better_rank(None, None) is None

    figures = retrieval.figures([1, 4, None, 2])
    assert figures == {"hit@1": 0.25, "hit@3": 0.5, "MRR": (1 + 1 / 4 + 1 / 2) / 4}


def test_the_fitting_sets_are_built_from_the_calibration_corpora(tmp_path, monkeypatch):
    # without SQuAD (patched away, so this stays quick): the seeds and the written news remain
    import calibrate_threshold as calibrate  # the modules fitting_sets imports (bench/ is on its path)
    import squad_data

    monkeypatch.setattr(squad_data, "DEFAULT_SQUAD", tmp_path / "no-squad.json")
    monkeypatch.setattr(calibrate, "DEFAULT_SQUAD", tmp_path / "no-squad.json")

    sets = retrieval.fitting_sets(tmp_path)
    assert set(sets) == {"calibration: seeds", "calibration: written"}
    for engine, questions in sets.values():
        assert questions and all(q["answers"] for q in questions)
        assert engine.index.passages
