"""select: ranked passages -> one of three outcomes: a short answer span, the passage most likely to
hold the answer, or "the articles don't cover this" (`Status`), with a confidence and a relevance.

The extractive reader (`qa.reader`) reads the top `READ_SENTENCES` retrieved sentences, each with
the question, and proposes one span per sentence; when the question asks for a kind of value
(`qa.expected`: a year, an amount, a share ...), the values of that kind in those sentences are
candidates too, scored by the reader, and where none of them states a value of that kind the best
retrieved sentence that does is read as well. The answer scorer (`qa.answer_scorer`) gives every
candidate a calibrated confidence; the most confident wins, and below the calibrated threshold the
engine offers its passage instead of a short answer, with the best span marked as a guess only from
the calibrated guess cut up (below it the guesses are mostly wrong) and never where it only repeats
the question. Whether the articles speak to the question at all is a separate, calibrated score
(`qa.relevance`); below its cut the outcome is "none".

So the reader and the scorer, not the retriever's order alone, decide which sentence answers, and a
question whose on-topic sentences do not hold its answer (an unanswerable question about the right
story) is refused on the reader's evidence, not on topic similarity. The answer is always an exact
slice of a document: spans carry document offsets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from qa.answer_scorer import FEATURES as SCORER_FEATURES
from qa.answer_scorer import AnswerScorer, Candidate, answer_scorer, candidate_features, repeats_question
from qa.expected import (asked_count, asked_tense, asks_for_a_time, asks_yes_or_no, counted_term, expected_kinds,
                         out_of_tense)
from qa.logistic import squash
from qa.models import Status
from qa.values import Value, find_names, find_values, is_reporting_date
from qa.values.value import TEMPORAL_KINDS
from qa.reader import CARD_PATH, Reader
from qa.spans import SpanGuess
from qa.relevance import RelevanceModel, relevance_model
from qa.retrieve import Hit

READ_SENTENCES = 3  # reading 6 moved the best-span counts by -2..+3 at twice the cost (docs/experiments.md)
KIND_SEARCH = 10  # how deep to look for a sentence of the asked kind when the read ones hold none
DEFAULT_THRESHOLD = 0.5  # the reader's own operating point (margin 0), until calibrated
DEFAULT_GUESS_CUT = 0.0  # every passage outcome shows its guess, until calibrated


@dataclass(frozen=True)
class Span:
    hit: Hit  # the retrieved sentence the span sits in
    start: int  # offsets in the document text
    end: int
    text: str
    margin: float  # the reader's span score minus the sentence's no-answer score
    confidence: float = 0.0  # the answer scorer's: that this span is a right short answer
    misses_kind: bool = False  # the question asks for a kind of value ("How much did ... pay") and this is none


@dataclass(frozen=True)
class Selection:
    status: Status
    confidence: float  # in the best span
    relevance: float  # that the articles speak to the question
    read: tuple[Span, ...] = ()  # every span the reader proposed, best first
    guess: Span | None = None  # the span a "passage" outcome marks as a possible answer, if sure enough

    @property
    def answered(self) -> bool:
        return self.status == "answer"

    @property
    def best(self) -> Span | None:
        return self.read[0] if self.read else None

    def ranked_hits(self, hits: list[Hit]) -> list[Hit]:
        return in_reader_order(self.read, hits)


def in_reader_order(spans: tuple[Span, ...] | list[Span], hits: list[Hit]) -> list[Hit]:
    """The hits in the reader's order: the sentences it read by their best candidate's confidence,
    then the rest as retrieved. The reader is the better judge of which sentence speaks to the
    question (figures in docs/experiments.md), so related passages are offered in this order."""
    read_rows = {span.hit.row for span in spans}
    return [span.hit for span in spans] + [hit for hit in hits if hit.row not in read_rows]


@lru_cache(maxsize=1)
def abstention_threshold() -> float:
    """The confidence below which the engine offers the passage instead of a short answer, as
    calibrated by bench/calibrate_threshold.py."""
    try:
        return float(json.loads(CARD_PATH.read_text(encoding="utf-8"))["threshold"])
    except (OSError, KeyError, ValueError):
        return DEFAULT_THRESHOLD


@lru_cache(maxsize=1)
def calibrated_guess_cut() -> float:
    """The confidence from which a passage outcome marks its best span as a possible answer, as
    calibrated by bench/calibrate_threshold.py (below it such guesses were right less than half the time)."""
    try:
        return float(json.loads(CARD_PATH.read_text(encoding="utf-8"))["guess_cut"])
    except (OSError, KeyError, ValueError, TypeError):
        return DEFAULT_GUESS_CUT


def read_spans(
    question: str, hits: list[Hit], reader: Reader, depth: int = READ_SENTENCES, scorer: AnswerScorer | None = None,
    ranked: bool = True,
) -> list[Span]:
    """The most confident candidate of each read sentence (the top `depth` hits), best first.
    `ranked=False` scores every sentence as a first one (for sentences read one per source)."""
    scorer = scorer or answer_scorer()
    best: dict[int, Span] = {}
    for span, features in read_candidates(question, hits, reader, depth, ranked):
        scored = replace(span, confidence=scorer.score(features), misses_kind=bool(features[_KIND_MISSES]))
        if span.hit.row not in best or _by_confidence(scored) > _by_confidence(best[span.hit.row]):
            best[span.hit.row] = scored
    return sorted(best.values(), key=_by_confidence, reverse=True)


_KIND_MISSES = SCORER_FEATURES.index("kind_misses")


def read_candidates(
    question: str, hits: list[Hit], reader: Reader, depth: int = READ_SENTENCES, ranked: bool = True,
) -> list[tuple[Span, np.ndarray]]:
    """Every candidate span of the top `depth` hits, with the answer scorer's features for it."""
    kinds = expected_kinds(question)
    event_time = asks_for_a_time(question)
    tense = asked_tense(question)
    counted = asked_count(question) if "number" in kinds else None
    counted = None if counted in _ANYONE else counted  # "How many people ...": passengers and crew are people too
    top = hits[:depth] + sentence_of_the_asked_kind(hits, depth, kinds)
    guesses = read_hits(reader, question, top)
    out = []
    for rank, (hit, guess) in enumerate(zip(top, guesses)):
        values = find_values(hit.passage.text)  # found once: the candidates and their kinds read the same
        for span, pick in candidates_in(hit, guess, kinds, without_reporting_dates=event_time, values=values):
            start, end = span.start - hit.passage.start, span.end - hit.passage.start
            candidate = Candidate(span.text, span.margin, hit.cosine, hit.bm25_norm, rank if ranked else 0, pick,
                                  kinds_within(values, start, end),
                                  out_of_tense=tense is not None and in_another_time(span.text, tense, hit),
                                  counts_another_thing=counted is not None and counts_another_thing(
                                      hit.passage.text, values, start, end, counted))
            out.append((span, candidate_features(question, kinds, candidate)))
    return out


_ANYONE = frozenset({"peopl", "person"})  # tokens' stems of "people", "persons"


def counts_another_thing(sentence: str, values: list[Value], start: int, end: int, counted: str) -> bool:
    """The span's count is of another thing than the question counts, in a sentence that counts the
    asked thing too: "86 reports of overheating, including 14 fires" asked "How many fires ...?"."""
    counts = [(v, counted_term(sentence[v.end:])) for v in values if v.kind == "number"]
    if not any(noun == counted for _, noun in counts):
        return False
    inside = [noun for v, noun in counts if start <= v.start and v.end <= end]
    return bool(inside) and all(noun is not None and noun != counted for noun in inside)


def in_another_time(text: str, tense: str, hit: Hit) -> bool:
    """The span states times, all of them on the wrong side of its report's date for the question."""
    if hit.date is None:  # an undated report says nothing of before and after
        return False
    times = [v for v in find_values(text, reference_date=hit.date) if v.kind in TEMPORAL_KINDS]
    return bool(times) and all(out_of_tense(v, tense, hit.date) for v in times)


def kinds_within(values: list[Value], start: int, end: int) -> frozenset[str]:
    """The kinds of the sentence's values that lie inside [start, end) (sentence offsets)."""
    return frozenset(v.kind for v in values if start <= v.start and v.end <= end)


def read_hits(reader: Reader, question: str, hits: list[Hit]) -> list[SpanGuess]:
    """The reader's guess in each hit's sentence, read after the sentence before it where the reader
    was trained to read so (`Reader.reads_context`)."""
    if not hits:
        return []
    sentences = [h.passage.text for h in hits]
    if getattr(reader, "reads_context", False):
        return reader.read(question, sentences, [h.before for h in hits])
    return reader.read(question, sentences)


def sentence_of_the_asked_kind(hits: list[Hit], depth: int, kinds: frozenset[str]) -> list[Hit]:
    """Where the question asks for a kind of value that none of the top `depth` sentences states, the
    best-ranked sentence within `KIND_SEARCH` that does, to read as well: "How much did the line cost?"
    retrieves the sentences about the line first, and none of them can hold a cost. Where no sentence
    lies beyond the read ones (each source's own reading reads all it is given), nothing is scanned."""
    if not kinds or len(hits) <= depth or any(holds_kind(h, kinds) for h in hits[:depth]):
        return []
    return next(([h] for h in hits[depth:KIND_SEARCH] if holds_kind(h, kinds)), [])


def holds_kind(hit: Hit, kinds: frozenset[str]) -> bool:
    return any(value.kind in kinds for value in find_values(hit.passage.text))


def _by_confidence(span: Span) -> tuple[float, float]:
    return span.confidence, span.margin


def candidates_in(hit: Hit, guess: SpanGuess, kinds: frozenset[str], without_reporting_dates: bool = False,
                  values: list[Value] | None = None) -> list[tuple[Span, bool]]:
    """The reader's own span of a sentence (True), and each value of an asked-for kind in the sentence
    with the reader's score for it (False): "In what year ..." is answered by a year of the sentence
    even where the reader's own pick is a name. `without_reporting_dates`: the question asks when
    something happens, so the day a statement was made ("said on Thursday") is no candidate."""
    sentence = hit.passage.text
    values = find_values(sentence) if values is None else values  # one scan: widening and candidates read the same
    base = hit.passage.start
    reported = {(v.start, v.end) for v in values if without_reporting_dates and v.kind in TEMPORAL_KINDS
                and is_reporting_date(sentence, v.start)}
    own = span_of(hit, guess, values)
    if own is not None and (own.start - base, own.end - base) in reported:
        own = None
    found = [(own, True)] if own else []
    if not kinds:
        return found
    for value in values:
        if value.kind not in kinds or (own is not None and own.text == value.text) or (value.start, value.end) in reported:
            continue
        margin = guess.margin_of(value.start, value.end)
        if margin is not None:
            found.append((Span(hit, base + value.start, base + value.end, value.text, margin), False))
    return found


def span_of(hit: Hit, guess: SpanGuess, values: list[Value] | None = None) -> Span | None:
    """The reader's span in a sentence, as document offsets, made whole: widened to the typed values
    it touches (`values`: the sentence's, found here when not given), but never across words into a
    second value ("11.2 km along the old dock road and has 14" becomes the one of the two values the
    reader scores higher)."""
    sentence = hit.passage.text
    values = find_values(sentence) if values is None else values
    start, end = whole_values(values, guess.start, guess.end)
    end = whole_list(sentence, start, end)
    margin = guess.margin
    touched = [v for v in values if start <= v.start and v.end <= end]
    if len(touched) > 1:
        start, end, margin = _best_scored(touched, guess) or (start, end, margin)
    if end <= start:
        return None
    base = hit.passage.start
    return Span(hit, base + start, base + end, sentence[start:end], margin)


def _best_scored(values: list[Value], guess: SpanGuess) -> tuple[int, int, float] | None:
    scored = [(m, v) for v in values if (m := guess.margin_of(v.start, v.end)) is not None]
    if not scored:
        return None
    margin, value = max(scored, key=lambda pair: pair[0])
    return value.start, value.end, margin


def whole_values(values: list[Value], start: int, end: int) -> tuple[int, int]:
    """Widen a span to every typed value it touches: a value is stated with its hedge, unit and
    conversion ("More than 70%", "2.5 km (1.5 miles)", "next week"), and cutting them off changes
    the fact ("70%" is not what the source says)."""
    for value in values:
        if value.start < end and start < value.end:
            start, end = min(start, value.start), max(end, value.end)
    return start, end


_LIST_SEPARATOR = re.compile(r",\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+")


def whole_list(sentence: str, start: int, end: int) -> int:
    """The end of a span that lists names, moved to the list's last name: a reader that stops inside
    "Donetsk, Dnipropetrovsk, and Luhansk" leaves a region out. A single name is left as it is (the
    question may ask for one of them)."""
    names = find_names(sentence)
    listed = [n for n in names if start <= n.start < end]  # the last may run on ("Germany and Italy")
    if len(listed) < 2 or listed[-1].end < end - 1 or not all(
            _LIST_SEPARATOR.fullmatch(sentence[a.end:b.start]) for a, b in zip(listed, listed[1:])):
        return end
    last = listed[-1]
    for name in (n for n in names if n.start >= last.end):
        if not _LIST_SEPARATOR.fullmatch(sentence[last.end:name.start]):
            break
        last = name
    return max(end, last.end)


def confidence_of(margin: float) -> float:
    return squash(margin)


class Selector:
    """The select stage: `select(question, hits) -> Selection`. The reader, the answer scorer, the
    relevance model, the span threshold and the guess cut are fixed at construction (by default the
    shared reader's and the calibrated card's)."""

    def __init__(self, reader: Reader, *, scorer: AnswerScorer | None = None,
                 relevance: RelevanceModel | None = None, threshold: float | None = None,
                 guess_cut: float | None = None):
        self.reader = reader
        self.scorer = scorer
        self.relevance = relevance
        self.threshold = threshold
        self.guess_cut = guess_cut

    def select(self, question: str, hits: list[Hit]) -> Selection:
        return select_answer(question, hits, self.reader, self.threshold, self.relevance, self.scorer, self.guess_cut)


def select_answer(
    question: str, hits: list[Hit], reader: Reader, threshold: float | None = None,
    relevance: RelevanceModel | None = None, scorer: AnswerScorer | None = None, guess_cut: float | None = None,
) -> Selection:
    spans = read_spans(question, hits, reader, scorer=scorer)
    relevance = relevance or relevance_model()
    related = relevance.score(hits)
    confidence = spans[0].confidence if spans else 0.0
    cut = abstention_threshold() if threshold is None else threshold
    status = outcome(related, relevance.threshold, confidence, cut)
    if asks_yes_or_no(question):  # no span says "yes": the passage is the answer, with nothing marked
        return Selection("passage" if status == "answer" else status, confidence, related, tuple(spans), None)
    guess_from = calibrated_guess_cut() if guess_cut is None else guess_cut
    # a span of another kind than asked ("about 25%" for "How much did it pay?") is no guess: on the
    # calibration sets 1 of 23 such guesses was right
    worth_a_look = (bool(spans) and confidence >= guess_from and not spans[0].misses_kind
                    and not repeats_question(question, spans[0].text))
    guess = spans[0] if status == "passage" and worth_a_look else None
    return Selection(status, confidence, related, tuple(spans), guess)


def outcome(relevance: float, relevance_cut: float, confidence: float, confidence_cut: float) -> Status:
    """Relevance decides first: a confident span in articles about something else is still "none"."""
    if relevance < relevance_cut:
        return "none"
    return "answer" if confidence >= confidence_cut else "passage"
