"""retrieve: a question -> ranked passages, fusing BM25 and dense rankings.

Reciprocal rank fusion (k=60) over the top of each list is the default: it needs no score
calibration across corpora. Fusing whole rankings dilutes the signal (a passage ranked 80th by both
retrievers outranks one ranked 1st by one of them), so each list is cut to `depth` first. The
weighted alternative mixes min-max normalised BM25 with cosine similarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from qa.index import HybridIndex, tokenize
from qa.models import Passage

RRF_K = 60
FUSION_DEPTH = 20
Fusion = Literal["rrf", "weighted", "bm25", "dense"]


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    row: int
    bm25: float
    bm25_norm: float  # bm25 / the score of an ideal passage: comparable across corpora
    cosine: float
    fused: float
    bm25_rank: int | None  # 1-based; None when outside the BM25 list
    dense_rank: int | None


def retrieve(
    index: HybridIndex,
    question: str,
    query_vector: np.ndarray,
    k: int = 10,
    fusion: Fusion = "rrf",
    depth: int = FUSION_DEPTH,
) -> list[Hit]:
    terms = tokenize(question)
    total, candidates = index.bm25.score_array(terms)  # every passage's score, 0 without a query term
    ideal = index.bm25.ideal_score(terms)
    bm25_list = index.bm25.best_of(total, candidates, depth)
    dense_list = index.dense_search(query_vector, depth)
    bm25_rank = {row: r for r, (row, _) in enumerate(bm25_list, 1)}
    dense_rank = {row: r for r, (row, _) in enumerate(dense_list, 1)}
    rows = list(dict.fromkeys([row for row, _ in bm25_list] + [row for row, _ in dense_list]))
    bm25_scores = {row: score for row in rows if (score := float(total[row]))}
    cosines = index.vectors[rows] @ query_vector if rows else np.zeros(0)
    cosine = dict(zip(rows, cosines.tolist()))
    fused = fuse(fusion, rows, bm25_rank, dense_rank, bm25_scores, cosine)
    ranked = sorted(rows, key=lambda row: -fused[row])[:k]
    return [
        Hit(
            passage=index.passages[row],
            row=row,
            bm25=bm25_scores.get(row, 0.0),
            bm25_norm=bm25_scores.get(row, 0.0) / ideal,
            cosine=cosine[row],
            fused=fused[row],
            bm25_rank=bm25_rank.get(row),
            dense_rank=dense_rank.get(row),
        )
        for row in ranked
    ]


def fuse(
    fusion: Fusion,
    rows: list[int],
    bm25_rank: dict[int, int],
    dense_rank: dict[int, int],
    bm25_scores: dict[int, float],
    cosine: dict[int, float],
) -> dict[int, float]:
    if fusion == "rrf":
        return {row: fuse_rrf(bm25_rank.get(row), dense_rank.get(row)) for row in rows}
    if fusion == "bm25":
        return {row: bm25_scores.get(row, 0.0) for row in rows}
    if fusion == "dense":
        return {row: cosine[row] if row in dense_rank else -1.0 for row in rows}
    if fusion == "weighted":
        return fuse_weighted(rows, bm25_scores, cosine)
    raise ValueError(f"unknown fusion {fusion!r}: choose rrf, weighted, bm25 or dense")


def fuse_rrf(*ranks: int | None, k: int = RRF_K) -> float:
    return sum(1.0 / (k + r) for r in ranks if r is not None)


def fuse_weighted(
    rows: list[int], bm25_scores: dict[int, float], cosine: dict[int, float], bm25_weight: float = 0.5
) -> dict[int, float]:
    top = max((bm25_scores.get(row, 0.0) for row in rows), default=0.0) or 1.0
    return {
        row: bm25_weight * bm25_scores.get(row, 0.0) / top + (1 - bm25_weight) * cosine[row]
        for row in rows
    }
