"""agree: the answer's claim -> one marker per source: agrees, conflicts or silent.

For every document that can speak to the claim (question + answer span), find its sentence about
the same thing: dense similarity of the question against the passage vectors computed at index time
(no re-embedding per question) plus lexical overlap with the claim. Then read that sentence's value:

- a typed answer (a length, share, amount, date, count) agrees when the sentence states a compatible
  value (`normalize.compatible`: hedges as intervals, unit conversion, rounding) and conflicts only on
  positive evidence: a value of the same kind, in a sentence about the same slot (the words around
  the value match the words around the answer), that is incompatible;
- any other answer agrees when the sentence states it (the same name in any spelling, by
  `canonical_name`, or all of its content words); names and phrases never conflict, because
  "another name nearby" is no evidence of another value for the same slot.

Everything else is silent. Documents with no passage among the claim's candidates are silent
without any work, which keeps this cheap for corpora of thousands of documents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.index import HybridIndex, tokenize
from qa.models import Citation, Document, Passage, SourceAgreement
from qa.normalize import Value, compatible, find_names, find_values, parse_value

DENSE_CANDIDATES = 200  # passages considered per claim, by similarity to the question
RELEVANT = 0.45  # relatedness a sentence needs before its values count as being about the claim
SAME_SLOT = 0.34  # share of the answer's context words a conflicting value's context must share
CONTEXT_WORDS = 6
PHRASE_OVERLAP = 1.0  # share of the answer's words a sentence must hold to state it
MARKER_ORDER = {"agrees": 0, "conflicts": 1, "silent": 2}


@dataclass(frozen=True)
class Claim:
    question_terms: frozenset[str]
    answer_text: str
    answer_terms: frozenset[str]
    context_terms: frozenset[str]  # words around the answer in its own sentence
    value: Value | None  # None: a name or phrase, compared by words


def mark_sources(
    index: HybridIndex, question: str, query_vector: np.ndarray, top: Citation, selection=None
) -> list[SourceAgreement]:
    """One mark per document: the answer's own source agrees; documents with passages related to the
    claim are judged; every other document is silent without any work."""
    corpus = index.corpus
    claim = make_claim(question, top, corpus.document(top.doc_id))
    own = SourceAgreement(doc_id=top.doc_id, title=top.title, marker="agrees", citation=top, value=claim.answer_text)
    by_doc: dict[str, list[tuple[float, int]]] = {}
    for row, score in related_passages(index, question, query_vector, claim).items():
        by_doc.setdefault(index.passages[row].doc_id, []).append((score, row))
    judged = {
        doc_id: judge_document(corpus.document(doc_id), [(s, index.passages[r]) for s, r in sorted(rows, reverse=True)], claim)
        for doc_id, rows in by_doc.items()
        if doc_id != top.doc_id
    }
    marks = [own] + [judged.get(doc_id, silent) for doc_id, silent in corpus.silent_marks.items() if doc_id != top.doc_id]
    return sorted(marks, key=lambda m: MARKER_ORDER[m.marker])


def make_claim(question: str, top: Citation, doc: Document) -> Claim:
    answer = doc.text[top.answer_start : top.answer_end]
    before = doc.text[top.start : top.answer_start]
    after = doc.text[top.answer_end : top.end]
    context = tokenize(before)[-CONTEXT_WORDS:] + tokenize(after)[:CONTEXT_WORDS]
    return Claim(
        question_terms=frozenset(tokenize(question)),
        answer_text=answer,
        answer_terms=frozenset(tokenize(answer)),
        context_terms=frozenset(context) | frozenset(tokenize(question)),
        value=parse_value(answer, reference_date=doc.date),
    )


def related_passages(index: HybridIndex, question: str, query_vector: np.ndarray, claim: Claim) -> dict[int, float]:
    """Relatedness of candidate passages to the claim: cosine to the question plus word overlap.

    Candidates are the passages nearest the question and those sharing the most claim words; the
    vectors and term sets were computed at index time, so nothing is embedded or tokenised here.
    """
    if not len(index.vectors):
        return {}
    cosines = index.vectors @ query_vector
    count = min(DENSE_CANDIDATES, len(cosines))
    rows = set(np.argpartition(-cosines, count - 1)[:count].tolist())
    claim_terms = claim.question_terms | claim.answer_terms
    rows |= {row for row, _ in index.bm25.top(list(claim_terms), DENSE_CANDIDATES)}
    related = {}
    for row in rows:
        terms = index.bm25.terms_of(row)
        overlap = len(claim_terms & terms) / len(claim_terms) if claim_terms else 0.0
        related[row] = float(cosines[row]) + 0.5 * overlap
    return related


def judge_document(doc: Document, passages: list[tuple[float, Passage]], claim: Claim) -> SourceAgreement:
    relevant = [(score, p) for score, p in passages if score >= RELEVANT]
    for _, passage in relevant:
        found = agreeing_span(passage, claim, doc)
        if found:
            return _mark(doc, "agrees", passage, found)
    if claim.value is not None:
        for _, passage in relevant:
            found = conflicting_value(passage, claim, doc)
            if found:
                return _mark(doc, "conflicts", passage, found)
    return SourceAgreement(doc_id=doc.doc_id, title=doc.title, marker="silent")


def agreeing_span(passage: Passage, claim: Claim, doc: Document) -> tuple[int, int] | None:
    """Offsets (within the passage) of this sentence's statement of the claimed value, if any."""
    if claim.value is not None:
        for value in find_values(passage.text, reference_date=doc.date):
            if compatible(claim.value, value) and _about_same_slot(passage.text, value, claim, loose=True):
                return value.start, value.end
        if claim.value.kind != "name":
            return None
    # a name or phrase: parse_value reads any untyped span as a name, but find_values only finds
    # capitalised ones, so "uranium" or "victory plan" are looked for as words
    return _phrase_span(passage.text, claim)


def conflicting_value(passage: Passage, claim: Claim, doc: Document) -> tuple[int, int] | None:
    for value in find_values(passage.text, reference_date=doc.date):
        if compatible(claim.value, value) is False and _about_same_slot(passage.text, value, claim):
            return value.start, value.end
    return None


def _about_same_slot(sentence: str, value: Value, claim: Claim, loose: bool = False) -> bool:
    """The words around this value are the words around the answer (or the question's)."""
    around = set(tokenize(sentence[: value.start])[-CONTEXT_WORDS:] + tokenize(sentence[value.end :])[:CONTEXT_WORDS])
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
    import re

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


def _mark(doc: Document, marker: str, passage: Passage, span: tuple[int, int]) -> SourceAgreement:
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
