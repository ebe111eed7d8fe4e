"""Stages handed to the engine: each is an object with one public method, and a newcomer changes the
engine by writing one class and passing it in (docs/architecture.md, "How to change a stage")."""

from __future__ import annotations

from qa.agree import NoAgreement
from qa.engine import Engine
from qa.spans import SpanGuess
from qa.retrieve import Hit, Retriever
from qa.select import Selector
from qa.values import find_values

KURSK = "How far did Ukrainian troops advance into Kursk?"
DOC_004 = "004_7480487250863ef3"


class FirstValueReader:
    """A second reader: in each sentence, the first typed value it states (a number, a distance, a
    date...), sure of it when the sentence holds one, of nothing otherwise."""

    def read(self, question: str, sentences: list[str]) -> list[SpanGuess]:
        return [self._guess(sentence) for sentence in sentences]

    @staticmethod
    def _guess(sentence: str) -> SpanGuess:
        values = find_values(sentence)
        if not values:
            return SpanGuess(0, min(5, len(sentence)), score=-9.0, no_answer=0.0)
        return SpanGuess(values[0].start, values[0].end, score=12.0, no_answer=0.0)


class WithoutDocument:
    """A retriever that wraps another and never returns the passages of one document."""

    def __init__(self, inner: Retriever, doc_id: str):
        self.inner = inner
        self.doc_id = doc_id

    def retrieve(self, question: str) -> list[Hit]:
        return [hit for hit in self.inner.retrieve(question) if hit.passage.doc_id != self.doc_id]


def cited_exactly(answer, engine) -> bool:
    return all(engine.documents[c.doc_id].text[c.start : c.end] == c.text for c in answer.citations)


def test_a_second_reader_passed_to_the_engine_gives_its_own_answer_with_exact_offsets(seed_engine):
    engine = Engine(seed_engine.corpus_dir, seed_engine.index_dir, reader=FirstValueReader())
    answer = engine.answer(KURSK)
    assert answer.answered
    top = answer.citations[0]
    text = engine.documents[top.doc_id].text
    assert text[top.answer_start : top.answer_end] == answer.answer  # offsets are sacred
    assert find_values(answer.answer)  # what this reader reads: a value
    assert cited_exactly(answer, engine)


def test_a_retriever_built_from_the_engine_decides_what_every_later_stage_sees(seed_engine):
    engine = Engine(seed_engine.corpus_dir, seed_engine.index_dir,
                    retriever=lambda engine: WithoutDocument(Retriever(engine.index, engine.embedder), DOC_004))
    answer = engine.answer(KURSK)
    assert DOC_004 not in {c.doc_id for c in answer.citations}
    assert {s.doc_id: s.marker for s in answer.sources}[DOC_004] == "silent"
    assert cited_exactly(answer, engine)


def test_fusion_is_chosen_when_the_retriever_is_built(seed_engine):
    keyword_only = Retriever(seed_engine.index, seed_engine.embedder, fusion="bm25", k=5)
    hits = keyword_only.retrieve(KURSK)
    assert len(hits) == 5
    assert [h.fused for h in hits] == sorted((h.bm25 for h in hits), reverse=True)


def test_an_agreement_stage_that_marks_nothing_leaves_every_source_silent(seed_engine):
    engine = Engine(seed_engine.corpus_dir, seed_engine.index_dir, agreement=NoAgreement())
    answer = engine.answer(KURSK)
    assert {s.marker for s in answer.sources} == {"silent"}
    assert answer.status == seed_engine.answer(KURSK).status  # the answer itself does not depend on it


def test_a_selector_built_with_its_own_threshold_decides_between_a_short_answer_and_the_passage(seed_engine):
    bold = Engine(seed_engine.corpus_dir, seed_engine.index_dir, selector=lambda e: Selector(e.reader, threshold=0.0))
    never = Engine(seed_engine.corpus_dir, seed_engine.index_dir, selector=lambda e: Selector(e.reader, threshold=2.0))
    assert bold.answer(KURSK).status == "answer"
    cautious = never.answer(KURSK)
    assert cautious.status == "passage" and cautious.answer is None
    assert cited_exactly(cautious, never)


def test_a_passage_marks_the_readers_span_as_a_guess_only_from_the_guess_cut(seed_engine):
    def passage_engine(guess_cut):
        return Engine(seed_engine.corpus_dir, seed_engine.index_dir,
                      selector=lambda e: Selector(e.reader, threshold=2.0, guess_cut=guess_cut))

    guessed = passage_engine(0.0).answer(KURSK)
    top = guessed.citations[0]
    assert guessed.status == "passage"
    assert top.text[top.answer_start - top.start:top.answer_end - top.start] == "2.5 km (1.5 miles)"
    unmarked = passage_engine(guessed.confidence + 0.01).answer(KURSK)
    assert unmarked.status == "passage" and unmarked.answer is None
    assert unmarked.citations[0].text == top.text  # the same closest passage, its span no longer marked
    assert (unmarked.citations[0].answer_start, unmarked.citations[0].answer_end) == (None, None)


def test_a_guess_that_only_repeats_the_question_is_never_marked(seed_engine):
    question = "Who is Keith Kellogg?"
    every_guess = Engine(seed_engine.corpus_dir, seed_engine.index_dir,
                         selector=lambda e: Selector(e.reader, threshold=2.0, guess_cut=0.0))
    selection = every_guess.selector.select(question, every_guess.retriever.retrieve(question))
    assert selection.best.text == "Keith Kellogg" and selection.guess is None
    top = every_guess.answer(question).citations[0]
    assert top.text == selection.best.hit.passage.text and top.answer_start is None


def test_each_retrieved_sentence_carries_the_sentence_before_it_in_its_own_document(seed_engine):
    hits = seed_engine.retriever.retrieve("Which leader did Zelensky say has to be stopped?")
    passages = seed_engine.corpus.passages
    for hit in hits:
        text = seed_engine.documents[hit.passage.doc_id].text
        earlier = [p for p in passages if p.doc_id == hit.passage.doc_id and p.end <= hit.passage.start]
        assert hit.before == (earlier[-1].text if earlier else "")
        assert not hit.before or text.index(hit.before) < hit.passage.start  # read as context, never cited


def test_each_retrieved_sentence_carries_its_documents_date(seed_engine):
    hits = seed_engine.retriever.retrieve("When did Zelensky first talk to Trump about American investment?")
    assert all(hit.date == seed_engine.documents[hit.passage.doc_id].date for hit in hits)
    assert any(hit.date is not None for hit in hits)  # the seed of 4 February 2025 is dated


def test_a_yes_or_no_question_shows_the_passage_with_every_source_silent(seed_engine):
    a = seed_engine.answer("Is Ukraine willing to let American companies develop its rare earths?")
    assert a.status == "passage" and a.answer is None
    assert a.citations and a.citations[0].answer_start is None  # no span is a yes
    assert {s.marker for s in a.sources} == {"silent"} and a.values == []
