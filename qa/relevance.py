"""relevance: do the articles speak to the question at all? A score of its own, apart from the span.

The reader's span confidence says whether the engine can stand behind a short answer; it is low for
most questions the articles do answer in other words, so it cannot also decide "the articles don't
cover this". That decision reads what separates a question about the articles' subject from one about
another subject:
- the cosine of the question to its nearest sentence (off-topic questions rarely pass 0.35),
- how much of the question's term weight the best sentence matches word for word (BM25 coverage).
A logistic model over the two gives the relevance in 0..1; its weights and cut are fitted by
`bench/calibrate_threshold.py` on the calibration sets and SQuAD 2.0 dev articles 1-29 (questions
against their own article: on topic; against another article: off topic) and stored in the
reader's card beside the span threshold. The reader's margin is left out on purpose: it says whether
a sentence answers, not whether the articles are about the question, and with it the on-topic
questions no sentence answers looked off topic (docs/experiments.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.logistic import squash
from qa.reader import CARD_PATH
from qa.retrieve import Hit

FEATURES = ("cosine", "coverage")


@dataclass(frozen=True)
class RelevanceModel:
    weights: tuple[float, ...]  # one per FEATURES entry
    bias: float
    threshold: float  # below it the answer is "none": nothing in the articles is about the question

    def score(self, hits: Sequence[Hit]) -> float:
        return self.score_features(relevance_features(hits))

    def score_features(self, features: Sequence[float]) -> float:
        return squash(self.bias + float(np.dot(self.weights, features)))


def relevance_features(hits: Sequence[Hit]) -> np.ndarray:
    """The features in FEATURES order; no hits at all look like the least relevant question."""
    if not hits:
        return np.zeros(len(FEATURES))
    return np.array([max(h.cosine for h in hits), min(1.0, max(h.bm25_norm for h in hits))])


# Until calibrated: cosine alone, cut where off-topic questions mostly stop (0.35).
UNCALIBRATED = RelevanceModel(weights=(20.0, 0.0), bias=-7.0, threshold=0.5)


@lru_cache(maxsize=1)
def relevance_model() -> RelevanceModel:
    """The model calibrated by bench/calibrate_threshold.py, as stored in the reader's card."""
    try:
        stored = json.loads(CARD_PATH.read_text(encoding="utf-8"))["relevance"]
        if tuple(stored["features"]) != FEATURES:  # a card fitted on other features
            return UNCALIBRATED
        return RelevanceModel(tuple(float(w) for w in stored["weights"]), float(stored["bias"]),
                              float(stored["threshold"]))
    except (OSError, KeyError, ValueError, TypeError):
        return UNCALIBRATED
