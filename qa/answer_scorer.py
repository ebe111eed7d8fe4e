"""answer_scorer: how likely one candidate span is to be a right short answer, in 0..1.

The reader proposes a span in each sentence it reads, and the values of the kind the question asks
for (`qa.expected`) are candidates too. One calibrated score ranks them all and is the confidence of
the one that wins: the reader's margin says how strongly the sentence points at the span, and the
rest says what the margin cannot see: whether the span is of the kind asked for, whether it only
repeats the question's words, how long it is, how close its sentence is to the question and how
high retrieval ranked it. A logistic model over those features is fitted by
`bench/calibrate_threshold.py` on SQuAD 2.0 dev articles the reader never trained on, and stored in
the reader's card; until then the score is the squashed margin alone, as it was before.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.logistic import squash
from qa.expected import asks_for_a_reason
from qa.reader import CARD_PATH
from qa.values import compatible, find_names, find_values, parse_value

FEATURES = ("margin", "kind_fits", "kind_misses", "echo", "log_words", "cosine", "coverage", "rank", "reader_pick")
MARGIN_RANGE = (-10.0, 15.0)  # beyond these the margin says nothing more
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Candidate:
    """What the scorer knows of one candidate span, before it is scored."""

    text: str
    margin: float  # the reader's score for the span minus its sentence's no-answer score
    cosine: float  # of the question to the span's sentence
    coverage: float  # BM25 coverage of the question by the sentence, 0..1
    rank: int  # the sentence's place in retrieval, 0 first
    reader_pick: bool  # the reader's own best span of its sentence (not a typed candidate)
    kinds_in_sentence: frozenset[str] = frozenset()  # of the values its sentence states inside the span
    out_of_tense: bool = False  # a time on the wrong side of its report's date ("1962" for "When will ...")
    counts_another_thing: bool = False  # "86 reports" for "How many fires ...?" beside "14 fires"


def repeats_question(question: str, text: str) -> bool:
    """The span only repeats the question: every word of it is the question's, or it is a name the
    question names, in another spelling or in full ("Zelenskiy", "Volodymyr Zelensky" for "Who did
    Zelensky ..."), or such a name with a description after it ("Gregor Vance, the former mayor" for
    "Who sentenced Vance?"). Such a span tells the reader nothing, so it is never offered as what a
    source says or as a guess. A question offering a choice ("Kyiv or Lviv?") is answered by its own words."""
    asked = _WORD.findall(question.lower())
    if "or" in asked:
        return False
    words = _WORD.findall(text.lower())
    if words and set(words) <= set(asked):
        return True
    described = _DESCRIBED_NAME.match(text)
    span = parse_value(described.group(1) if described else text)
    if span is None or span.kind != "name":
        return False
    return any(compatible(span, name) is True for name in find_names(question))


_DESCRIBED_NAME = re.compile(r"^([^,]+),\s+(?:the|a|an|his|her|its|their)\s[^,]*$", re.IGNORECASE)


def is_bare_name(text: str) -> bool:
    """The span is one name and nothing else ("Redmere", "Hessler AG")."""
    names = find_names(text)
    return len(names) == 1 and names[0].text == text.strip()


def candidate_features(question: str, kinds: frozenset[str], candidate: Candidate) -> np.ndarray:
    """The features in FEATURES order."""
    words = _WORD.findall(candidate.text.lower())
    asked = set(_WORD.findall(question.lower()))
    # A value's kind is read in its sentence ("in April", "founded in 1221") and in the span alone.
    fits = bool(candidate.kinds_in_sentence & kinds or any(v.kind in kinds for v in find_values(candidate.text))) \
        if kinds else None
    if (candidate.out_of_tense or candidate.counts_another_thing
            or (not kinds and asks_for_a_reason(question) and is_bare_name(candidate.text))):
        fits = False  # of the kind asked but not of the time or thing asked, or a name given for a reason
    return np.array([
        min(max(candidate.margin, MARGIN_RANGE[0]), MARGIN_RANGE[1]),
        float(fits is True),
        float(fits is False),
        sum(w in asked for w in words) / max(1, len(words)),  # a span that only repeats the question
        math.log1p(len(words)),
        candidate.cosine,
        min(1.0, candidate.coverage),
        float(candidate.rank),
        float(candidate.reader_pick),
    ])


@dataclass(frozen=True)
class AnswerScorer:
    weights: tuple[float, ...]  # one per FEATURES entry
    bias: float

    def score(self, features: Sequence[float]) -> float:
        return squash(self.bias + float(np.dot(self.weights, features)))


# Until calibrated: the squashed margin, the reader's own confidence.
UNCALIBRATED = AnswerScorer(weights=(1.0,) + (0.0,) * (len(FEATURES) - 1), bias=0.0)


@lru_cache(maxsize=1)
def answer_scorer() -> AnswerScorer:
    """The scorer fitted by bench/calibrate_threshold.py, as stored in the reader's card."""
    try:
        stored = json.loads(CARD_PATH.read_text(encoding="utf-8"))["answer_scorer"]
        if tuple(stored["features"]) != FEATURES:
            return UNCALIBRATED
        return AnswerScorer(tuple(float(w) for w in stored["weights"]), float(stored["bias"]))
    except (OSError, KeyError, ValueError, TypeError):
        return UNCALIBRATED
