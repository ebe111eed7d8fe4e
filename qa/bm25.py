"""bm25: rank-bm25's Okapi scores from term counts laid out as sparse matrices (bm25s-style).

The raw counts per passage are a CSR matrix (`TermCounts`); `InvertedBM25` re-orders them by term into
postings, so a query touches only the passages holding one of its terms: the same scores as
rank_bm25's `BM25Okapi.get_scores`, without walking every passage in Python. The counts are saved
beside the manifest (`save_term_counts`), so a restart tokenizes only passages it has not seen.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse

from qa.files import written_atomically
from qa.tokens import tokenizer_fingerprint

log = logging.getLogger(__name__)


@dataclass
class TermCounts:
    """How often each passage holds each term: the raw statistics BM25 is computed from, as a CSR
    matrix (passage rows, term columns), compact to keep and quick to save and load."""

    vocabulary: list[str]
    indptr: np.ndarray  # int64, one more than there are passages: row r is entries indptr[r]:indptr[r+1]
    term_ids: np.ndarray  # int32, a column of `vocabulary` per entry
    counts: np.ndarray  # int32, how often that term occurs in that passage

    @classmethod
    def of_tokenized(cls, tokenized: Iterable[list[str]]) -> TermCounts:
        return cls.of_frequencies(Counter(tokens) for tokens in tokenized)

    @classmethod
    def of_frequencies(cls, rows: Iterable[Mapping[str, int]]) -> TermCounts:
        column: dict[str, int] = {}
        term_ids: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for frequencies in rows:
            for term, count in frequencies.items():
                term_ids.append(column.setdefault(term, len(column)))
                counts.append(count)
            indptr.append(len(term_ids))
        return cls(list(column), np.array(indptr, np.int64), np.array(term_ids, np.int32),
                   np.array(counts, np.int32))

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def terms(self, row: int) -> list[str]:
        lo, hi = self.indptr[row], self.indptr[row + 1]
        return [self.vocabulary[i] for i in self.term_ids[lo:hi].tolist()]

    def frequencies(self, row: int) -> dict[str, int]:
        lo, hi = self.indptr[row], self.indptr[row + 1]
        return dict(zip(self.terms(row), self.counts[lo:hi].tolist()))

    def summed(self, group_of_row: np.ndarray) -> TermCounts:
        """The counts of whole groups of rows (a document's sentences): row g of the result adds up
        the rows whose `group_of_row` is g. One sparse product (0.05 s for 100k sentences)."""
        matrix = scipy.sparse.csr_matrix((self.counts, self.term_ids, self.indptr),
                                         shape=(len(self), max(len(self.vocabulary), 1)))
        total = (membership(group_of_row, np.int32) @ matrix).tocsr()
        total.sort_indices()  # each group's terms ascending (the product leaves them in any order)
        return TermCounts(self.vocabulary, total.indptr.astype(np.int64), total.indices.astype(np.int32),
                          total.data.astype(np.int32))

    def is_well_formed(self) -> bool:
        """Cheap checks that a loaded file cannot index out of bounds or mis-assign counts."""
        n = len(self.term_ids)
        return (
            self.indptr.ndim == 1 and len(self.indptr) >= 1 and self.indptr[0] == 0 and self.indptr[-1] == n
            and bool(np.all(np.diff(self.indptr) >= 0)) and len(self.counts) == n
            and (n == 0 or (int(self.term_ids.min()) >= 0 and int(self.term_ids.max()) < len(self.vocabulary)))
            and bool(np.all(self.counts > 0))
        )


def membership(group_of_row: np.ndarray, dtype=np.float32) -> scipy.sparse.csr_matrix:
    """groups x rows, 1 where a row belongs to a group: a product with it sums each group's rows."""
    groups = int(group_of_row.max()) + 1 if len(group_of_row) else 0
    rows = np.arange(len(group_of_row))
    return scipy.sparse.csr_matrix((np.ones(len(rows), dtype), (group_of_row, rows)), shape=(groups, len(rows)))


def okapi_idf(document_frequency: np.ndarray, size: int, epsilon: float) -> np.ndarray:
    """rank-bm25's BM25Okapi idf: log((N - df + 0.5) / (df + 0.5)); a term in half the passages or
    more would score 0 or less, so it gets epsilon times the average idf instead. (rank-bm25 floors
    only negative idfs, so a term in exactly half of them scored 0: in a folder of a few articles the
    story's own word, "bridge" in 6 of 12 sentences, counted for nothing, and "Who opposed the
    bridge?" matched no sentence at all.)"""
    idf = np.log(size - document_frequency + 0.5) - np.log(document_frequency + 0.5)
    if len(idf):
        floor = epsilon * idf.mean()
        # over two or three documents every idf is 0 or less and so is the floor: a zero stays 0
        idf[(idf < 0) | ((idf == 0) & (floor > 0))] = floor
    return idf


class InvertedBM25:
    """rank-bm25's Okapi scores, computed from postings: a query touches only the passages holding one
    of its terms. Built from token lists, or from `TermCounts` saved by an earlier start."""

    def __init__(self, tokenized: list[list[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25):
        self._index(TermCounts.of_tokenized(tokenized), k1, b, epsilon)

    @classmethod
    def from_counts(cls, counts: TermCounts, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25):
        bm25 = cls.__new__(cls)
        bm25._index(counts, k1, b, epsilon)
        return bm25

    def _index(self, counts: TermCounts, k1: float, b: float, epsilon: float) -> None:
        self.counts = counts
        self.size = len(counts)
        self._k1 = k1
        self._column = {term: i for i, term in enumerate(counts.vocabulary)}
        row_of_entry = np.repeat(np.arange(self.size, dtype=np.int32), np.diff(counts.indptr))
        # Postings: the entries re-ordered by term (stable, so each term's rows stay ascending).
        by_term = np.argsort(counts.term_ids, kind="stable")
        self._posting_rows = row_of_entry[by_term]
        self._posting_tfs = counts.counts[by_term].astype(np.float32)
        document_frequency = np.bincount(counts.term_ids, minlength=len(counts.vocabulary))
        self._posting_start = np.concatenate(([0], np.cumsum(document_frequency)))
        self.idf = okapi_idf(document_frequency, self.size, epsilon)
        lengths = np.bincount(row_of_entry, weights=counts.counts, minlength=self.size)
        average_length = lengths.mean() if self.size and lengths.any() else 1.0
        self._norm = (k1 * (1 - b + b * lengths / average_length)).astype(np.float32)
        self._top_idf = float(self.idf.max()) if len(self.idf) else 1.0

    def ideal_score(self, query_terms: list[str]) -> float:
        """About what a passage holding every query term once scores: scales BM25 across corpora.

        Terms the corpus never saw count at the highest idf, so a question about things the
        corpus lacks cannot look well covered.
        """
        if not self.size or not query_terms:
            return 1.0
        return sum(max(self._idf_of(t, self._top_idf), 0.0) for t in set(query_terms)) or 1.0

    def _idf_of(self, term: str, unseen: float) -> float:
        column = self._column.get(term)
        return unseen if column is None else float(self.idf[column])

    def top(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        """The k best (row, score), best first, ties by row, without building and sorting a dict of
        every matching passage (tens of thousands in a large corpus)."""
        return self.best_of(*self.score_array(query_terms), k)

    @staticmethod
    def best_of(total: np.ndarray, candidates: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k best (row, score) among candidates, from `score_array`'s output."""
        values = total[candidates]
        order = np.lexsort((candidates, -values))[:k]
        return list(zip(candidates[order].tolist(), values[order].tolist()))

    def score_array(self, query_terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(score of every passage, sorted rows of the passages containing a query term)."""
        total = np.zeros(self.size, dtype=np.float32)
        touched: list[np.ndarray] = []
        for term in query_terms:
            column = self._column.get(term)
            if column is None:
                continue
            lo, hi = self._posting_start[column], self._posting_start[column + 1]
            ids, tfs = self._posting_rows[lo:hi], self._posting_tfs[lo:hi]
            total[ids] += float(self.idf[column]) * tfs * (self._k1 + 1) / (tfs + self._norm[ids])
            touched.append(ids)
        candidates = np.unique(np.concatenate(touched)) if touched else np.zeros(0, np.int64)
        return total, candidates

    def arrays(self) -> list[np.ndarray]:
        """Every array the scores are computed from (for measuring the memory BM25 holds)."""
        return [self.counts.indptr, self.counts.term_ids, self.counts.counts, self._posting_rows,
                self._posting_tfs, self._posting_start, self.idf, self._norm]


def save_term_counts(path: Path, keys: list[str], counts: TermCounts) -> None:
    with written_atomically(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, tokenizer=np.array(tokenizer_fingerprint()), keys=np.array(keys, dtype=str),
                 vocabulary=np.array(counts.vocabulary, dtype=str), indptr=counts.indptr,
                 term_ids=counts.term_ids, counts=counts.counts)


def load_term_counts(path: Path) -> tuple[list[str], TermCounts] | None:
    """(passage keys, their term counts) as saved, or None for a missing, foreign, damaged file or
    one from another tokenizer: it is derived data, and tokenizing again rebuilds it."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["tokenizer"]) != tokenizer_fingerprint():
                return None
            keys = saved["keys"].tolist()
            counts = TermCounts(saved["vocabulary"].tolist(), saved["indptr"].astype(np.int64),
                                saved["term_ids"].astype(np.int32), saved["counts"].astype(np.int32))
    except Exception as err:  # missing, truncated, not an npz, a field missing
        if path.exists():
            log.warning("BM25 cache %s is unreadable (%s); tokenizing the passages again", path, err)
        return None
    if len(keys) != len(counts) or not counts.is_well_formed():
        log.warning("BM25 cache %s does not hold well-formed counts; tokenizing the passages again", path)
        return None
    return keys, counts
