"""select: ranked passages -> the short answer span, its citation and a confidence (or no answer).

Three steps, each general (nothing here knows any corpus):

1. `analyze_question`: what the question asks for (a length, a share, a date, a name, a reason...).
2. `candidate_spans`: spans of each top sentence that could answer: typed values found by
   `normalize.find_values`, capitalised names, reason clauses ("because ...", "to ..."),
   punctuation-delimited segments, and word chunks between function words.
3. A logistic-regression ranker scores each candidate from features that say how its kind fits the
   question, how close it sits to the question's words without repeating them, how long it is, and
   how well its sentence was retrieved. A second small model turns the best candidate's evidence into
   a confidence; below `ABSTAIN_BELOW` the engine abstains. Both models are fitted by
   `bench/train_selector.py` on the first 17 SQuAD 2.0 dev articles only and shipped as
   `selector_model.json` (a few hundred numbers).

The answer is always an exact slice of a document: candidates carry document offsets.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.index import _STOPWORDS, tokenize
from qa.normalize import find_values
from qa.retrieve import Hit

MODEL_PATH = Path(__file__).with_name("selector_model.json")
SENTENCES_CONSIDERED = 6
MAX_CANDIDATE_WORDS = 25

# --- 1. what the question asks for ---------------------------------------------------------------

INTENTS = ("length", "money", "share", "count", "year", "date", "reason", "name", "place", "manner", "phrase")
_INTENT_RULES: list[tuple[str, re.Pattern]] = [
    (intent, re.compile(rx, re.IGNORECASE))
    for intent, rx in [
        ("length", r"\bhow (?:far|deep|long a distance)\b|\bhow many (?:km|kilomet\w*|miles?|metres|meters)\b"
         r"|\bwhat distance\b"),
        ("year", r"\b(?:what|which) year\b|\bsince when\b|\bin what year\b"),
        ("date", r"\bwhen\b|\b(?:what|which) (?:date|dates|day|days|weekday|month|time|century|decade)\b"),
        ("share", r"\b(?:what|which) (?:share|proportion|percentage|fraction|portion|part|percent)\b"
         r"|\bhow much of\b"),
        ("money", r"\bhow much\b.*\b(?:worth|value|valued|cost|costs|paid|pay|spend|spent|price)\b"
         r"|\b(?:worth|valued at|value of|price of|cost of)\b|\bhow much money\b"),
        ("count", r"\bhow many\b|\bhow much\b|\bhow old\b|\bwhat age\b|\bwhat number\b|\bhow large\b"),
        ("reason", r"\bwhy\b|\bfor what reason\b|\bwhat for\b|\bmeant to\b|\bpurpose\b|\bin order to\b"),
        ("name", r"\bwho\b|\bwhom\b|\bwhose\b"),
        ("place", r"\bwhere\b|\b(?:what|which) (?:\w+ )?(?:region|regions|province|provinces|country|countries|"
         r"city|cities|town|place|area|oblasts?|state|states|territory|continent|river|island)\b"),
        ("manner", r"^\s*how\b|\bin what way\b"),
    ]
]


def analyze_question(question: str) -> str:
    for intent, pattern in _INTENT_RULES:
        if pattern.search(question):
            return intent
    return "phrase"


# "Which wire service ...", "Of which aerospace metal ...", "What formerly secret document ...": the
# words after the wh-word name the kind of thing wanted. We stop at the first function word or verb
# we know, and at four words, which is enough for the encoder to read the kind.
_HEAD = re.compile(r"\b(?:which|what|whose)\s+((?:[^\W\d_][\w’'-]*\s*){1,4})", re.IGNORECASE)
_NOT_HEAD = frozenset(
    "is are was were be been do does did has have had will would could should can may might must "
    "sat said say says tell told show showed hold holds lies lie sits sit asked want wanted gave give "
    "if to of in on at for from by with about as".split()
)


@lru_cache(maxsize=4096)  # asked by the type feature and again by the confidence features
def answer_head(question: str) -> str | None:
    """The kind of thing the question asks for ("wire service", "aerospace metal"), if it names one."""
    m = _HEAD.search(question)
    if not m:
        return None
    words = []
    for word in m.group(1).split():
        lower = word.lower()
        if lower in _NOT_HEAD or lower in _STOPWORDS or (words and lower.endswith(("ed", "ing"))):
            break  # a past tense or participle after the noun is the question's verb ("interviewed")
        words.append(word)
    return " ".join(words) or None


# --- 2. candidate spans -----------------------------------------------------------------------------

KINDS = ("number", "percent", "money", "length", "date", "name", "reason", "segment", "chunk")
# One feature slot per family: every time expression is a date, every physical measure a length.
_VALUE_KIND = {"weekday": "date", "year": "date", "area": "length"}

_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*\.?")
_NAME = re.compile(r"(?:[A-Z][\w’'.-]*[\w.])(?:\s+(?:(?:of|the|for|and|de|al|von|van)\s+)?[A-Z][\w’'.-]*[\w.])*")
_SEGMENT = re.compile(r"[^,;:()\[\]“”\"—–]+")
_REASON = re.compile(
    r"\b(?:because|since|so that|in order to|in exchange for|aimed at|to (?=[a-z]+\b)|due to|as part of|"
    r"for the purpose of|thanks to|as a result of)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;:.!?()\[\]“”\"—–]")
_OPENERS = frozenset(
    "however meanwhile furthermore additionally moreover earlier later also still yet thus "
    "according otherwise instead then today yesterday".split()
)


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    rank: int  # 0-based rank of its sentence among the hits
    start: int  # offsets in the document text
    end: int
    text: str
    kind: str


def candidate_spans(hit: Hit, rank: int) -> list[Candidate]:
    sentence = hit.passage.text
    spans: dict[tuple[int, int], str] = {}
    for value in find_values(sentence):
        kind = _VALUE_KIND.get(value.kind, value.kind)
        spans[(value.start, value.end)] = kind if kind in KINDS else "number"
    for kind, finder in (
        ("name", _names), ("reason", _reason_clauses), ("segment", _segments), ("chunk", _chunks),
    ):
        for span in finder(sentence):
            spans.setdefault(span, kind)
    base = hit.passage.start
    return [
        Candidate(hit, rank, base + s, base + e, sentence[s:e], kind)
        for (s, e), kind in spans.items()
        if e > s and len(sentence[s:e].split()) <= MAX_CANDIDATE_WORDS
    ]


def _names(sentence: str) -> list[tuple[int, int]]:
    found = []
    for m in _NAME.finditer(sentence):
        start, text = m.start(), m.group()
        first = text.split()[0].rstrip(".")
        if start == 0 and first.lower() in (_STOPWORDS | _OPENERS):
            rest = text[len(text.split()[0]) :].lstrip()
            if not rest:
                continue
            start, text = m.end() - len(rest), rest
        text = re.sub(r"[’']s$", "", text)
        if text.endswith(".") and not re.search(r"(?:^|[\s.])[A-Z]\.$", text):
            text = text[:-1]  # the sentence's full stop, not part of "Keith Kellogg" (but "U.S." keeps it)
        found.append((start, start + len(text)))
    return found


def _reason_clauses(sentence: str) -> list[tuple[int, int]]:
    clauses = []
    for m in _REASON.finditer(sentence):
        end = _CLAUSE_END.search(sentence, m.end())
        stop = end.start() if end else len(sentence)
        if stop - m.start() > 3:
            clauses.append((m.start(), stop))
    return clauses


def _segments(sentence: str) -> list[tuple[int, int]]:
    """Punctuation-delimited phrases, trimmed of surrounding spaces and a final full stop."""
    segments = []
    for m in _SEGMENT.finditer(sentence):
        text = m.group()
        left = len(text) - len(text.lstrip())
        right = len(text.rstrip().rstrip(".!?").rstrip())
        if right - left >= 2:
            segments.append((m.start() + left, m.start() + right))
    return segments


def _chunks(sentence: str) -> list[tuple[int, int]]:
    """Runs of content words (function words split them, "of"/"and" may join them): noun-phrase-like."""
    chunks = []
    run: list[re.Match] = []
    words = list(_WORD.finditer(sentence))
    for i, m in enumerate(words + [None]):
        joiner = m is not None and m.group().lower() in ("of", "and") and run and i + 1 < len(words)
        content = m is not None and m.group().lower() not in _STOPWORDS and m.group().lower() not in _OPENERS
        gap_ok = m is not None and run and not _CLAUSE_END.search(sentence, run[-1].end(), m.start())
        if m is not None and (content or joiner) and (not run or gap_ok):
            run.append(m)
            continue
        while run and run[-1].group().lower() in ("of", "and"):
            run.pop()
        if run:
            chunks.append((run[0].start(), run[-1].end()))
        run = [m] if m is not None and content else []
    return [(s, e if not sentence[s:e].endswith(".") else e - 1) for s, e in chunks]


# --- 3. features and scoring ---------------------------------------------------------------------------

_NUMERIC_FEATURES = (
    "bias", "rank_recip", "fused_rel", "cosine", "bm25_norm", "coverage", "near", "left_adjacent",
    "right_adjacent", "anchors_near", "repeat", "words", "log_words", "one_word", "starts_stop",
    "ends_stop", "capitalised", "has_digit", "position", "whole_sentence", "type_sim", "type_best",
)
FEATURES = _NUMERIC_FEATURES + tuple(f"{i}*{k}" for i in INTENTS for k in KINDS)


@dataclass
class SentenceContext:
    terms: list[tuple[str, int, int]]  # (term, start, end) within the sentence
    coverage: float


@lru_cache(maxsize=4096)
def question_terms(question: str) -> frozenset[str]:
    return frozenset(tokenize(question)) - _QUESTION_WORDS


_QUESTION_WORDS = frozenset(tokenize("what which who whom whose when where why how many much kind"))


def sentence_context(sentence: str, terms: frozenset[str]) -> SentenceContext:
    positions = [(t, m.start(), m.end()) for m in _WORD.finditer(sentence) for t in tokenize(m.group())]
    present = {t for t, _, _ in positions}
    coverage = len(terms & present) / len(terms) if terms else 0.0
    return SentenceContext(positions, coverage)


def candidate_features(
    cand: Candidate, intent: str, ctx: SentenceContext, terms: frozenset[str], top_fused: float,
    type_sim: float = 0.0, type_best: float = 0.0,
) -> np.ndarray:
    hit = cand.hit
    sentence = hit.passage.text
    s, e = cand.start - hit.passage.start, cand.end - hit.passage.start
    outside = [(a, b) for t, a, b in ctx.terms if t in terms and (b <= s or a >= e)]
    gaps = [s - b if b <= s else a - e for a, b in outside]
    gap = min(gaps) if gaps else None
    words = cand.text.split()
    cand_terms = tokenize(cand.text)
    first, last = words[0].lower().strip(".,"), words[-1].lower().strip(".,")
    numeric = [
        1.0,
        1.0 / (1 + cand.rank),
        hit.fused / top_fused if top_fused else 0.0,
        max(hit.cosine, 0.0),
        min(hit.bm25_norm, 2.0),
        ctx.coverage,
        0.0 if gap is None else 1.0 / (1.0 + gap / 6.0),
        float(any(0 <= s - b <= 3 for a, b in outside)),
        float(any(0 <= a - e <= 3 for a, b in outside)),
        min(sum(1 for g in gaps if g <= 40), 5) / 5.0,
        sum(1 for t in cand_terms if t in terms) / len(cand_terms) if cand_terms else 1.0,
        min(len(words), 30) / 30.0,
        math.log1p(len(words)),
        float(len(words) == 1),
        float(first in _STOPWORDS),
        float(last in _STOPWORDS),
        sum(1 for w in words if w[:1].isupper()) / len(words),
        float(any(ch.isdigit() for ch in cand.text)),
        s / max(len(sentence), 1),
        float(e - s >= len(sentence.rstrip(".")) - 2),
        type_sim,
        float(type_best > 0 and type_sim >= type_best - 1e-6),
    ]
    pair = np.zeros(len(INTENTS) * len(KINDS), dtype=np.float32)
    pair[INTENTS.index(intent) * len(KINDS) + KINDS.index(cand.kind)] = 1.0
    return np.concatenate([np.asarray(numeric, dtype=np.float32), pair])


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float  # the ranker's probability that this span answers the question
    coverage: float
    type_sim: float = 0.0  # how well the span reads as the kind of thing the question names


@dataclass(frozen=True)
class SelectorModel:
    ranker: np.ndarray  # one weight per FEATURES entry
    confidence: np.ndarray  # weights over CONFIDENCE_FEATURES
    threshold: float

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "SelectorModel":
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES or tuple(data["confidence_features"]) != CONFIDENCE_FEATURES:
            raise ValueError(f"{path} was trained for other features: run bench/train_selector.py")
        return cls(np.asarray(data["ranker"], np.float32), np.asarray(data["confidence"], np.float32),
                   float(data["threshold"]))


@lru_cache(maxsize=1)
def default_model() -> SelectorModel:
    return SelectorModel.load()


# `spans`: a function from texts to unit vectors (the engine passes a cached encoder).
SpanVectors = Callable[[list[str]], np.ndarray]


def type_similarities(question: str, candidates: list[Candidate], spans: SpanVectors | None) -> np.ndarray:
    """How well each candidate reads as the kind of thing the question names (cosine to its head)."""
    head = answer_head(question)
    if spans is None or head is None or not candidates:
        return np.zeros(len(candidates), np.float32)
    vectors = spans([head] + [c.text for c in candidates])
    return np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)


def featurize(
    question: str, hits: list[Hit], spans: SpanVectors | None = None
) -> tuple[list[Candidate], np.ndarray, list[float]]:
    """Every candidate of the top sentences with its feature row (and its sentence's coverage)."""
    intent = analyze_question(question)
    terms = question_terms(question)
    top_fused = max((h.fused for h in hits), default=0.0)
    candidates, contexts = [], []
    for rank, hit in enumerate(hits[:SENTENCES_CONSIDERED]):
        ctx = sentence_context(hit.passage.text, terms)
        for cand in candidate_spans(hit, rank):
            candidates.append(cand)
            contexts.append(ctx)
    sims = type_similarities(question, candidates, spans)
    best = float(sims.max()) if len(sims) else 0.0
    rows = [
        candidate_features(c, intent, ctx, terms, top_fused, float(sim), best)
        for c, ctx, sim in zip(candidates, contexts, sims)
    ]
    matrix = np.vstack(rows) if rows else np.zeros((0, len(FEATURES)), np.float32)
    return candidates, matrix, [ctx.coverage for ctx in contexts]


def score_candidates(
    question: str, hits: list[Hit], model: SelectorModel | None = None, spans: SpanVectors | None = None
) -> list[Scored]:
    model = model or default_model()
    candidates, matrix, coverages = featurize(question, hits, spans)
    if not candidates:
        return []
    probs = _sigmoid(matrix @ model.ranker)
    order = np.argsort(-probs, kind="stable")
    sims = matrix[:, FEATURES.index("type_sim")]
    return [Scored(candidates[i], float(probs[i]), coverages[i], float(sims[i])) for i in order]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


# --- the decision -----------------------------------------------------------------------------------------

CONFIDENCE_FEATURES = (
    "bias", "best", "margin", "coverage", "cosine", "bm25_norm", "typed_intent", "top_cosine", "type_sim",
    "has_head",
)


def confidence_features(question: str, scored: list[Scored], hits: list[Hit]) -> np.ndarray:
    best = scored[0] if scored else None
    second = next((s.score for s in scored[1:] if best and s.candidate.text != best.candidate.text), 0.0)
    typed = analyze_question(question) in ("length", "money", "share", "count", "year", "date")
    return np.asarray(
        [
            1.0,
            best.score if best else 0.0,
            (best.score - second) if best else 0.0,
            best.coverage if best else 0.0,
            max(best.candidate.hit.cosine, 0.0) if best else 0.0,
            min(best.candidate.hit.bm25_norm, 2.0) if best else 0.0,
            float(typed),
            max((h.cosine for h in hits), default=0.0),
            best.type_sim if best else 0.0,
            float(answer_head(question) is not None),
        ],
        dtype=np.float32,
    )


@dataclass(frozen=True)
class Selection:
    answered: bool
    confidence: float
    best: Scored | None


def select_answer(
    question: str, hits: list[Hit], model: SelectorModel | None = None, spans: SpanVectors | None = None
) -> Selection:
    model = model or default_model()
    scored = score_candidates(question, hits, model, spans)
    confidence = float(_sigmoid(confidence_features(question, scored, hits) @ model.confidence))
    confidence = round(confidence, 3)
    if not scored:
        return Selection(False, confidence, None)
    return Selection(confidence >= model.threshold, confidence, scored[0])
