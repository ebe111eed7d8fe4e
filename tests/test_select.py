"""The answer selector's parts: what a question asks for, and which spans of a sentence could answer it."""

from __future__ import annotations

import pytest

from qa.models import Passage
from qa.retrieve import Hit
from qa.select import analyze_question, answer_head, candidate_spans


@pytest.mark.parametrize(
    "question, intent",
    [
        ("How far did Ukrainian troops advance into Kursk?", "length"),
        ("Who is Trump's special envoy for Russia and Ukraine?", "name"),
        ("When is the Munich Security Conference?", "date"),
        ("In what year did Forbes publish its estimate?", "year"),
        ("What share of the deposits is occupied?", "share"),
        ("How much are Ukraine's mineral resources worth?", "money"),
        ("How many regions hold most of the resources?", "count"),
        ("Why is Kyiv offering recruitment contracts?", "reason"),
        ("Where did Trump speak to journalists?", "place"),
    ],
)
def test_the_question_says_what_kind_of_answer_it_wants(question, intent):
    assert analyze_question(question) == intent


@pytest.mark.parametrize(
    "question, head",
    [
        ("Which wire service interviewed the president?", "wire service"),
        ("Of which aerospace metal does Ukraine hold the most?", "aerospace metal"),
        ("What formerly secret document did he show?", "formerly secret document"),
        ("What is Keith Kellogg's job title?", None),  # "what is ..." names no kind
        ("Who is the envoy?", None),
    ],
)
def test_the_answer_head_is_the_kind_of_thing_named_after_which_or_what(question, head):
    assert answer_head(question) == head


def hit_for(sentence: str, start: int = 100) -> Hit:
    passage = Passage(passage_id=f"doc@{start}", doc_id="doc", start=start, end=start + len(sentence), text=sentence)
    return Hit(passage=passage, row=0, bm25=1.0, bm25_norm=0.5, cosine=0.6, fused=0.03, bm25_rank=1, dense_rank=1)


def spans_of(sentence: str) -> dict[str, str]:
    return {c.text: c.kind for c in candidate_spans(hit_for(sentence), 0)}


def test_candidates_include_typed_values_and_names_with_document_offsets():
    sentence = "Zelensky hopes to meet Trump's special envoy, Keith Kellogg."
    hit = hit_for(sentence, start=40)
    for cand in candidate_spans(hit, 0):
        assert sentence[cand.start - 40 : cand.end - 40] == cand.text
    assert spans_of(sentence).get("Keith Kellogg") == "name"


def test_a_name_at_the_end_of_a_sentence_does_not_take_its_full_stop_but_an_abbreviation_keeps_its_dots():
    spans = spans_of("The offer was made to the U.S.")
    assert "U.S." in spans
    assert "Keith Kellogg." not in spans_of("He met Keith Kellogg.")


def test_lengths_with_conversions_and_reason_clauses_are_candidates():
    spans = spans_of("Troops advanced 2.5 km (1.5 miles) to relieve pressure on Pokrovsk.")
    assert spans.get("2.5 km (1.5 miles)") == "length"
    assert any(kind == "reason" and text.startswith("to relieve") for text, kind in spans.items())
