"""The answer selector: the reader points at a span, the selector picks the sentence that answers."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date

import onnxruntime.quantization
import pytest


from qa import relevance
from qa.models import Passage
from qa.embedding import ModelUnavailable, bundled_minilm_dir
from qa.reader import INT8_GRAPH, PRECISION_ENV, Reader, shared_reader
from qa.spans import whole_words
from qa.retrieve import Hit
from qa.values import find_values
from qa.answer_scorer import UNCALIBRATED, Candidate, answer_scorer, candidate_features, repeats_question
from qa.expected import asks_for_a_time, expected_kinds
from qa.select import (candidates_in, confidence_of, counts_another_thing, read_candidates, kinds_within, read_spans, select_answer, sentence_of_the_asked_kind, span_of,
                       whole_list, whole_values)


@pytest.fixture(scope="module")
def reader():
    return shared_reader()


def hit_for(sentence: str, start: int = 100, rank: int = 1) -> Hit:
    passage = Passage(passage_id=f"doc@{start}", doc_id="doc", start=start, end=start + len(sentence), text=sentence)
    return Hit(passage=passage, row=start, bm25=1.0, bm25_norm=0.5, cosine=0.6, fused=1 / (60 + rank),
               bm25_rank=rank, dense_rank=rank)


@pytest.mark.parametrize(
    "sentence, piece, expected",
    [
        ("Zelenskiy stated it on Friday.", "Zelensk", "Zelenskiy"),  # a word piece never cuts a name
        ("He met Keith Kellogg, the envoy.", "Keith Kellogg,", "Keith Kellogg"),  # hanging comma dropped
        ("The offer was made to the U.S.", "U.S.", "U.S."),  # an abbreviation keeps its dots
        ("Troops advanced 2.5 km (1.5 miles) on Friday.", "2.5 km (1.5 miles)", "2.5 km (1.5 miles)"),
        ("It is worth $14.8 trillion.", "$14.8 trillion.", "$14.8 trillion"),  # the full stop is the sentence's
    ],
)
def test_spans_are_widened_to_whole_words_and_lose_hanging_punctuation(sentence, piece, expected):
    start = sentence.index(piece)
    s, e = whole_words(sentence, start, start + len(piece))
    assert sentence[s:e] == expected


@pytest.mark.parametrize(
    "sentence, piece, expected",
    [
        ("More than 70% of these resources sit in three regions.", "70%", "More than 70%"),  # the hedge is the fact
        ("Troops advanced 2.5 km (1.5 miles) into Kursk.", "2.5 km", "2.5 km (1.5 miles)"),  # with its conversion
        ("Trump will speak with him next week.", "week", "next week"),
        ("Keith Kellogg will attend.", "Keith Kellogg", "Keith Kellogg"),  # no value: unchanged
    ],
)
def test_a_span_touching_a_value_takes_the_whole_value(sentence, piece, expected):
    start = sentence.index(piece)
    s, e = whole_values(find_values(sentence), start, start + len(piece))
    assert sentence[s:e] == expected


@pytest.mark.parametrize(
    "sentence, piece, expected",
    [
        ("Most sit in three regions: Donetsk, Dnipropetrovsk, and Luhansk.", "Donetsk, Dnipropetrovsk",
         "Donetsk, Dnipropetrovsk, and Luhansk"),  # a list stopped short leaves a region out
        ("Talks included France, Germany and Italy, officials said.", "France, Germany", "France, Germany and Italy"),
        ("Delegates from Paris, Rome, Berlin, and Oslo met.", "Paris, Rome", "Paris, Rome, Berlin, and Oslo"),
        ("Most sit in three regions: Donetsk, Dnipropetrovsk, and Luhansk.", "Donetsk", "Donetsk"),  # one name: one of them
        ("Delegates from Paris, Rome met Berlin officials.", "Paris, Rome", "Paris, Rome"),  # the list has ended
    ],
)
def test_a_span_that_lists_names_takes_the_whole_list(sentence, piece, expected):
    start = sentence.index(piece)
    assert sentence[start:whole_list(sentence, start, start + len(piece))] == expected


HARBOUR = "The Harbour Line runs 11.2 km along the old dock road and has 14 stations."


def sentence_hit(sentence: str) -> Hit:
    passage = Passage(passage_id="p", doc_id="d", start=0, end=len(sentence), text=sentence)
    return Hit(passage=passage, row=0, bm25=0.0, bm25_norm=0.0, cosine=0.0, fused=0.0, bm25_rank=None, dense_rank=None)


def test_a_span_is_never_widened_across_words_into_a_second_value(reader):
    hit = sentence_hit(HARBOUR)
    for question in ("How many stations does the Harbour Line have?", "What does the Harbour Line have?"):
        span = span_of(hit, reader.read(question, [HARBOUR])[0])
        assert span.text != "11.2 km along the old dock road and has 14"
        assert not (span.text.count("11.2 km") and span.text.count("14"))


def test_the_reader_points_at_the_name_a_who_question_asks_for(reader):
    sentence = "Zelensky hopes to meet Trump's special envoy for Russia and Ukraine, Keith Kellogg, in Munich."
    guess = reader.read("Who is Trump's special envoy for Russia and Ukraine?", [sentence])[0]
    assert sentence[guess.start : guess.end] == "Keith Kellogg"
    assert guess.margin > 0


BRISTOW = "BRISTOW, March 4, 2025 - The Harbour Line opened on Monday after a four-year build."


def test_a_dateline_is_read_as_context_but_never_offered_as_an_answer(reader):
    hit = sentence_hit(BRISTOW)
    question = "When did the Harbour Line open?"
    offered = [span.text for span, _ in candidates_in(hit, reader.read(question, [BRISTOW])[0], expected_kinds(question))]
    assert offered and "March 4, 2025" not in offered  # the day the report was filed
    assert "Monday" in offered
    guess = reader.read("Where did the Harbour Line open?", [BRISTOW])[0]
    assert guess.start >= BRISTOW.index("The Harbour")  # not the city it was filed from


def test_the_reader_says_no_answer_when_the_sentence_does_not_hold_one(reader):
    sentence = "Zelensky hopes to meet Trump's special envoy for Russia and Ukraine, Keith Kellogg, in Munich."
    guess = reader.read("What is the capital of France?", [sentence])[0]
    assert guess.margin < 0


def test_the_selector_answers_from_the_sentence_that_holds_the_answer_not_the_top_retrieved(reader):
    distractor = "Ukrainian forces have launched a new offensive in Russia's Kursk region."
    answering = "The troops advanced 2.5 km (1.5 miles) into the region on the first day."
    hits = [hit_for(distractor, start=0, rank=1), hit_for(answering, start=200, rank=2)]
    selection = select_answer("How far did the troops advance?", hits, reader, threshold=0.0)
    assert selection.best.text == "2.5 km (1.5 miles)"
    assert selection.best.hit.passage.text == answering
    assert (selection.best.start, selection.best.end) == (200 + answering.index("2.5"), 200 + answering.index(" into"))


def test_even_when_abstaining_the_sentences_are_offered_in_the_readers_order(reader):
    distractor = "Ukrainian forces have launched a new offensive in Russia's Kursk region."
    answering = "The troops advanced 2.5 km (1.5 miles) into the region on the first day."
    others = ["Zelensky spoke to Reuters on Friday.", "The talks will resume next week."]
    hits = [hit_for(distractor, start=0, rank=1), hit_for(answering, start=200, rank=2),
            hit_for(others[0], start=400, rank=3), hit_for(others[1], start=600, rank=4)]
    selection = select_answer("How far did the troops advance?", hits, reader, threshold=1.01)
    assert not selection.answered
    ranked = [h.passage.text for h in selection.ranked_hits(hits)]
    assert ranked[0] == answering  # the reader's pick leads
    assert ranked[-1] == others[1]  # beyond the sentences read, the retrieval order stands
    assert sorted(ranked) == sorted(h.passage.text for h in hits)


def test_the_confidence_is_the_margin_squashed_and_decides_abstention(reader):
    hits = [hit_for("The troops advanced 2.5 km (1.5 miles) into the region on the first day.")]
    sure = select_answer("How far did the troops advance?", hits, reader, threshold=0.0)
    assert 0.0 <= sure.confidence <= 1.0 and sure.answered
    assert not select_answer("How far did the troops advance?", hits, reader, threshold=1.01).answered
    assert select_answer("How far did the troops advance?", [], reader) .answered is False


def test_a_guess_is_offered_only_for_a_passage_and_only_from_the_guess_cut(reader):
    hits = [hit_for("The troops advanced 2.5 km (1.5 miles) into the region on the first day.")]
    question = "How far did the troops advance?"
    offered = select_answer(question, hits, reader, threshold=1.01, guess_cut=0.0)
    assert offered.status == "passage" and offered.guess == offered.best
    withheld = select_answer(question, hits, reader, threshold=1.01, guess_cut=offered.confidence + 0.01)
    assert withheld.status == "passage" and withheld.guess is None and withheld.best == offered.best
    assert select_answer(question, hits, reader, threshold=0.0, guess_cut=0.0).guess is None  # an answer is no guess


def test_a_span_of_another_kind_than_asked_is_no_guess(reader):
    hits = [hit_for("Martin Okafor, its chief executive, said about 25% of treated water was lost through leaks.")]
    asked_money = select_answer("How much did Brenmoor pay its chief executive?", hits, reader, threshold=1.01, guess_cut=0.0)
    assert asked_money.status == "passage" and asked_money.best.text == "about 25%"
    assert asked_money.best.misses_kind and asked_money.guess is None
    asked_share = select_answer("How much of the treated water is lost?", hits, reader, threshold=1.01, guess_cut=0.0)
    assert asked_share.guess is not None and asked_share.guess.text == "about 25%"  # a question naming no kind


@pytest.mark.parametrize(("question", "span", "repeats"), [
    ("Who is Keith Kellogg?", "Keith Kellogg", True),
    ("Who did Zelensky give the interview to?", "Zelenskiy", True),  # another spelling
    ("Who did Zelensky give the interview to?", "Volodymyr Zelensky", True),  # the name in full
    ("What did the U.S. offer?", "United States", True),
    ("Who is Keith Kellogg?", "Trump's special envoy", False),
    ("Who did Zelensky give the interview to?", "Reuters", False),
    ("Which is bigger, Kyiv or Lviv?", "Kyiv", False),  # a choice is answered by the question's own words
    ("Who sentenced Vance?", "Gregor Vance, the former mayor of Linthorpe", True),  # the name, then who it is
    ("Who met Zelensky?", "Keith Kellogg, the special envoy", False),
])
def test_a_span_that_only_repeats_the_question_is_told_apart(question, span, repeats):
    assert repeats_question(question, span) is repeats


def test_missing_reader_weights_are_reported_as_an_unusable_model(tmp_path):
    with pytest.raises(ModelUnavailable, match="reader weights not found"):
        Reader(bundled_minilm_dir(), tmp_path / "absent.safetensors")


KURSK = "Ukrainian troops advanced 2.5 km (1.5 miles) into Russia's Kursk region, a blogger said."
HOW_FAR = "How far did the troops advance?"


def test_the_onnx_and_pytorch_readers_point_at_the_same_span(reader):
    torch_guess = Reader(bundled_minilm_dir(), backend="torch").read(HOW_FAR, [KURSK])[0]
    onnx_guess = Reader(bundled_minilm_dir(), backend="onnx", precision="float32").read(HOW_FAR, [KURSK])[0]
    assert (torch_guess.start, torch_guess.end) == (onnx_guess.start, onnx_guess.end)
    assert abs(torch_guess.margin - onnx_guess.margin) < 1e-2


def test_the_int8_reader_points_at_the_float_readers_span_with_a_close_margin(reader):
    assert (reader.backend, reader.precision) == ("onnx", "int8")  # the default
    int8_guess = reader.read(HOW_FAR, [KURSK])[0]
    float_guess = Reader(bundled_minilm_dir(), backend="onnx", precision="float32").read(HOW_FAR, [KURSK])[0]
    assert KURSK[int8_guess.start : int8_guess.end] == KURSK[float_guess.start : float_guess.end] == "2.5 km"
    assert abs(int8_guess.margin - float_guess.margin) < 1.0


def test_the_int8_readers_weights_fit_in_7_bits_so_every_cpu_computes_the_same_scores(reader):
    """With 8-bit weights a CPU without VNNI saturates its int16 sums of u8 x s8 products and one with
    VNNI does not: the same question read otherwise on two laptops. With weights of at most 64 in
    magnitude (7 bits, `reduce_range`) a pair of products is at most 2 x 255 x 64 = 32,640: it fits."""
    import onnx
    from onnx import numpy_helper

    from qa.reader import WEIGHTS_PATH, onnx_folder

    graph = onnx.load(str(onnx_folder(bundled_minilm_dir(), WEIGHTS_PATH) / INT8_GRAPH)).graph
    int8_weights = [numpy_helper.to_array(t) for t in graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert len(int8_weights) >= 36  # every linear layer of the six blocks is quantized
    assert all(abs(int(w.min())) <= 64 and int(w.max()) <= 64 for w in int8_weights)


def test_a_failed_int8_quantization_leaves_the_reader_in_float32(float_graph_only, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("no room left on the device")

    monkeypatch.setattr(onnxruntime.quantization, "quantize_dynamic", broken)
    with caplog.at_level(logging.WARNING, logger="qa.reader"):
        fallback = Reader(bundled_minilm_dir(), backend="onnx")
    assert (fallback.backend, fallback.precision) == ("onnx", "float32")
    assert "int8 quantization failed: no room left on the device" in caplog.text
    assert not (float_graph_only / INT8_GRAPH).exists()
    assert KURSK[slice(*_span(fallback))] == "2.5 km"


def test_a_damaged_int8_graph_is_not_used_and_is_made_again_next_time(float_graph_only, caplog):
    (float_graph_only / INT8_GRAPH).write_bytes(b"not an onnx graph")
    with caplog.at_level(logging.WARNING, logger="qa.reader"):
        assert Reader(bundled_minilm_dir(), backend="onnx").precision == "float32"
    assert "cannot load" in caplog.text and not (float_graph_only / INT8_GRAPH).exists()
    assert Reader(bundled_minilm_dir(), backend="onnx").precision == "int8"  # quantized anew


def test_an_unknown_reader_precision_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "int4")
    with pytest.raises(ModelUnavailable, match="must be int8 or float32, not 'int4'"):
        Reader(bundled_minilm_dir())


def _span(reader: Reader) -> tuple[int, int]:
    guess = reader.read(HOW_FAR, [KURSK])[0]
    return guess.start, guess.end


def test_a_very_long_question_is_read_by_its_first_64_tokens_not_refused(reader):
    sentence = "Zelensky hopes to meet Trump's special envoy for Russia and Ukraine, Keith Kellogg, in Munich."
    question = "Who is Trump's special envoy for Russia and Ukraine? " + "Tell me more about it. " * 60
    guess = reader.read(question, [sentence])[0]
    assert 0 <= guess.start < guess.end <= len(sentence)  # a span of the sentence, not a tokenizer error


def test_a_question_asking_for_a_year_makes_each_year_of_the_sentence_a_candidate(reader):
    sentence = "Cycling accounted for 35 percent of trips in 2020, up from 22 percent in 2012, when the centre closed."
    hit = sentence_hit(sentence)
    question = "In what year was the centre closed to through traffic?"
    guess = reader.read(question, [sentence])[0]
    candidates = {span.text: reader_pick for span, reader_pick in candidates_in(hit, guess, expected_kinds(question))}
    assert {"2020", "2012"} <= set(candidates)
    assert all(sentence[span.start : span.end] == span.text for span, _ in candidates_in(hit, guess, {"year"}))
    assert candidates_in(hit, guess, frozenset()) == [(span_of(hit, guess), True)]  # no kind asked: the reader's span only


def test_every_read_span_is_the_exact_text_at_its_document_offsets(reader):
    document = "Headline\n\n" + HARBOUR + " It cost $1.3 billion and opened in 2019."
    start = document.index(HARBOUR)
    hits = [hit_for(HARBOUR, start=start, rank=1), hit_for("It cost $1.3 billion and opened in 2019.",
                                                          start=start + len(HARBOUR) + 1, rank=2)]
    for question in ("How much did the Harbour Line cost?", "When did the line open?", "How long is the line?"):
        for span in read_spans(question, hits, reader):
            assert document[span.start : span.end] == span.text
            assert 0.0 <= span.confidence <= 1.0


def test_until_calibrated_the_scorer_is_the_readers_squashed_margin():
    for margin in (-12.0, -1.0, 0.0, 2.5, 20.0):
        features = candidate_features("Who?", frozenset(), Candidate("Keith Kellogg", margin, 0.5, 0.5, 0, True))
        clipped = min(max(margin, -10.0), 15.0)
        assert UNCALIBRATED.score(features) == confidence_of(clipped)


def test_the_calibrated_scorer_rises_with_the_readers_margin_and_punishes_the_wrong_kind():
    scorer = answer_scorer()
    kinds = frozenset({"year"})
    def score(text, margin):
        return scorer.score(candidate_features("In what year?", kinds, Candidate(text, margin, 0.5, 0.5, 0, True)))
    assert score("2012", -2.0) < score("2012", 1.0) < score("2012", 6.0)
    assert score("the centre", 1.0) < score("2012", 1.0)


# --- a question asking for a kind of value reads a sentence that states one -------------------------------

LINE_REPORT = [
    "The city's new Harbour Line opened to passengers on Monday, three years after works began.",
    "The Harbour Line, the city's first tram line in half a century, opened on Monday.",
    "Shop owners said two years of roadworks for the Harbour Line had cost them customers.",
    "The line cost EUR 412 million to build, the city said.",
    "Critics said the fares were too high.",
]


def test_where_no_read_sentence_states_the_asked_kind_the_best_one_that_does_is_read_too():
    hits = [hit_for(s, start=100 * i, rank=i + 1) for i, s in enumerate(LINE_REPORT)]
    money = expected_kinds("How much did the Harbour Line cost?")
    assert [h.passage.text for h in sentence_of_the_asked_kind(hits, 3, money)] == [LINE_REPORT[3]]
    assert sentence_of_the_asked_kind(hits, 4, money) == []  # already among the read ones
    assert sentence_of_the_asked_kind(hits, 3, expected_kinds("Who opened the Harbour Line?")) == []  # no kind asked


def test_the_cost_is_read_and_offered_though_the_line_sentences_rank_first(reader):
    hits = [hit_for(s, start=100 * i, rank=i + 1) for i, s in enumerate(LINE_REPORT)]
    spans = read_spans("How much did the Harbour Line cost?", hits, reader)
    assert "EUR 412 million" in [s.text for s in spans]


def test_a_sentence_read_after_the_one_before_it_gets_its_answer_from_itself_never_from_the_context(reader):
    before = "Ukrainian President Volodymyr Zelensky met Keith Kellogg in Munich on Friday."
    sentence = "He said Putin has to be stopped."
    guess = reader.read("Which leader has to be stopped, according to Zelensky?", [sentence], [before])[0]
    assert 0 <= guess.start < guess.end <= len(sentence)  # offsets into the sentence, not into the context
    offsets, _, _ = guess.token_scores
    assert (offsets >= 0).all() and offsets.max() <= len(sentence)  # typed candidates are scored in it too
    alone = reader.read("Which leader has to be stopped, according to Zelensky?", [sentence])[0]
    assert alone.no_answer != guess.no_answer  # the context was read


def test_the_context_read_is_the_end_of_the_sentence_before_from_a_word_start():
    from qa.spans import CONTEXT_CHARS, with_context

    assert with_context("", "It opened in 2019.") == ("It opened in 2019.", 0)
    long_before = "The Harbour Line, " + "which runs along the bay, " * 20 + "was built by Norvale."
    text, start = with_context(long_before, "It opened in 2019.")
    assert text[start:] == "It opened in 2019." and text.endswith(" was built by Norvale. It opened in 2019.")
    assert start - 1 <= CONTEXT_CHARS and long_before.endswith(text[: start - 1])
    assert not text[0].isspace() and text[: start - 1].split()[0] in long_before.split()  # no word cut in half


def test_the_day_a_closure_was_announced_is_no_answer_to_when_the_plant_closes(reader):
    sentence = "Norvale Foods said on Thursday it will close its biscuit factory in Ashby next year."
    hit = sentence_hit(sentence)
    offered = {}
    for question in ("When will the factory close?", "When did Norvale announce the closure?"):
        guess = reader.read(question, [sentence])[0]
        offered[question] = {span.text for span, _ in candidates_in(
            hit, guess, expected_kinds(question), without_reporting_dates=asks_for_a_time(question))}
    assert "Thursday" not in offered["When will the factory close?"]
    assert "next year" in offered["When will the factory close?"]
    assert "Thursday" in offered["When did Norvale announce the closure?"]


def test_a_month_read_in_its_sentence_fits_a_question_asking_when():
    sentence = "Kvarner Wings will start flying from Rijeka in April with three jets."
    question = "When will Kvarner Wings start flying?"
    at = sentence.index("April")
    in_context = kinds_within(find_values(sentence), at, at + len("April"))
    assert in_context == {"date"}  # "in April" is a date; "April" cut out of it is not read as one
    alone, read = (candidate_features(question, expected_kinds(question),
                                      Candidate("April", 1.0, 0.5, 0.5, 0, True, kinds)) for kinds in (frozenset(), in_context))
    assert (alone[1], alone[2]) == (0.0, 1.0) and (read[1], read[2]) == (1.0, 0.0)  # kind_fits, kind_misses


def test_a_relevance_model_stored_for_other_features_is_not_applied_to_these(tmp_path, monkeypatch):
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"relevance": {"features": ["cosine"], "weights": [20.0], "bias": -7.0,
                                              "threshold": 0.5}}), encoding="utf-8")
    monkeypatch.setattr(relevance, "CARD_PATH", card)
    assert relevance.relevance_model.__wrapped__() == relevance.UNCALIBRATED
    stored = {"features": list(relevance.FEATURES), "weights": [1.0] * len(relevance.FEATURES), "bias": 0.0,
              "threshold": 0.25}
    card.write_text(json.dumps({"relevance": stored}), encoding="utf-8")
    assert relevance.relevance_model.__wrapped__().threshold == 0.25


def test_a_time_before_the_report_is_no_answer_to_what_lies_ahead(reader):
    sentence = "The social club, which has stood opposite the main gate since 1962, said it would stay open."
    question = "When will the plant close?"
    undated = [s for s in read_spans(question, [sentence_hit(sentence)], reader) if s.text == "1962"]
    dated = [s for s in read_spans(question, [replace(sentence_hit(sentence), date=date(2024, 3, 15))], reader)
             if s.text == "1962"]
    assert undated and not undated[0].misses_kind  # a year fits "when", where nothing says when the report is
    assert dated and dated[0].misses_kind and dated[0].confidence < undated[0].confidence
    assert select_answer(question, [replace(sentence_hit(sentence), date=date(2024, 3, 15))], reader,
                         threshold=1.01, guess_cut=0.0).guess is None


def test_a_bare_name_is_no_reason(reader):
    sentence = "Carvell Motors will close its plant in Redmere because demand for its petrol cars has fallen."
    why, where = "Why is Carvell closing the plant?", "Where is Carvell closing a plant?"
    features = {q: candidate_features(q, expected_kinds(q), Candidate("Redmere", 1.0, 0.5, 0.5, 0, True)) for q in (why, where)}
    assert (features[why][1], features[why][2]) == (0.0, 1.0)  # kind_fits, kind_misses: a name is no reason
    assert (features[where][1], features[where][2]) == (0.0, 0.0)  # "where" names no kind of value
    reasons = candidate_features(why, frozenset(), Candidate("demand for its petrol cars has fallen", 1.0, 0.5, 0.5, 0, True))
    assert reasons[2] == 0.0
    assert all(s.misses_kind for s in read_spans(why, [sentence_hit(sentence)], reader) if s.text == "Redmere")


def test_a_yes_or_no_question_gets_its_passage_and_no_span(reader):
    hits = [hit_for("Vance's lawyer, Martin Osei, said his client was disappointed and was considering an appeal.")]
    sure = select_answer("Will Vance appeal?", hits, reader, threshold=0.0, guess_cut=0.0)
    assert sure.status == "passage" and sure.guess is None  # however sure the reader is of a span
    assert sure.best is not None and sure.best.hit is hits[0]  # the passage it shows


FIRES = "Velora said it had received 86 reports of overheating, including 14 fires and three minor burns."


def test_a_count_of_another_thing_misses_what_the_question_counts():
    values = find_values(FIRES)
    at = {text: (FIRES.index(text), FIRES.index(text) + len(text)) for text in ("86", "14", "three")}
    assert counts_another_thing(FIRES, values, *at["86"], counted="fire")  # 86 reports, not fires
    assert not counts_another_thing(FIRES, values, *at["14"], counted="fire")
    assert not counts_another_thing(FIRES, values, *at["86"], counted="report")
    assert not counts_another_thing(FIRES, values, *at["86"], counted="kettl")  # nothing here counts kettles


def test_how_many_fires_is_read_as_the_count_of_fires(reader):
    spans = read_spans("How many fires were reported?", [hit_for(FIRES)], reader)
    assert spans[0].text == "14" and not spans[0].misses_kind  # not "86": those are reports


def test_passengers_and_crew_are_people_when_a_question_counts_people(reader):
    sentence = ("The ferry had 286 people on board when it overturned, although it was certified to carry a maximum "
                "of 150 passengers and crew.")
    candidates = read_candidates("How many people was the ferry allowed to carry?", [hit_for(sentence)], reader)
    kind_misses = {span.text: features[2] for span, features in candidates}
    assert kind_misses["150"] == 0.0  # not "another thing" than people
