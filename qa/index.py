"""index: passages -> a persisted hybrid index (Chroma vectors + in-process BM25) and its manifest.

Chroma holds one vector per passage. Passage ids carry a hash of the passage text, so bringing the
store up to date is a set difference: ids the corpus has and the store lacks are embedded, ids the
store has and the corpus lacks are deleted. That makes updates incremental (only changed sentences
are re-embedded) and self-healing (a build killed half-way is finished by the next start, and no
stale passage of a removed document survives).

BM25 gives rank-bm25's `BM25Okapi` scores, held in memory (local Chroma has no sparse search). Its
statistics are laid out as an inverted index so a query scores only documents containing a query
term: the same scores as `get_scores`, without walking every passage in Python. The raw term counts
per passage are saved in `bm25.npz` beside the manifest, keyed by passage id like the vector cache,
so a restart tokenizes only passages it has not seen.

Each sentence is embedded alone. Giving it context, so that "these resources" or "he said" carry
what they refer to, was measured on the fitting sets (hybrid MRR; SQuAD 2.0 dev articles 1-17,
answer-holding sentence; tests/calibration) and not adopted: the article's title before the sentence
(calibration 0.942 -> 0.923) or the previous sentence (0.917) make the sentences of one story alike;
adding a share of the previous sentence's vector (0.2 / 0.35 of it) moved SQuAD 0.797 -> 0.806 / 0.805
and calibration 0.942 -> 0.923 / 0.942, within noise, and tied every vector to its neighbour's.

Every passage vector is also kept in memory (`HybridIndex.vectors`, corpus order) for agreement and
fusion, and cached in `vectors.npz` beside the manifest so a restart does not pull 100k vectors back
out of Chroma (over HTTP in server mode). The cache is derived data: keyed by passage id and model,
and anything it lacks is read from Chroma.

An index folder belongs to one corpus folder, which its manifest records: opened for another corpus
it is refused (`CorpusMismatch`), since syncing would re-embed it for the other corpus and the first
corpus's next start would re-embed it back; only an explicit rebuild takes it over.

Server mode (`chroma_host`): many indexes can share one Chroma server, so each index folder gets its
own collection, named `passages-<random>` at its first build and recorded in its manifest; the
manifest and the vector cache stay in the index folder as in embedded mode.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import snowballstemmer
from filelock import FileLock, Timeout
from tqdm import tqdm

from qa.corpus import Corpus
from qa.embedding import Embedder
from qa.models import Passage

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
COLLECTION = "passages"
MANIFEST = "manifest.json"
VECTOR_CACHE = "vectors.npz"
BM25_CACHE = "bm25.npz"
EMBED_BATCH = 256  # passages per forward-pass call (and the first store: a killed build keeps them)
STORE_BATCH = 4096  # Chroma adds cost less per vector in large batches; store sizes double up to this
LOCK_NOTICE_SECONDS = 5  # waiting longer than this for another indexer is worth a word

# --- tokenizer (shared by indexing and querying) ------------------------------------------------

# Numbers keep their decimals, ranges and signs ("2.5", "18-24", "$14.8", "20%"); dotted
# abbreviations stay one token ("U.S." -> "us"); hyphenated words count whole and by part.
_TOKEN = re.compile(
    r"\$?\d+(?:[.,]\d+)*(?:-\d+(?:[.,]\d+)*)?%?"
    r"|(?:[^\W\d_]\.){2,}"
    r"|[^\W_]+(?:[-'’][^\W_]+)*",
)
_STOPWORDS = frozenset(
    """a an and are as at be been being but by did do does for from had has have he her his how i
    if in into is it its me my no not of on or our she so than that the their them then there these
    they this those to too was we were what when where which while who whom whose why will with
    would you your can could should may might must shall also about after before up out over such
    any all each both other some own same very s t just""".split()
)  # not "us": the pronoun carries little, while "U.S."/"US" is a country and reads as "us"


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("english")


_stem_lock = threading.Lock()


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # A snowball stemmer holds the word it is working on in itself: two threads stemming at once
    # (the web app answers several questions at a time) get each other's stems or an IndexError.
    with _stem_lock:
        return _stemmer().stemWord(word)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed terms for BM25; stopwords dropped, numbers and hyphenations kept."""
    terms: list[str] = []
    for raw in _TOKEN.findall(text.casefold()):
        token = raw.replace("’", "'").rstrip("'")
        if token.endswith("'s"):
            token = token[:-2]
        if "." in token and not token[0].isdigit() and not token.startswith("$"):
            token = token.replace(".", "")  # u.s. -> us
        if not token or token in _STOPWORDS:
            continue
        terms.append(_stem(token) if token.isalpha() else token)
        if "-" in token:
            terms.extend(_stem(part) for part in token.split("-") if part and part not in _STOPWORDS)
    return terms


# --- BM25 with an inverted index ------------------------------------------------------------------


@lru_cache(maxsize=1)
def tokenizer_fingerprint() -> str:
    """Changes whenever `tokenize` could give other terms: saved term counts of another tokenizer
    are not reused."""
    parts = [inspect.getsource(tokenize), inspect.getsource(_stem.__wrapped__), _TOKEN.pattern,
             " ".join(sorted(_STOPWORDS)), importlib.metadata.version("snowballstemmer")]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


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

    def is_well_formed(self) -> bool:
        """Cheap checks that a loaded file cannot index out of bounds or mis-assign counts."""
        n = len(self.term_ids)
        return (
            self.indptr.ndim == 1 and len(self.indptr) >= 1 and self.indptr[0] == 0 and self.indptr[-1] == n
            and bool(np.all(np.diff(self.indptr) >= 0)) and len(self.counts) == n
            and (n == 0 or (int(self.term_ids.min()) >= 0 and int(self.term_ids.max()) < len(self.vocabulary)))
            and bool(np.all(self.counts > 0))
        )


def okapi_idf(document_frequency: np.ndarray, size: int, epsilon: float) -> np.ndarray:
    """rank-bm25's BM25Okapi idf: log((N - df + 0.5) / (df + 0.5)); a term in more than half the
    passages would score negative, so it gets epsilon times the average idf instead."""
    idf = np.log(size - document_frequency + 0.5) - np.log(document_frequency + 0.5)
    if len(idf):
        idf[idf < 0] = epsilon * idf.mean()
    return idf


class InvertedBM25:
    """rank-bm25's Okapi scores, computed from postings (bm25s-style data layout): a query touches
    only the passages holding one of its terms. Built from token lists, or from `TermCounts` saved
    by an earlier start, so a restart tokenizes nothing."""

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

    def terms_of(self, row: int) -> frozenset[str]:
        """The terms of one passage, as counted at index time."""
        return frozenset(self.counts.terms(row))

    def scores_for(self, query: str) -> dict[int, float]:
        return self.scores(tokenize(query))

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

    def scores(self, query_terms: list[str]) -> dict[int, float]:
        """BM25 score of every passage that contains at least one query term."""
        total, candidates = self.score_array(query_terms)
        return dict(zip(candidates.tolist(), total[candidates].tolist()))

    def top(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        """The k best (row, score), best first, ties by row: `sorted(scores().items())[:k]` without
        building and sorting a dict of every matching passage (tens of thousands in a large corpus)."""
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


# --- saved term counts ------------------------------------------------------------------------------


def save_term_counts(path: Path, keys: list[str], counts: TermCounts) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, tokenizer=np.array(tokenizer_fingerprint()), keys=np.array(keys, dtype=str),
                 vocabulary=np.array(counts.vocabulary, dtype=str), indptr=counts.indptr,
                 term_ids=counts.term_ids, counts=counts.counts)
    os.replace(tmp, path)


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


# --- the persisted index ------------------------------------------------------------------------------


class IndexUnavailable(RuntimeError):
    """The index cannot be opened or built; the message says what to do."""


class CorpusMismatch(IndexUnavailable):
    """The index folder holds the index of another folder of articles. Syncing it to this corpus
    would silently re-embed over that index (and the other corpus's next run would do it back)."""


@dataclass
class SyncReport:
    embedded: int
    deleted: int
    reused: int
    rebuilt: bool


def passage_key(passage: Passage) -> str:
    """Stable id: the document and a hash of the sentence text, not its offsets.

    A vector depends only on the text, so an edit that shifts later sentences must not make them
    look new; a document never holds the same sentence twice (corpus drops repeats), so the id is
    unique.
    """
    digest = hashlib.sha1(passage.text.encode("utf-8")).hexdigest()[:16]
    return f"{passage.doc_id}#{digest}"


def chroma_settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_chroma(index_dir: Path, host: str | None = None, port: int | None = None):
    """The embedded store under index_dir, or a Chroma server when host is given."""
    import chromadb

    if host:
        return chromadb.HttpClient(host=host, port=port or 8000, settings=chroma_settings())
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings())


class HybridIndex:
    """Chroma vectors + BM25 over one corpus; `sync` brings the store in line with the corpus."""

    def __init__(
        self,
        corpus: Corpus,
        index_dir: str | Path,
        embedder: Embedder,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
    ):
        self.corpus = corpus
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.chroma_host = chroma_host
        self.chroma_port = chroma_port
        self.passages: list[Passage] = corpus.passages
        self.keys = [passage_key(p) for p in self.passages]
        self.row_of_key = {k: i for i, k in enumerate(self.keys)}
        self.vectors = np.zeros((0, embedder.dimension), dtype=np.float32)
        self.bm25, self._bm25_cache_up_to_date = self._load_or_build_bm25()
        self.collection = None
        self.collection_name = COLLECTION

    # -- build / update ------------------------------------------------------------------------

    def sync(self, rebuild: bool = False, progress: bool = False) -> SyncReport:
        from chromadb.errors import ChromaError

        with self._writer_lock():
            self._started_afresh = False
            self._claim_for_corpus(rebuild)
            self.collection_name = self._collection_name()
            rebuilt = rebuild or not self._manifest_matches()
            client = self._open_client()
            try:
                report = self._bring_up_to_date(client, rebuilt, progress)
            except ChromaError as err:  # a garbled vector segment shows only once it is read
                report = self._bring_up_to_date(self._start_afresh(err), True, progress)
        return report

    def _bring_up_to_date(self, client, rebuilt: bool, progress: bool) -> SyncReport:
        if rebuilt:
            _drop_collection(client, self.collection_name)
        self._client = client
        self.collection = client.get_or_create_collection(
            self.collection_name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        stored = self._stored_ids()
        wanted = set(self.keys)
        stale = sorted(stored - wanted)
        missing = [k for k in self.keys if k not in stored]
        # Say first that a build is under way: if it is killed, the next start finishes it.
        self._write_manifest(complete=False)
        self._delete(stale)
        self.vectors = np.zeros((len(self.keys), self.embedder.dimension), dtype=np.float32)
        have = np.zeros(len(self.keys), dtype=bool)
        self._embed_and_add(missing, progress, have)
        cache_up_to_date = not (rebuilt or self._started_afresh) and self._fill_from_cache(have)
        self._load_vectors(have)
        if not cache_up_to_date:
            self._write_vector_cache()
        if not self._bm25_cache_up_to_date:
            save_term_counts(self.bm25_cache_path, self.keys, self.bm25.counts)
            self._bm25_cache_up_to_date = True
        self._probe_search()
        self._write_manifest(complete=True)
        return SyncReport(
            embedded=len(missing),
            deleted=len(stale),
            reused=len(wanted & stored),
            rebuilt=rebuilt or self._started_afresh,
        )

    def _stored_ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    @contextmanager
    def _writer_lock(self):
        """One writer per index folder. flock is released by the kernel when its holder dies, so a
        killed `qa index` never leaves the folder locked; a live one is waited for."""
        lock = FileLock(str(self.index_dir / ".lock"))
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            try:
                lock.acquire(timeout=LOCK_NOTICE_SECONDS)
            except Timeout:
                log.warning("waiting for another process that is indexing %s", self.index_dir)
                lock.acquire()
        except OSError as err:  # read-only or full file system, no permission
            raise not_writable(self.index_dir, err) from err
        try:
            yield
        finally:
            lock.release()

    def _probe_search(self) -> None:
        """One nearest-neighbour query, so a garbled HNSW segment fails here, at start, not at the
        first question."""
        if self.keys:
            self.collection.query(query_embeddings=[self.vectors[0]], n_results=1, include=["distances"])

    def _open_client(self):
        """The store, checked by one read. A store that cannot be read is wiped and started afresh:
        it holds only derived data (vectors of the corpus), so nothing is lost."""
        try:
            client = open_chroma(self.index_dir, self.chroma_host, self.chroma_port)
            client.list_collections()
            return client
        except Exception as err:  # a garbled sqlite file, a half-written segment, a server down
            return self._start_afresh(err)

    def _start_afresh(self, err: Exception):
        """Wipe an unreadable local store and open an empty one in its place."""
        chroma_dir = self.index_dir / "chroma"
        if self.chroma_host:
            raise IndexUnavailable(f"cannot use the Chroma server {self.chroma_host}: {err}") from err
        if self._started_afresh:  # a fresh store failed too: not a damaged file, so say so
            raise IndexUnavailable(f"cannot write the index at {chroma_dir}: {err}") from err
        log.warning("index at %s is unreadable (%s); rebuilding it", chroma_dir, err)
        self._started_afresh = True
        forget_cached_clients()
        shutil.rmtree(chroma_dir, ignore_errors=True)
        try:
            return open_chroma(self.index_dir)
        except Exception as again:
            raise IndexUnavailable(f"cannot create the index at {chroma_dir}: {again}") from again

    def _delete(self, keys: list[str]) -> None:
        for batch in _batches(keys, 5000):
            self.collection.delete(ids=batch)

    def _embed_and_add(self, keys: list[str], progress: bool, have: np.ndarray) -> None:
        """Embed the passages of `keys` into `self.vectors` and store them in Chroma.

        Passages are embedded in order of length (less padding per forward pass) and stored in
        batches that double from EMBED_BATCH up to STORE_BATCH: a small or killed build keeps its
        first batches, a large one pays Chroma's per-call cost rarely. The bar counts stored passages.
        """
        bar = tqdm(total=len(keys), desc="embedding passages", unit="passage", disable=not progress)
        rows = sorted((self.row_of_key[k] for k in keys), key=lambda r: len(self.passages[r].text))
        pending: list[int] = []
        store_at = EMBED_BATCH
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            self.vectors[batch] = self.embedder.encode([self.passages[r].text for r in batch], batch_size=64)
            pending.extend(batch)
            if len(pending) >= store_at or start + EMBED_BATCH >= len(rows):
                self._store(pending)
                have[pending] = True
                bar.update(len(pending))
                pending = []
                store_at = min(2 * store_at, self._store_batch_limit())
        bar.close()

    def _store(self, rows: list[int]) -> None:
        self.collection.add(
            ids=[self.keys[r] for r in rows],
            embeddings=self.vectors[rows],
            # offsets live in the corpus: they shift when a document is edited
            metadatas=[{"doc_id": self.passages[r].doc_id} for r in rows],
        )

    def _store_batch_limit(self) -> int:
        try:
            return min(STORE_BATCH, int(self._client.get_max_batch_size()))
        except Exception:  # a server that does not say: stay small
            return EMBED_BATCH

    def _load_vectors(self, have: np.ndarray) -> None:
        """Read from Chroma the vectors of the rows that `have` lacks (an index built before the
        cache existed, a cache deleted or out of date, a build resumed after a kill)."""
        keys = [self.keys[r] for r in np.flatnonzero(~have)]
        for batch in _batches(keys, 5000):
            got = self.collection.get(ids=batch, include=["embeddings"])
            rows = [self.row_of_key[key] for key in got["ids"]]
            if rows:
                self.vectors[rows] = np.asarray(got["embeddings"], dtype=np.float32)
                have[rows] = True

    # -- the vector cache ---------------------------------------------------------------------

    @property
    def vector_cache_path(self) -> Path:
        return self.index_dir / VECTOR_CACHE

    def _fill_from_cache(self, have: np.ndarray) -> bool:
        """Fill the rows `have` lacks from vectors.npz; True when the cache holds exactly this
        index's passages (nothing to rewrite). A cache of another model, a damaged or foreign file
        is ignored: it is derived data, and Chroma holds the same vectors."""
        try:
            with np.load(self.vector_cache_path, allow_pickle=False) as cache:
                if str(cache["model_id"]) != self.embedder.model_id:
                    return False
                keys, vectors = cache["keys"].tolist(), cache["vectors"]
                if vectors.shape != (len(keys), self.embedder.dimension):
                    return False
                if keys == self.keys and not have.any():  # the usual restart: take it whole, no copy
                    self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
                    have[:] = True
                    return True
                pairs = [(self.row_of_key.get(k), i) for i, k in enumerate(keys)]
                pairs = [(row, i) for row, i in pairs if row is not None and not have[row]]
                if pairs:
                    rows, positions = map(list, zip(*pairs))
                    self.vectors[rows] = vectors[positions]
                    have[rows] = True
                return keys == self.keys
        except Exception as err:  # missing, truncated, not an npz: read from Chroma instead
            if self.vector_cache_path.exists():
                log.warning("vector cache %s is unreadable (%s); reading vectors from Chroma",
                            self.vector_cache_path, err)
            return False

    def _write_vector_cache(self) -> None:
        tmp = self.vector_cache_path.with_name(VECTOR_CACHE + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, model_id=np.array(self.embedder.model_id), keys=np.array(self.keys), vectors=self.vectors)
        os.replace(tmp, self.vector_cache_path)

    # -- the BM25 cache -----------------------------------------------------------------------

    @property
    def bm25_cache_path(self) -> Path:
        return self.index_dir / BM25_CACHE

    def _load_or_build_bm25(self) -> tuple[InvertedBM25, bool]:
        """BM25 from the term counts an earlier start saved, tokenizing only the passages they lack;
        True when the saved file holds exactly these passages (nothing to rewrite)."""
        saved = load_term_counts(self.bm25_cache_path)
        if saved is not None and saved[0] == self.keys:  # the usual restart: take the arrays whole
            return InvertedBM25.from_counts(saved[1]), True
        saved_row = {key: row for row, key in enumerate(saved[0])} if saved else {}
        saved_counts = saved[1] if saved else None
        frequencies = (
            saved_counts.frequencies(saved_row[key]) if key in saved_row else Counter(tokenize(passage.text))
            for key, passage in zip(self.keys, self.passages)
        )
        return InvertedBM25.from_counts(TermCounts.of_frequencies(frequencies)), False

    def _collection_name(self) -> str:
        """Embedded: the store is private to the index folder, so one fixed name. Server: the one
        named in this folder's manifest, or a new random one, so indexes sharing a server never meet."""
        if not self.chroma_host:
            return COLLECTION
        name = (read_manifest(self.manifest_path) or {}).get("collection")
        if isinstance(name, str) and re.fullmatch(rf"{COLLECTION}-[0-9a-f]{{16}}", name):
            return name
        return f"{COLLECTION}-{uuid.uuid4().hex[:16]}"

    # -- manifest ------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / MANIFEST

    def _claim_for_corpus(self, rebuild: bool) -> None:
        """Refuse the index of another corpus, unless asked to rebuild: an explicit rebuild replaces
        whatever the folder held, so it may take the folder over for this corpus."""
        if not rebuild:
            check_same_corpus(self.index_dir, self.corpus.folder)
            return
        built_for = recorded_corpus(self.index_dir)
        if built_for and self.corpus.folder and built_for != self.corpus.folder:
            log.warning("replacing the index at %s (built for %s) with one for %s",
                        self.index_dir, built_for, self.corpus.folder)

    def _manifest_matches(self) -> bool:
        """False when the stored vectors cannot be reused: another model, schema or no manifest."""
        manifest = read_manifest(self.manifest_path)
        if manifest is None:
            return False
        same = manifest.get("schema_version") == SCHEMA_VERSION and manifest.get("model_id") == (
            self.embedder.model_id
        )
        if not same:
            log.warning("index at %s was built by another model or schema; rebuilding", self.index_dir)
        elif manifest.get("complete") is False:  # vectors stored so far are good: ids are content hashes
            log.warning("indexing of %s did not finish last time (killed?); finishing it", self.index_dir)
        return same

    def _write_manifest(self, complete: bool = True) -> None:
        counts: dict[str, int] = {}
        for p in self.passages:
            counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "model_id": self.embedder.model_id,
            "passage_count": len(self.passages),
            "complete": complete,  # False while a sync runs: a build that was killed says so
            "collection": self.collection_name,
            "corpus": self.corpus.folder,  # whose index this is: another corpus is refused, not synced
            "chroma_server": f"{self.chroma_host}:{self.chroma_port}" if self.chroma_host else None,
            "documents": {
                d.doc_id: {"sha256": d.sha256, "passages": counts.get(d.doc_id, 0), "path": d.path}
                for d in self.corpus.documents
            },
        }
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, self.manifest_path)

    # -- queries -------------------------------------------------------------------------------

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(passage row, cosine similarity), best first, from Chroma's HNSW index."""
        k = min(k, len(self.keys))
        if k == 0:
            return []
        found = self.collection.query(query_embeddings=[query_vector], n_results=k, include=["distances"])
        return [
            (self.row_of_key[key], 1.0 - dist)
            for key, dist in zip(found["ids"][0], found["distances"][0])
            if key in self.row_of_key
        ]


def check_writable(index_dir: str | Path) -> None:
    """IndexUnavailable unless the index folder can be created and its lock file opened for writing:
    a cheap check, so a read-only folder is reported before seconds are spent loading the model."""
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        with open(index_dir / ".lock", "a"):
            pass
    except OSError as err:
        raise not_writable(index_dir, err) from err


def recorded_corpus(index_dir: str | Path) -> str | None:
    """The resolved corpus folder an index folder was built for, as its manifest says; None when
    there is no manifest or it predates the record (such an index is taken as this corpus's)."""
    corpus = (read_manifest(Path(index_dir) / MANIFEST) or {}).get("corpus")
    return corpus if isinstance(corpus, str) else None


def check_same_corpus(index_dir: str | Path, corpus_folder: str | None) -> None:
    """CorpusMismatch when the index folder was built for another corpus folder than this one."""
    built_for = recorded_corpus(index_dir)
    if built_for is None or corpus_folder is None or built_for == corpus_folder:
        return
    raise CorpusMismatch(
        f"the index at {index_dir} belongs to the articles in {built_for}, not {corpus_folder}; "
        "leave --index out to use this corpus's own index, choose another folder with --index "
        "(QA_INDEX_DIR, Engine(index_dir=...)), or replace it: qa index --rebuild (Engine(rebuild=True))"
    )


def not_writable(index_dir: Path, err: OSError) -> IndexUnavailable:
    return IndexUnavailable(
        f"cannot write to the index folder {index_dir} ({err.strerror or err}); make it writable or "
        "choose another folder with --index or QA_INDEX_DIR"
    )


def read_manifest(path: Path) -> dict | None:
    """The manifest, or None when it is missing, half-written or not a manifest at all."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def forget_cached_clients() -> None:
    """Chroma keeps one client per path for the life of the process; after the files under it are
    removed that client would keep serving what it had, so it must be forgotten first."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _drop_collection(client, name: str = COLLECTION) -> None:
    try:
        client.delete_collection(name)
    except Exception:  # not there yet: nothing to drop
        pass


def _batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
