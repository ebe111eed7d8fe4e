"""index: passages -> a persisted hybrid index (Chroma vectors + in-process BM25) and its manifest.

Chroma holds one vector per passage. Passage ids carry a hash of the passage text, so bringing the
store up to date is a set difference: ids the corpus has and the store lacks are embedded, ids the
store has and the corpus lacks are deleted. That makes updates incremental (only changed sentences
are re-embedded) and self-healing (a build killed half-way is finished by the next start, and no
stale passage of a removed document survives).

BM25 is rank-bm25's `BM25Okapi`, rebuilt in memory from the passages at start (local Chroma has no
sparse search). Its statistics are laid out as an inverted index so a query scores only documents
containing a query term: the same scores as `get_scores`, without walking every passage in Python.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import snowballstemmer
from filelock import FileLock
from rank_bm25 import BM25Okapi
from tqdm import tqdm

from qa.corpus import Corpus
from qa.embedding import Embedder
from qa.models import Passage

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
COLLECTION = "passages"
MANIFEST = "manifest.json"
EMBED_BATCH = 256

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


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
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


class InvertedBM25:
    """rank-bm25's Okapi statistics, queried through postings (bm25s-style data layout)."""

    def __init__(self, tokenized: list[list[str]], k1: float = 1.5, b: float = 0.75):
        # rank-bm25 divides by zero on an empty corpus; an empty index simply scores nothing.
        self.size = len(tokenized)
        self.bm25 = BM25Okapi(tokenized, k1=k1, b=b) if tokenized else None
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if self.bm25 is None:
            return
        rows: dict[str, tuple[list[int], list[int]]] = {}
        for i, freqs in enumerate(self.bm25.doc_freqs):
            for term, tf in freqs.items():
                ids, tfs = rows.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self.postings = {t: (np.array(i, np.int32), np.array(f, np.float32)) for t, (i, f) in rows.items()}
        lengths = np.asarray(self.bm25.doc_len, dtype=np.float32)
        self._norm = k1 * (1 - b + b * lengths / self.bm25.avgdl)
        self._k1 = k1

    def scores_for(self, query: str) -> dict[int, float]:
        return self.scores(tokenize(query))

    def ideal_score(self, query_terms: list[str]) -> float:
        """About what a passage holding every query term once scores: scales BM25 across corpora.

        Terms the corpus never saw count at the highest idf, so a question about things the
        corpus lacks cannot look well covered.
        """
        if self.bm25 is None or not query_terms:
            return 1.0
        top = max(self.bm25.idf.values(), default=1.0)
        return sum(max(self.bm25.idf.get(t, top), 0.0) for t in set(query_terms)) or 1.0

    def scores(self, query_terms: list[str]) -> dict[int, float]:
        """BM25 score of every passage that contains at least one query term."""
        if self.bm25 is None:
            return {}
        total = np.zeros(self.size, dtype=np.float32)
        touched: list[np.ndarray] = []
        for term in query_terms:
            if term not in self.postings:
                continue
            ids, tfs = self.postings[term]
            idf = self.bm25.idf.get(term, 0.0)
            total[ids] += idf * tfs * (self._k1 + 1) / (tfs + self._norm[ids])
            touched.append(ids)
        if not touched:
            return {}
        candidates = np.unique(np.concatenate(touched))
        return dict(zip(candidates.tolist(), total[candidates].tolist()))


# --- the persisted index ------------------------------------------------------------------------------


class IndexUnavailable(RuntimeError):
    """The index cannot be opened or built; the message says what to do."""


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
        self.bm25 = InvertedBM25([tokenize(p.text) for p in self.passages])
        self.collection = None

    # -- build / update ------------------------------------------------------------------------

    def sync(self, rebuild: bool = False, progress: bool = False) -> SyncReport:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.index_dir / ".lock")):
            rebuilt = rebuild or not self._manifest_matches()
            client = self._open_client()
            if rebuilt:
                _drop_collection(client)
            self.collection = client.get_or_create_collection(
                COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
            stored = set(self.collection.get(include=[])["ids"])
            wanted = set(self.keys)
            stale = sorted(stored - wanted)
            missing = [k for k in self.keys if k not in stored]
            self._delete(stale)
            self._embed_and_add(missing, progress)
            self._write_manifest()
            self.vectors = self._load_vectors()
        return SyncReport(
            embedded=len(missing), deleted=len(stale), reused=len(wanted & stored), rebuilt=rebuilt
        )

    def _open_client(self):
        """The store, checked by one read. A store that cannot be read is wiped and started afresh:
        it holds only derived data (vectors of the corpus), so nothing is lost."""
        chroma_dir = self.index_dir / "chroma"
        try:
            client = open_chroma(self.index_dir, self.chroma_host, self.chroma_port)
            client.list_collections()
            return client
        except Exception as err:  # a garbled sqlite file, a half-written segment, a server down
            if self.chroma_host:
                raise IndexUnavailable(f"cannot reach the Chroma server {self.chroma_host}: {err}") from err
            log.warning("index at %s is unreadable (%s); rebuilding it", chroma_dir, err)
            forget_cached_clients()
            shutil.rmtree(chroma_dir, ignore_errors=True)
            return open_chroma(self.index_dir)

    def _delete(self, keys: list[str]) -> None:
        for batch in _batches(keys, 5000):
            self.collection.delete(ids=batch)

    def _embed_and_add(self, keys: list[str], progress: bool) -> None:
        bar = tqdm(total=len(keys), desc="embedding passages", unit="passage", disable=not progress)
        for batch in _batches(keys, EMBED_BATCH):
            passages = [self.passages[self.row_of_key[k]] for k in batch]
            vectors = self.embedder.encode([p.text for p in passages], batch_size=64)
            self.collection.add(
                ids=batch,
                embeddings=vectors,
                metadatas=[{"doc_id": p.doc_id} for p in passages],  # offsets live in the corpus: they shift
            )
            bar.update(len(batch))
        bar.close()

    def _load_vectors(self) -> np.ndarray:
        """Every passage vector in corpus order, so agreement can score sentences without Chroma."""
        matrix = np.zeros((len(self.keys), self.embedder.dimension), dtype=np.float32)
        for batch in _batches(self.keys, 5000):
            got = self.collection.get(ids=batch, include=["embeddings"])
            for key, vector in zip(got["ids"], got["embeddings"]):
                matrix[self.row_of_key[key]] = vector
        return matrix

    # -- manifest ------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / MANIFEST

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
        return same

    def _write_manifest(self) -> None:
        counts: dict[str, int] = {}
        for p in self.passages:
            counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "model_id": self.embedder.model_id,
            "passage_count": len(self.passages),
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


def read_manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def forget_cached_clients() -> None:
    """Chroma keeps one client per path for the life of the process; after the files under it are
    removed that client would keep serving what it had, so it must be forgotten first."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _drop_collection(client) -> None:
    try:
        client.delete_collection(COLLECTION)
    except Exception:  # not there yet: nothing to drop
        pass


def _batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
