"""claims: whether a source states a claim (the consensus span) in one of its sentences about the question.

The reader can miss a value a sentence plainly states, so agreement also looks for the claim itself:
the same typed value next to the same words, the same name, or all of a phrase's words (agrees), or a
value of the same kind, incompatible, next to the same words (conflicts). A length is never compared
with a count, and a name never conflicts on a mere mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.expected import Tense, asked_count, asked_tense, counted_term, out_of_tense
from qa.models import Citation, Document, Passage, SourceAgreement
from qa.retrieve import Hit
from qa.select import Span
from qa.tokens import tokenize
from qa.values import Value, compatible, find_names, find_values, parse_value

RELEVANT = 0.45  # relatedness (cosine + half the claim-word overlap) before a sentence's values count
SAME_SLOT = 0.34  # share of the answer's context words a conflicting value's context must share
CONTEXT_WORDS = 6
PHRASE_OVERLAP = 1.0  # share of the answer's words a sentence must hold to state it


@dataclass(frozen=True)
class Claim:
    question_terms: frozenset[str]
    answer_text: str
    answer_terms: frozenset[str]
    context_terms: frozenset[str]  # words around the answer in its own sentence
    value: Value | None  # None: a name or phrase, compared by words
    counted: frozenset[str] = frozenset()  # for a count, what it counts: the term after it, the question's
    period: str | None = None  # for a rate, the period it is per ("6,000 passengers a day": "day")
    tense: Tense | None = None  # the question asks what is ahead or what has happened (`expected.asked_tense`)


def make_claim(question: str, span: Span, doc: Document) -> Claim:
    """What a source is checked for: the span's text and value, the words around it, the question's."""
    passage = span.hit.passage
    answer = doc.text[span.start:span.end]
    context = (tokenize(doc.text[passage.start:span.start])[-CONTEXT_WORDS:]
               + tokenize(doc.text[span.end:passage.end])[:CONTEXT_WORDS])
    return Claim(
        question_terms=frozenset(tokenize(question)),
        answer_text=answer,
        answer_terms=frozenset(tokenize(answer)),
        context_terms=frozenset(context) | frozenset(tokenize(question)),
        value=(value := parse_value(answer, reference_date=doc.date)),
        # what a count counts is the word after its figure, inside the span ("400,000 kettles") or after it
        counted=counted_terms(question, answer[value.end:] + doc.text[span.end:passage.end])
        if value and value.kind == "number" else frozenset(),
        period=rate_period(doc.text[passage.start:passage.end], span.start - passage.start, span.end - passage.start),
        tense=asked_tense(question),
    )


_PERIODS = {"hour": "hour", "day": "day", "week": "week", "month": "month", "year": "year", "hourly": "hour",
            "daily": "day", "weekly": "week", "monthly": "month", "yearly": "year", "annual": "year",
            "annually": "year", "quarter": "quarter", "quarterly": "quarter"}
_PERIOD_AFTER = re.compile(r"^(?:[^\s,;:]+\s+){0,4}?(?:(?:a|an|per|each|every)\s+(hour|day|week|month|quarter|year)\b(?!\s+(?:ago|earlier|before|later))|"
                           r"(hourly|daily|weekly|monthly|quarterly|yearly|annually)\b)", re.IGNORECASE)
_PERIOD_BEFORE = re.compile(r"\b(hourly|daily|weekly|monthly|quarterly|yearly|annual|annually)\s+(?:[^\s,;:]+\s+)?$",
                            re.IGNORECASE)


def rate_period(sentence: str, start: int, end: int) -> str | None:
    """The period a value is per, when the sentence says it is a rate: "6,000 passengers a day",
    "4 million passengers annually", "an annual 4 million" (the words right before or after it)."""
    after = _PERIOD_AFTER.match(sentence[end:].lstrip())
    if after:
        return _PERIODS[(after.group(1) or after.group(2)).lower()]
    before = _PERIOD_BEFORE.search(sentence[max(0, start - 30):start])
    return _PERIODS[before.group(1).lower()] if before else None


def counted_terms(question: str, after: str) -> frozenset[str]:
    """What a count answering `question` counts: the word after it in its sentence ("312 beds") and
    the one the question counts ("How many beds ..."), as terms."""
    words = [w for w in (counted_term(after), asked_count(question)) if w]
    return frozenset(words)


def related_sentences(hits: list[Hit], claim: Claim) -> list[tuple[float, Passage]]:
    """A document's retrieved sentences by relatedness to the claim: cosine to the question plus
    half the share of the claim's words they hold; most related first."""
    claim_terms = claim.question_terms | claim.answer_terms
    scored = []
    for hit in hits:
        overlap = len(claim_terms & set(tokenize(hit.passage.text))) / len(claim_terms) if claim_terms else 0.0
        scored.append((hit.cosine + 0.5 * overlap, hit.passage))
    return sorted(scored, key=lambda pair: -pair[0])


def judge_document(doc: Document, passages: list[tuple[float, Passage]], claim: Claim) -> SourceAgreement:
    relevant = [(score, p) for score, p in passages if score >= RELEVANT]
    for _, passage in relevant:
        found = agreeing_span(passage, claim, doc)
        if found:
            return source_mark(doc, "agrees", passage, found)
    if claim.value is not None:
        for _, passage in relevant:
            found = conflicting_value(passage, claim, doc)
            if found:
                return source_mark(doc, "conflicts", passage, found)
    return SourceAgreement(doc_id=doc.doc_id, title=doc.title, marker="silent")


def agreeing_span(passage: Passage, claim: Claim, doc: Document) -> tuple[int, int] | None:
    """Offsets (within the passage) of this sentence's statement of the claimed value, if any."""
    if claim.value is not None:
        for value in find_values(passage.text, reference_date=doc.date):
            if compatible(claim.value, value) and about_same_slot(passage.text, value.start, value.end, claim, loose=True):
                return value.start, value.end
        if claim.value.kind != "name":
            return None
    # a name or phrase: parse_value reads any untyped span as a name, but find_values only finds
    # capitalised ones, so "uranium" or "victory plan" are looked for as words
    return _phrase_span(passage.text, claim)


def conflicting_value(passage: Passage, claim: Claim, doc: Document) -> tuple[int, int] | None:
    for value in find_values(passage.text, reference_date=doc.date):
        # "opened in 1962" states no time at which the plant "will close": another time, not another answer
        if out_of_tense(value, claim.tense, doc.date):
            continue
        if compatible(claim.value, value) is False and about_same_slot(passage.text, value.start, value.end, claim):
            return value.start, value.end
    return None


def about_same_slot(sentence: str, start: int, end: int, claim: Claim, loose: bool = False) -> bool:
    """The words around sentence[start:end] are the words around the answer (or the question's). A
    count is about the same slot when it counts the same thing: the claim's ("320 beds" against "312
    beds") or the question's ("How many beds ..."); a count of another thing never is. Nor is a rate
    per another period: "6,000 passengers a day" is not "4 million passengers a year"."""
    period = rate_period(sentence, start, end)
    if claim.period and period and period != claim.period:
        return False
    if claim.counted and (noun := counted_term(sentence[end:])) is not None:
        if noun in claim.counted:
            return True
        if not loose:
            return False
    around = set(tokenize(sentence[:start])[-CONTEXT_WORDS:] + tokenize(sentence[end:])[:CONTEXT_WORDS])
    if not claim.context_terms:
        return loose
    shared = len(around & claim.context_terms) / min(len(claim.context_terms), 2 * CONTEXT_WORDS)
    return shared > 0 if loose else shared >= SAME_SLOT


def _phrase_span(sentence: str, claim: Claim) -> tuple[int, int] | None:
    """Where this sentence states the answer: the same text, the same name, or all of its words
    close together (most of them is not enough: "securing firm commitments on troop deployments"
    does not state "securing firm commitments on security guarantees")."""
    at = sentence.casefold().find(claim.answer_text.casefold())
    if at >= 0:
        return at, at + len(claim.answer_text)
    if claim.value is not None and claim.answer_text[:1].isupper():
        for name in find_names(sentence):  # the same name in another spelling: "Zelenskiy", "Zelensky"
            if compatible(claim.value, name):
                return name.start, name.end
    if not claim.answer_terms:
        return None
    return _densest_overlap(sentence, claim.answer_terms)


def _densest_overlap(sentence: str, answer_terms: frozenset[str]) -> tuple[int, int] | None:
    """The shortest run of words holding enough of the answer's words to count as stating it."""
    words = [(m.start(), m.end(), set(tokenize(m.group()))) for m in re.finditer(r"\S+", sentence)]
    need = max(1, int(np.ceil(PHRASE_OVERLAP * len(answer_terms))))
    best = None
    for i in range(len(words)):
        seen: set[str] = set()
        for j in range(i, min(len(words), i + 3 * len(answer_terms) + 2)):
            seen |= words[j][2] & answer_terms
            if len(seen) >= need:
                if best is None or words[j][1] - words[i][0] < best[1] - best[0]:
                    best = (words[i][0], words[j][1])
                break
    return best


def source_mark(doc: Document, marker: str, passage: Passage, span: tuple[int, int]) -> SourceAgreement:
    start, end = passage.start + span[0], passage.start + span[1]
    value = doc.text[start:end].strip(" ,.;:")
    start = doc.text.index(value, start) if value else start
    citation = Citation(
        doc_id=doc.doc_id,
        title=doc.title,
        start=passage.start,
        end=passage.end,
        text=passage.text,
        answer_start=start,
        answer_end=start + len(value),
    )
    return SourceAgreement(doc_id=doc.doc_id, title=doc.title, marker=marker, citation=citation, value=value)
