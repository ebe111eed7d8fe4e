"""agree: each source's own reading of the question -> one marker per source, and the consensus.

Every source answers for itself. The documents among the retrieved sentences (at most
`MAX_SOURCES_READ` of them, each by its `SENTENCES_PER_SOURCE` best sentences, so the cost is bounded
by the documents read, never by the corpus or its near-duplicates) are read by the reader, and a
source's own value is its most confident candidate span (`qa.select.read_spans`: the reader's span
and, for a question asking for a kind of value, the values of that kind, scored by the answer
scorer) when that confidence reaches the calibrated source cut and the span says more than the
question (`answer_scorer.repeats_question`: "Zelenskiy" is no answer to "Who did Zelensky ...").
Values are then grouped by meaning (`values.compatible`: hedges as intervals, unit conversions with
rounding, number words, dates against each article's date, name spellings and initialisms), and
the group most sources state is the consensus (the reader's summed confidence breaks ties: summed
alone, two confident readings of a wrong value outweighed four hesitant readings of the right one).

A source is marked
- agrees: its own value is the consensus, or one of its retrieved sentences about the question
  states the consensus value (the reader can miss a value a sentence plainly states, and reads only
  a source's best sentence, so the claim is also looked for, without the reader, by qa/claims.py: the
  same typed value next to the same words, the same name, or all of a phrase's words);
- conflicts: it states a value of the same kind that is incompatible (or another name), either as its
  own confident reading of the question or next to the same words as the consensus; either way the
  words around it must be the consensus's (a length is never compared with a count, a name never
  conflicts on a mere mention, and "nearly 20% of the land is occupied" does not contradict "70% of
  the wealth is in three regions");
- silent: nothing it says answers the question.
Where no short answer is stood behind, the consensus is recounted once after the marking: if more
sources state one other value than state the consensus (the reader was sure of a minority value and
unsure of the others'), that value becomes the consensus.
Documents no retrieved sentence comes from are silent without any work, and so is a document of
another story than the answer's (as retrieval groups documents, `Hit.story`) that never names what
the question names: in a folder of many stories, another company's chief executive or another
fire's firefighters are no answer to the question, let alone a conflicting one.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from qa.answer_scorer import repeats_question
from qa.claims import Claim, about_same_slot, judge_document, make_claim, related_sentences, source_mark
from qa.corpus import Corpus
from qa.expected import asks_yes_or_no
from qa.models import SourceAgreement, StatedValue
from qa.reader import CARD_PATH, Reader
from qa.retrieve import Hit
from qa.select import Selection, Span, read_spans
from qa.tokens import tokenize
from qa.values import Value, canonical_name, compatible, parse_value

MAX_SOURCES_READ = 12  # documents whose own reading is asked for, best retrieved first
SENTENCES_PER_SOURCE = 1  # seed calibration markers 0.881 with 2, 0.875 with 1, at two thirds of the cost
DEFAULT_SOURCE_CUT = 0.12  # a source's reading counts from this confidence, until calibrated
CONFLICT_CONFIDENCE = 0.5  # a reading must be at least this sure to contradict the consensus on its own
MARKER_ORDER = {"agrees": 0, "conflicts": 1, "silent": 2}
NOT_NAMES = frozenset(n.lower() for n in [*calendar.month_name[1:], *calendar.day_name])
CAPITALISED = re.compile(r"\b[A-Z][a-z][\w'’-]*")
NAME_PREFIX = 5  # letters a mention must share with a name: Zelensky, Zelenskiy and Zelenskyy are one


@dataclass(frozen=True)
class Reading:
    """One source's own answer to the question: its best span and what the span means."""

    doc_id: str
    span: Span
    value: Value | None
    confidence: float  # the answer scorer's, in the source's best span


@dataclass
class ValueGroup:
    """Readings that state one value, however worded."""

    readings: list[Reading] = field(default_factory=list)

    @property
    def weight(self) -> float:
        return sum(r.confidence for r in self.readings)

    @property
    def best(self) -> Reading:
        return max(self.readings, key=lambda r: (r.confidence, r.span.margin))


@dataclass(frozen=True)
class Agreed:
    """The agree stage's output: one mark per document and the values the sources state."""

    sources: list[SourceAgreement]
    values: list[StatedValue]
    consensus: Span | None  # the span of the value most sources state
    confidence: float  # in the consensus: the sources' combined confidence, lowered by a split


class Agreement:
    """The agree stage: `mark(question, selection, hits)` -> `Agreed`."""

    def __init__(self, corpus: Corpus, reader: Reader, *, sources_read: int = MAX_SOURCES_READ,
                 source_confidence: float | None = None):
        self.corpus = corpus
        self.reader = reader
        self.sources_read = sources_read
        self.source_confidence = source_reading_cut() if source_confidence is None else source_confidence

    def mark(self, question: str, selection: Selection, hits: list[Hit]) -> Agreed:
        if selection.status == "none" or asks_yes_or_no(question):  # a yes or a no is no span to compare
            return Agreed(list(self.corpus.silent_marks.values()), [], None, 0.0)
        hits = of_the_story_or_naming_it(question, hits, selection, self.corpus)
        by_doc = sentences_by_document(hits, self.sources_read)
        readings = self.own_readings(question, selection, by_doc)
        groups = group_by_value(readings)
        candidates = candidates_for_consensus(groups, selection, self.corpus)  # a short answer always is one
        if not candidates:
            return Agreed(list(self.corpus.silent_marks.values()), [], None, 0.0)
        consensus = max(candidates, key=lambda g: (len(g.readings), g.weight))
        judged = sentences_by_document(hits, self.sources_read, per_source=len(hits))  # no reader: words and values
        marks = self.marks(question, consensus, readings, judged)
        majority = None if selection.status == "answer" else self.outvoting(marks, judged)
        if majority is not None:
            consensus = majority
            marks = self.marks(question, consensus, readings, judged)
        return Agreed(marks, stated_values(groups, consensus, marks), consensus.best.span,
                      combined_confidence(consensus, groups))

    def own_readings(self, question: str, selection: Selection, by_doc: dict[str, list[Hit]]) -> dict[str, Reading]:
        """Each read document's best span, if the reader is sure enough of it; sentences the
        selector already read are not read again."""
        known = {span.hit.row: span for span in selection.read}
        unread = [hit for hits in by_doc.values() for hit in hits if hit.row not in known]
        # each source is read on its own: its sentence is scored as the first it offers
        for span in read_spans(question, unread, self.reader, depth=len(unread), ranked=False):
            known[span.hit.row] = span
        readings = {}
        for doc_id, hits in by_doc.items():
            spans = [known[h.row] for h in hits if h.row in known]
            best = max((s for s in spans if not s.misses_kind), key=lambda s: (s.confidence, s.margin), default=None)
            confidence = best.confidence if best else 0.0
            if confidence >= self.source_confidence and not repeats_question(question, best.text):
                doc = self.corpus.document(doc_id)
                readings[doc_id] = Reading(doc_id, best, parse_value(best.text, reference_date=doc.date), confidence)
        return readings

    def marks(self, question: str, consensus: ValueGroup, readings: dict[str, Reading],
              by_doc: dict[str, list[Hit]]) -> list[SourceAgreement]:
        members = {r.doc_id: r for r in consensus.readings}  # the selector's own reading may be among them
        best = consensus.best
        claim = make_claim(question, best.span, self.corpus.document(best.doc_id))
        judged = {}
        for doc_id, hits in by_doc.items():
            doc = self.corpus.document(doc_id)
            own = readings.get(doc_id)
            if doc_id in members:
                span = members[doc_id].span
                judged[doc_id] = source_mark(doc, "agrees", span.hit.passage, _in_passage(span))
                continue
            # a source that states the consensus anywhere it speaks to the question agrees, even where
            # the reader picked another value of its sentence ("nearly 20% ..., including about half")
            checked = judge_document(doc, related_sentences(hits, claim), claim)
            if checked.marker != "agrees" and own is not None and contradicts(own, consensus, claim):
                checked = source_mark(doc, "conflicts", own.span.hit.passage, _in_passage(own.span))
            judged[doc_id] = checked
        marks = [judged.get(doc_id, silent) for doc_id, silent in self.corpus.silent_marks.items()]
        return sorted(marks, key=lambda m: MARKER_ORDER[m.marker])

    def outvoting(self, marks: list[SourceAgreement], judged: dict[str, list[Hit]]) -> ValueGroup | None:
        """The value more sources state than state the consensus, among those marked conflicting: the
        reader may be sure of one source's minority value and unsure of the others', which the claims
        check then finds. Only where the selector stands behind no short answer (a short answer's
        value is its own)."""
        agreeing = sum(m.marker == "agrees" for m in marks)
        stated = [r for m in marks if m.marker == "conflicts" and (r := self._stated(m, judged[m.doc_id]))]
        groups = group_by_value({r.doc_id: r for r in stated})
        largest = max(groups, key=lambda g: len(g.readings), default=None)
        return largest if largest is not None and len(largest.readings) > agreeing else None

    def _stated(self, mark: SourceAgreement, hits: list[Hit]) -> Reading | None:
        """A source's marked value as a reading of its own (no reader confidence)."""
        cited = mark.citation
        hit = next((h for h in hits if h.passage.start == cited.start), None) if cited else None
        if hit is None or cited.answer_start is None:
            return None
        span = Span(hit, cited.answer_start, cited.answer_end, mark.value or "", margin=0.0)
        doc = self.corpus.document(mark.doc_id)
        return Reading(mark.doc_id, span, parse_value(span.text, reference_date=doc.date), 0.0)


class NoAgreement:
    """An agree stage that marks nothing: every source silent, no consensus. For callers that need only
    the span, and for pricing the agreement step: `Engine(agreement=NoAgreement())`."""

    def mark(self, question: str, selection: Selection, hits: list[Hit]) -> None:
        return None


# ---------------------------------------------------------------- each source's reading


@lru_cache(maxsize=1)
def source_reading_cut() -> float:
    """The confidence from which a source's own reading counts, as calibrate_threshold.py chose it."""
    try:
        return float(json.loads(CARD_PATH.read_text(encoding="utf-8"))["source_reading_cut"])
    except (OSError, KeyError, ValueError, TypeError):
        return DEFAULT_SOURCE_CUT


def of_the_story_or_naming_it(question: str, hits: list[Hit], selection: Selection, corpus: Corpus) -> list[Hit]:
    """The hits of documents that may speak to the question: those of the story the selector's
    sentence reports, and those of other stories that name one of the names the question names.
    A question naming nothing keeps every hit (there is no name to tell stories apart by)."""
    anchor = selection.best.hit if selection.best else (hits[0] if hits else None)
    names = names_asked(question)
    if anchor is None or anchor.story is None or not names:
        return hits
    others = {hit.passage.doc_id for hit in hits if hit.story != anchor.story}
    naming = {doc_id for doc_id in others if mentions_any(corpus.document(doc_id).text, names)}
    return [hit for hit in hits if hit.story == anchor.story or hit.passage.doc_id in naming]


def names_asked(question: str) -> list[str]:
    """The question's names, lowercased: its capitalised words after the first, possessives dropped,
    months and weekdays left out (they are values, not what the question is about)."""
    names = []
    for match in CAPITALISED.finditer(question):
        word = re.sub(r"['’]s$", "", match.group())
        if match.start() > 0 and len(word) >= 3 and word.lower() not in NOT_NAMES:
            names.append(word.lower())
    return names


def mentions_any(text: str, names: list[str]) -> bool:
    """Whether some word of `text` begins with the first `NAME_PREFIX` letters of one of `names`."""
    return any(re.search(r"\b" + re.escape(name[:NAME_PREFIX]), text, re.IGNORECASE) for name in names)


def sentences_by_document(hits: list[Hit], sources: int, per_source: int = SENTENCES_PER_SOURCE) -> dict[str, list[Hit]]:
    """The best retrieved sentences of each of the first `sources` documents, in retrieval order."""
    by_doc: dict[str, list[Hit]] = {}
    for hit in hits:
        doc_hits = by_doc.get(hit.passage.doc_id)
        if doc_hits is None:
            if len(by_doc) == sources:
                continue
            doc_hits = by_doc[hit.passage.doc_id] = []
        if len(doc_hits) < per_source:
            doc_hits.append(hit)
    return by_doc


def group_by_value(readings: dict[str, Reading]) -> list[ValueGroup]:
    """Readings grouped by the value they state, strongest reading first into the groups."""
    groups: list[ValueGroup] = []
    for reading in sorted(readings.values(), key=lambda r: (-r.confidence, -r.span.margin)):
        group = next((g for g in groups if same_value(g.best, reading)), None)
        if group is None:
            groups.append(ValueGroup([reading]))
        else:
            group.readings.append(reading)
    return groups


def same_value(a: Reading, b: Reading) -> bool:
    """Two readings state the same thing: compatible values, one name, or the same words."""
    if a.value is not None and b.value is not None and a.value.kind != "name" and b.value.kind != "name":
        return compatible(a.value, b.value) is True
    if _is_name(a.span.text) and _is_name(b.span.text):
        return (canonical_name(a.span.text) == canonical_name(b.span.text) or _one_holds_the_other(a, b)
                or _names_agree(a.value, b.value))
    return _one_holds_the_other(a, b)


def _names_agree(a: Value | None, b: Value | None) -> bool:
    """One name in two forms that share no words: an initialism and what it stands for ("ZCA")."""
    return a is not None and b is not None and compatible(a, b) is True


def _one_holds_the_other(a: Reading, b: Reading) -> bool:
    terms_a, terms_b = set(tokenize(a.span.text)), set(tokenize(b.span.text))
    return bool(terms_a) and bool(terms_b) and (terms_a <= terms_b or terms_b <= terms_a)


def _is_name(text: str) -> bool:
    return bool(text) and text[0].isupper() and all(w[0].isupper() for w in text.split() if w[0].isalpha() and len(w) > 3)


def candidates_for_consensus(groups: list[ValueGroup], selection: Selection, corpus: Corpus) -> list[ValueGroup]:
    """The groups that may become the consensus. Where the selector stands behind a short answer, it
    fixes what is asked: only its own value, or another value of the same kind (the same slot, stated
    otherwise), can replace it; readings of another kind ("nearly $15 trillion" when "Forbes" answered
    "who published the valuation") answer something else."""
    if selection.status != "answer" or selection.best is None:
        return groups
    span = selection.best
    doc = corpus.document(span.hit.passage.doc_id)
    anchor = Reading(doc.doc_id, span, parse_value(span.text, reference_date=doc.date), span.confidence)
    same_slot = [g for g in groups if same_value(g.best, anchor) or _same_kind(g.best.value, anchor.value)]
    if same_slot:
        return same_slot
    groups.append(ValueGroup([anchor]))
    return [groups[-1]]


def _same_kind(a: Value | None, b: Value | None) -> bool:
    return (a is not None and b is not None and "name" not in (a.kind, b.kind)
            and compatible(a, b) is not None)


def contradicts(reading: Reading, consensus: ValueGroup, claim: Claim) -> bool:
    """A confident reading of the question that states another value of the consensus's own kind, or
    another name where the consensus is a name ("the Associated Press" against "Reuters"), in words
    about the consensus's slot."""
    if reading.confidence < CONFLICT_CONFIDENCE:
        return False
    best = consensus.best
    if _is_name(reading.span.text) and _is_name(best.span.text):
        # two names differ only where they can be told apart: "ZCA" and "Competition Authority of
        # Zembara" may be one body, so that pair is not compared
        differs = not same_value(reading, best) and _names_differ(reading.value, best.value)
    else:
        value, other = reading.value, best.value
        differs = (value is not None and other is not None and "name" not in (value.kind, other.kind)
                   and compatible(value, other) is False)
    passage = reading.span.hit.passage
    return differs and about_same_slot(passage.text, reading.span.start - passage.start,
                                       reading.span.end - passage.start, claim)


def _names_differ(a: Value | None, b: Value | None) -> bool:
    """Two capitalised spans differ unless they can be the same: two names, or two typed values
    ("Feb. 7" and "Friday"), are compared as such ("ZCA" and "Competition Authority of Zembara" may be
    one body); a name against a capitalised phrase read as a value ("Air Force One") differs."""
    if a is None or b is None or (a.kind == "name") != (b.kind == "name"):
        return True
    return compatible(a, b) is False


def combined_confidence(consensus: ValueGroup, groups: list[ValueGroup]) -> float:
    """Independent sources stating one value make it surer (the chance that all of them are wrong
    shrinks); sources stating other values take their share of the weight away."""
    all_wrong = math.prod(1.0 - r.confidence for r in consensus.readings)
    share = consensus.weight / sum(g.weight for g in groups)
    return round((1.0 - all_wrong) * share, 3)


def stated_values(groups: list[ValueGroup], consensus: ValueGroup, marks: list[SourceAgreement]) -> list[StatedValue]:
    """The consensus with every source marked as agreeing, then the conflicting values, most sources
    first. A conflicting source is listed under the value its mark cites: its own reading's where the
    mark is that reading, else the value the claims check found in its sentence."""
    agreeing = [m.doc_id for m in marks if m.marker == "agrees"]
    values = [StatedValue(value=consensus.best.span.text, doc_ids=agreeing, confidence=consensus.best.confidence)]
    own = {r.doc_id: (r, g) for g in groups if g is not consensus for r in g.readings}
    conflicting: list[tuple[Value | None, StatedValue]] = []
    for mark in marks:
        if mark.marker != "conflicts":
            continue
        reading, group = own.get(mark.doc_id, (None, None))
        if reading is not None and _cites(mark, reading):
            text, confidence = group.best.span.text, group.best.confidence
        else:
            text, confidence = mark.value or "", 0.0
        value = parse_value(text)
        same = next((stated for known, stated in conflicting if _same_value(known, value, stated.value, text)), None)
        if same is None:
            conflicting.append((value, StatedValue(value=text, doc_ids=[mark.doc_id], confidence=confidence)))
        else:
            same.doc_ids.append(mark.doc_id)
            same.confidence = max(same.confidence, confidence)
    return values + sorted((stated for _, stated in conflicting), key=lambda v: -len(v.doc_ids))


def _cites(mark: SourceAgreement, reading: Reading) -> bool:
    """The mark cites the reading's own span (not another value of the source's sentences)."""
    cited = mark.citation
    return cited is not None and cited.answer_start is not None and reading.span.start <= cited.answer_start < reading.span.end


def _same_value(known: Value | None, value: Value | None, known_text: str, text: str) -> bool:
    if known is not None and value is not None and compatible(known, value):
        return True
    return known_text.casefold() == text.casefold()


def _in_passage(span: Span) -> tuple[int, int]:
    base = span.hit.passage.start
    return span.start - base, span.end - base
