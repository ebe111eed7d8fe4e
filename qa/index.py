"""index: a corpus -> its hybrid index (Chroma vectors + in-process BM25), kept in line with the corpus.

`HybridIndex` composes the parts, each in a module of its own: the tokenizer (`qa/tokens.py`), BM25
over saved term counts (`qa/bm25.py`), the vector store (`qa/store.py`) and the manifest with the
folder's lock (`qa/manifest.py`).

Passage keys carry a hash of the passage text, so bringing the store up to date is a set difference:
keys the corpus has and the store lacks are embedded, keys the store has and the corpus lacks are
deleted. That makes updates incremental (only changed sentences are re-embedded) and self-healing (a
build killed half-way is finished by the next start, and no stale passage of a removed document
survives). Each sentence is embedded alone (docs/experiments.md: context was tried, not adopted).

Every passage vector is also kept in memory (`HybridIndex.vectors`, corpus order) for agreement and
fusion, and cached in `vectors.npz` beside the manifest so a restart does not pull 100k vectors back
out of Chroma (over HTTP in server mode). The cache is derived data: keyed by passage key and model,
and anything it lacks is read from Chroma. BM25's term counts are cached the same way (`bm25.npz`).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from qa.bm25 import InvertedBM25, TermCounts, load_term_counts, membership, save_term_counts
from qa.corpus import Corpus
from qa.embedding import Embedder
from qa.files import written_atomically
from qa.manifest import (
    claim_for_corpus, keys_digest, read_manifest, vectors_reusable, write_manifest, writer_lock,
)
from qa.models import Passage
from qa.store import VectorStore, collection_name
from qa.tokens import tokenize

log = logging.getLogger(__name__)

VECTOR_CACHE = "vectors.npz"
BM25_CACHE = "bm25.npz"
EMBED_BATCH = 256  # passages per forward-pass call (and the first store: a killed build keeps them)
STORE_BATCH = 4096  # Chroma adds cost less per vector in large batches; store sizes double up to this


@dataclass
class SyncReport:
    embedded: int
    deleted: int
    reused: int
    rebuilt: bool


@dataclass(frozen=True)
class DocumentLevel:
    """The corpus seen a document at a time, for the retriever's document prior: each document's
    BM25 over all its sentences' words, and its topic vector (the normalised mean of its sentence
    vectors). A sentence that says "the bank" or "its chief executive" shares few words with a
    question naming the bank; its document does not."""

    doc_ids: list[str]  # a row of `bm25` and `centroids` per document, in corpus order
    doc_of_row: np.ndarray  # int, per passage row: which document
    bm25: InvertedBM25
    centroids: np.ndarray  # float32, one unit vector per document

    @classmethod
    def of(cls, passages: list[Passage], counts: TermCounts, vectors: np.ndarray) -> DocumentLevel:
        ids = {doc_id: i for i, doc_id in enumerate(dict.fromkeys(p.doc_id for p in passages))}
        doc_of_row = np.array([ids[p.doc_id] for p in passages], dtype=np.int64)
        centroids = np.zeros((len(ids), vectors.shape[1]), dtype=np.float32)
        if len(passages):  # one sparse product: 0.03 s at 100k sentences, np.add.reduceat took 0.33 s
            centroids = np.asarray(membership(doc_of_row) @ vectors, dtype=np.float32)
            centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
        return cls(list(ids), doc_of_row, InvertedBM25.from_counts(counts.summed(doc_of_row)), centroids)


def passage_key(passage: Passage) -> str:
    """Stable id: the document and a hash of the sentence text, not its offsets.

    A vector depends only on the text, so an edit that shifts later sentences must not make them
    look new; a document never holds the same sentence twice (corpus drops repeats), so the id is
    unique.
    """
    digest = hashlib.sha1(passage.text.encode("utf-8")).hexdigest()[:16]
    return f"{passage.doc_id}#{digest}"


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
        self.store = VectorStore(self.index_dir, chroma_host, chroma_port)
        self.passages: list[Passage] = corpus.passages
        self.keys = [passage_key(p) for p in self.passages]
        self.row_of_key = {k: i for i, k in enumerate(self.keys)}
        self.vectors = np.zeros((0, embedder.dimension), dtype=np.float32)
        self.bm25, self._bm25_cache_up_to_date = self._load_or_build_bm25()
        self._documents: DocumentLevel | None = None

    @property
    def documents(self) -> DocumentLevel:
        """The document-level view, built on first use after a sync (from the sentence counts and
        vectors already in memory; nothing is stored)."""
        if self._documents is None or len(self._documents.doc_of_row) != len(self.vectors):
            self._documents = DocumentLevel.of(self.passages, self.bm25.counts, self.vectors)
        return self._documents

    @property
    def collection(self):
        """The Chroma collection itself (None before the first sync)."""
        return self.store.collection

    # -- build / update ------------------------------------------------------------------------

    def sync(self, rebuild: bool = False, progress: bool = False) -> SyncReport:
        from chromadb.errors import ChromaError

        with writer_lock(self.index_dir):
            claim_for_corpus(self.index_dir, self.corpus.folder, rebuild)
            recorded = (read_manifest(self.index_dir) or {}).get("collection")
            self.store.name = collection_name(self.store.host, recorded)
            self.store.started_afresh = False
            rebuilt = rebuild or not vectors_reusable(self.index_dir, self.embedder.model_id)
            self.store.connect(drop=rebuilt)
            try:
                return self._bring_up_to_date(rebuilt, progress)
            except ChromaError as err:  # a garbled vector segment shows only once it is read
                self.store.reconnect_afresh(err)
                return self._bring_up_to_date(True, progress)

    def _bring_up_to_date(self, rebuilt: bool, progress: bool) -> SyncReport:
        trusted = not (rebuilt or self.store.started_afresh) and self._store_as_last_synced()
        stored = set(self.keys) if trusted else self.store.keys()
        stale = sorted(stored - set(self.keys))
        missing = [k for k in self.keys if k not in stored]
        if stale or missing:  # say first that a build is under way: if it is killed, the next start finishes it
            self._write_manifest(complete=False)
        self.store.delete(stale)
        self.vectors = np.zeros((len(self.keys), self.embedder.dimension), dtype=np.float32)
        self._documents = None  # its topic vectors come from these
        have = np.zeros(len(self.keys), dtype=bool)
        self._embed_and_add(missing, progress, have)
        rebuilt = rebuilt or self.store.started_afresh
        cache_up_to_date = not rebuilt and self._fill_from_cache(have)
        self._load_vectors(have)
        self._save_caches(vectors=not cache_up_to_date)
        self._probe_search()
        self._write_manifest(complete=True)
        return SyncReport(embedded=len(missing), deleted=len(stale), reused=len(stored) - len(stale),
                          rebuilt=rebuilt)

    def _write_manifest(self, complete: bool) -> None:
        write_manifest(self.index_dir, self.corpus, self.embedder.model_id, self.store.record, complete,
                       self.keys if complete else None)

    def _store_as_last_synced(self) -> bool:
        """The last sync finished with exactly these passages and the store still holds that many, so
        its ids need not be read back (one Chroma get of every id: 0.8 s at 100k passages). A store
        changed behind the index's back to the same count is not noticed here; `qa index --rebuild`
        (or deleting the manifest) makes the next start read every id again."""
        manifest = read_manifest(self.index_dir) or {}
        return (
            manifest.get("complete") is True
            and manifest.get("collection") == self.store.name
            and manifest.get("keys_sha256") == keys_digest(self.keys)
            and self.store.count() == len(self.keys)
        )

    def _probe_search(self) -> None:
        """One nearest-neighbour query, so a garbled HNSW segment fails here, at start, not at the
        first question."""
        if self.keys:
            self.store.nearest(self.vectors[0], 1)

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
                store_at = self.store.batch_limit(min(2 * store_at, STORE_BATCH), fallback=EMBED_BATCH)
        bar.close()

    def _store(self, rows: list[int]) -> None:
        self.store.add([self.keys[r] for r in rows], self.vectors[rows], [self.passages[r].doc_id for r in rows])

    def _load_vectors(self, have: np.ndarray) -> None:
        """Read from Chroma the vectors of the rows that `have` lacks (an index built before the
        cache existed, a cache deleted or out of date, a build resumed after a kill)."""
        for keys, vectors in self.store.vectors_of([self.keys[r] for r in np.flatnonzero(~have)]):
            rows = [self.row_of_key[key] for key in keys]
            self.vectors[rows] = vectors
            have[rows] = True

    # -- the caches beside the manifest -------------------------------------------------------

    @property
    def vector_cache_path(self) -> Path:
        return self.index_dir / VECTOR_CACHE

    @property
    def bm25_cache_path(self) -> Path:
        return self.index_dir / BM25_CACHE

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
                self._fill_rows(keys, vectors, have)
                return keys == self.keys
        except Exception as err:  # missing, truncated, not an npz: read from Chroma instead
            if self.vector_cache_path.exists():
                log.warning("vector cache %s is unreadable (%s); reading vectors from Chroma",
                            self.vector_cache_path, err)
            return False

    def _fill_rows(self, keys: list[str], vectors: np.ndarray, have: np.ndarray) -> None:
        """Copy the cached vectors of this index's passages that `have` still lacks."""
        pairs = [(self.row_of_key.get(k), i) for i, k in enumerate(keys)]
        pairs = [(row, i) for row, i in pairs if row is not None and not have[row]]
        if pairs:
            rows, positions = map(list, zip(*pairs))
            self.vectors[rows] = vectors[positions]
            have[rows] = True

    def _save_caches(self, vectors: bool) -> None:
        if vectors:
            with written_atomically(self.vector_cache_path) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, model_id=np.array(self.embedder.model_id), keys=np.array(self.keys),
                         vectors=self.vectors)
        if not self._bm25_cache_up_to_date:
            save_term_counts(self.bm25_cache_path, self.keys, self.bm25.counts)
            self._bm25_cache_up_to_date = True

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

    # -- queries -------------------------------------------------------------------------------

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(passage row, cosine similarity), best first."""
        k = min(k, len(self.keys))
        if k == 0:
            return []
        return [(self.row_of_key[key], cosine) for key, cosine in self.store.nearest(query_vector, k)
                if key in self.row_of_key]
