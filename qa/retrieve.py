"""retrieve: a question -> ranked passages, fusing BM25 and dense rankings.

Reciprocal rank fusion (k=60) over the top of each list is the default: it needs no score
calibration across corpora. Fusing whole rankings dilutes the signal (a passage ranked 80th by both
retrievers outranks one ranked 1st by one of them), so each list is cut to `depth` first.

A passage keeps its better vote, not the sum of its two (CombMAX over the RRF votes; the sum only
breaks ties). Summing rewards consensus, and on a question put in other words than the article's the
two retrievers rarely agree on the answering sentence: the sum then lifts sentences that both rank
middling (on topic, not the answer) above the one sentence a retriever ranks first. Taking the better
vote interleaves the two rankings instead.

BM25's vote is weighted by how well the question is matched word for word at all: its best passage's
score over the score of an ideal passage holding every query term (`bm25_norm`), tripled and capped
at 1. A question asked in the article's own words keeps BM25's full vote; a paraphrase that shares
only a word or two with any sentence ranks by rare-word accidents, and there the dense ranking should
lead (with the better-vote rule a weight much below 1 all but hands the ranking to the dense list).

A sentence that says "the bank" or "its chief executive" shares few words with a question naming the
bank, and in a folder of many stories the sentences of other stories that do name things asked about
outrank it. So the retrieved sentences are re-ordered by a story prior: each document is ranked too
(BM25 over all its words, the cosine of its mean sentence vector), and a sentence gains its story's
vote, the best vote among the documents as close to its own as reports of one story are
(`SAME_STORY`). Reports of one story share one vote, so a folder of one story ranks as without it.
Each hit names its story (`Hit.story`, the story's best-voted document): the agree stage does not
ask another story's documents what this one's answer is.

These choices, the RRF constant and the alternatives tried and not adopted (re-rankers, query
expansion, another fusion) were measured on the fitting sets only, never on the regression set: the
figures are in docs/experiments.md ("Decisions once told in docstrings"), and
`bench/retrieval.py --fitting` prints the shipped fusion beside its alternatives.

`Retriever` is the stage the engine calls: the fusion options are chosen when it is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

from qa.embedding import Embedder
from qa.index import HybridIndex
from qa.models import Passage
from qa.tokens import tokenize

RRF_K = 60
TIE_BREAK = 1e-3  # the summed votes' share of the fused score: smaller than any gap between two ranks' votes
FUSION_DEPTH = 20
LEXICAL_TRUST = 3.0  # BM25's RRF weight is min(1, LEXICAL_TRUST * bm25_norm of its best passage)
DOCUMENT_PRIOR = 1.0  # a sentence's RRF score gains this share of its story's RRF vote
SAME_STORY = 0.8  # documents whose topic vectors are this close report one story (cosine)
HITS = 30  # passages retrieved per question: the selector reads the top ones, agreement all of them
Fusion = Literal["rrf", "weighted", "bm25", "dense"]
Votes = Literal["best", "sum"]
FUSIONS = ("rrf", "weighted", "bm25", "dense")
VOTES = ("best", "sum")


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
    story: str | None = None  # the lead document of the story its document reports (None: not judged)
    before: str = ""  # the sentence before it in its document ("" for the first): what "he" may stand for
    date: date | None = None  # its document's date: what "next week" counts from, and what a time is before


class Retriever:
    """The retrieval stage: a question -> its passages, best first. How the two rankings are fused is
    chosen here, once (`fusion`, `depth`, `lexical_trust`, `votes`: see `retrieve`); the engine builds
    the default one, and another can be handed to `Engine(retriever=...)`."""

    def __init__(self, index: HybridIndex, embedder: Embedder, *, k: int = HITS, fusion: Fusion = "rrf",
                 depth: int = FUSION_DEPTH, lexical_trust: float = LEXICAL_TRUST, votes: Votes = "best",
                 document_prior: float = DOCUMENT_PRIOR):
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}: choose rrf, weighted, bm25 or dense")
        if votes not in VOTES:
            raise ValueError(f"unknown votes {votes!r}: choose best or sum")
        self.index = index
        self.embedder = embedder
        self.options = dict(k=k, fusion=fusion, depth=depth, lexical_trust=lexical_trust, votes=votes,
                            document_prior=document_prior)

    def retrieve(self, question: str) -> list[Hit]:
        return retrieve(self.index, question, self.embedder.encode_query(question), **self.options)


def retrieve(
    index: HybridIndex,
    question: str,
    query_vector: np.ndarray,
    k: int = 10,
    fusion: Fusion = "rrf",
    depth: int = FUSION_DEPTH,
    lexical_trust: float = LEXICAL_TRUST,
    votes: Votes = "best",
    document_prior: float = DOCUMENT_PRIOR,
) -> list[Hit]:
    """The top `k` passages. `lexical_trust=math.inf` gives BM25 an equal vote always; `votes="sum"`
    adds a passage's two RRF votes (plain RRF is both); `document_prior=0` ranks sentences alone."""
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
    bm25_weight = lexical_weight(bm25_list[0][1] / ideal if bm25_list else 0.0, lexical_trust)
    fused = fuse(fusion, rows, bm25_rank, dense_rank, bm25_scores, cosine, bm25_weight, votes)
    ranked = sorted(rows, key=lambda row: -fused[row])[:k]
    story_vote, lead = stories_of(index, terms, query_vector, depth, index.documents.doc_of_row[ranked])
    story_of = dict(zip(ranked, lead.tolist()))
    if fusion == "rrf" and document_prior:
        # The prior re-orders what was retrieved and retrieves nothing else: every source keeps the
        # sentences the agree stage judges it by, however its story ranks.
        fused.update({row: fused[row] + document_prior * vote for row, vote in zip(ranked, story_vote.tolist())})
        ranked.sort(key=lambda row: -fused[row])
    doc_ids = index.documents.doc_ids
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
            story=doc_ids[story_of[row]],
            before=sentence_before(index.passages, row),
            date=index.corpus.document(index.passages[row].doc_id).date,
        )
        for row in ranked
    ]


def sentence_before(passages: list[Passage], row: int) -> str:
    """The text of the passage before `row` where it is of the same document (rows are in corpus order)."""
    if row > 0 and passages[row - 1].doc_id == passages[row].doc_id:
        return passages[row - 1].text
    return ""


def stories_of(index: HybridIndex, terms: list[str], query_vector: np.ndarray, depth: int,
               docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of `docs`, the story it reports: (the story's vote, its lead document). A story's vote
    is the best `document_votes` among the documents whose topic vectors are within `SAME_STORY` of
    the document's own, and its lead is that best-voted document (the document itself where none is
    near). Reports of one story share one vote, so the prior never re-orders them (a corpus of one
    story ranks as without it); it lifts the story asked about above the others."""
    votes = document_votes(index, terms, query_vector, depth)
    voted = np.flatnonzero(votes)
    if not len(docs) or not len(voted):
        return np.zeros(len(docs)), np.asarray(docs)
    centroids = index.documents.centroids
    same_story = centroids[docs] @ centroids[voted].T >= SAME_STORY  # docs x voted documents
    weighted = np.where(same_story, votes[voted], 0.0)
    best = weighted.argmax(axis=1)
    story_vote = weighted[np.arange(len(docs)), best]
    return story_vote, np.where(story_vote > 0, voted[best], docs)


def document_votes(index: HybridIndex, terms: list[str], query_vector: np.ndarray, depth: int) -> np.ndarray:
    """Every document's RRF vote: the better of its ranks among documents by BM25 over all its words
    and by the cosine of its topic vector (0 outside both top `depth`)."""
    documents = index.documents
    votes = np.zeros(len(documents.centroids))
    total, candidates = documents.bm25.score_array(terms)
    for rank, (doc, _) in enumerate(documents.bm25.best_of(total, candidates, depth), 1):
        votes[doc] = fuse_rrf(rank)
    cosines = documents.centroids @ query_vector
    nearest = np.argpartition(-cosines, depth)[:depth] if len(cosines) > depth else np.arange(len(cosines))
    nearest = nearest[np.argsort(-cosines[nearest], kind="stable")]
    for rank, doc in enumerate(nearest.tolist(), 1):
        votes[doc] = max(votes[doc], fuse_rrf(rank))
    return votes


def fuse(
    fusion: Fusion,
    rows: list[int],
    bm25_rank: dict[int, int],
    dense_rank: dict[int, int],
    bm25_scores: dict[int, float],
    cosine: dict[int, float],
    bm25_weight: float = 1.0,
    votes: Votes = "best",
) -> dict[int, float]:
    if fusion == "rrf":
        return {
            row: rrf_score(bm25_weight * fuse_rrf(bm25_rank.get(row)), fuse_rrf(dense_rank.get(row)), votes)
            for row in rows
        }
    if fusion == "bm25":
        return {row: bm25_scores.get(row, 0.0) for row in rows}
    if fusion == "dense":
        return {row: cosine[row] if row in dense_rank else -1.0 for row in rows}
    if fusion == "weighted":
        return fuse_weighted(rows, bm25_scores, cosine)
    raise ValueError(f"unknown fusion {fusion!r}: choose rrf, weighted, bm25 or dense")


def lexical_weight(best_bm25_norm: float, trust: float = LEXICAL_TRUST) -> float:
    """BM25's say in the fusion: full when some passage matches at least 1/trust of the question's
    term weight, less the fewer of its words any passage shares."""
    return 1.0 if math.isinf(trust) else min(1.0, trust * best_bm25_norm)


def rrf_score(bm25_vote: float, dense_vote: float, votes: Votes = "best") -> float:
    if votes == "sum":
        return bm25_vote + dense_vote
    if votes == "best":
        return max(bm25_vote, dense_vote) + TIE_BREAK * (bm25_vote + dense_vote)
    raise ValueError(f"unknown votes {votes!r}: choose best or sum")


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
