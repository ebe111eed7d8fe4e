"""store: the passage vectors in Chroma, embedded (a folder) or on a server, behind one small interface.

Chroma holds one vector per passage key, with its document id; embeddings are always passed in
(Chroma's own embedding function would download a model). Embedded, the store lives in
`<index>/chroma` and is private to the index folder, so its collection has one fixed name. On a
server (`host`), many indexes can share one Chroma, so each index folder gets its own collection,
`passages-<random>`, named at its first build and recorded in its manifest.

A local store that cannot be read is wiped and started afresh: it holds only derived data.
"""

from __future__ import annotations

import logging
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from qa.manifest import IndexUnavailable

log = logging.getLogger(__name__)

COLLECTION = "passages"
CHROMA_CALL_LIMIT = 5000  # ids per get/delete call


def chroma_settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_chroma(index_dir: Path, host: str | None = None, port: int | None = None):
    """The embedded store under index_dir, or a Chroma server when host is given."""
    import chromadb

    if host:
        return chromadb.HttpClient(host=host, port=port or 8000, settings=chroma_settings())
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings())


def forget_cached_clients() -> None:
    """Chroma keeps one client per path for the life of the process; after the files under it are
    removed that client would keep serving what it had, so it must be forgotten first."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def collection_name(host: str | None, recorded: object) -> str:
    """Embedded: the one fixed name. Server: the name this folder's manifest recorded, or a new
    random one, so indexes sharing a server never meet."""
    if not host:
        return COLLECTION
    if isinstance(recorded, str) and re.fullmatch(rf"{COLLECTION}-[0-9a-f]{{16}}", recorded):
        return recorded
    return f"{COLLECTION}-{uuid.uuid4().hex[:16]}"


class VectorStore:
    """One Chroma collection of passage vectors: `connect`, then add, delete, read and search by key."""

    def __init__(self, index_dir: Path, host: str | None = None, port: int | None = None, name: str = COLLECTION):
        self.index_dir = index_dir
        self.host = host
        self.port = port
        self.name = name
        self.started_afresh = False  # the local store was unreadable and has been wiped
        self.collection = None
        self._client = None

    @property
    def record(self) -> dict:
        """Where the vectors are, as the manifest records it."""
        return {"collection": self.name, "chroma_server": f"{self.host}:{self.port}" if self.host else None}

    def connect(self, drop: bool) -> None:
        """Open the store (checked by one read; an unreadable local one is started afresh) and its
        collection; `drop` empties the collection first."""
        try:
            client = open_chroma(self.index_dir, self.host, self.port)
            client.list_collections()
        except Exception as err:  # a garbled sqlite file, a half-written segment, a server down
            client = self._start_afresh(err)
        self._use(client, drop)

    def reconnect_afresh(self, err: Exception) -> None:
        """After a read failed (a garbled vector segment shows only once it is read): wipe and reopen."""
        self._use(self._start_afresh(err), drop=True)

    def _use(self, client, drop: bool) -> None:
        if drop:
            try:
                client.delete_collection(self.name)
            except Exception:  # not there yet: nothing to drop
                pass
        self._client = client
        self.collection = client.get_or_create_collection(
            self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def _start_afresh(self, err: Exception):
        """Wipe an unreadable local store and open an empty one in its place."""
        chroma_dir = self.index_dir / "chroma"
        if self.host:
            raise IndexUnavailable(f"cannot use the Chroma server {self.host}: {err}") from err
        if self.started_afresh:  # a fresh store failed too: not a damaged file, so say so
            raise IndexUnavailable(f"cannot write the index at {chroma_dir}: {err}") from err
        log.warning("index at %s is unreadable (%s); rebuilding it", chroma_dir, err)
        self.started_afresh = True
        forget_cached_clients()
        shutil.rmtree(chroma_dir, ignore_errors=True)
        try:
            return open_chroma(self.index_dir)
        except Exception as again:
            raise IndexUnavailable(f"cannot create the index at {chroma_dir}: {again}") from again

    def keys(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def count(self) -> int:
        return self.collection.count()

    def add(self, keys: list[str], vectors: np.ndarray, doc_ids: list[str]) -> None:
        # offsets live in the corpus: they shift when a document is edited
        self.collection.add(ids=keys, embeddings=vectors, metadatas=[{"doc_id": d} for d in doc_ids])

    def delete(self, keys: list[str]) -> None:
        for batch in batches(keys, CHROMA_CALL_LIMIT):
            self.collection.delete(ids=batch)

    def vectors_of(self, keys: list[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        """(keys found, their vectors), a batch at a time."""
        for batch in batches(keys, CHROMA_CALL_LIMIT):
            got = self.collection.get(ids=batch, include=["embeddings"])
            if got["ids"]:
                yield got["ids"], np.asarray(got["embeddings"], dtype=np.float32)

    def nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(key, cosine similarity) of the k nearest vectors, best first, from Chroma's HNSW index."""
        found = self.collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [(key, 1.0 - dist) for key, dist in zip(found["ids"][0], found["distances"][0])]

    def batch_limit(self, wanted: int, fallback: int) -> int:
        """The most vectors one add may carry: `wanted`, or less where the store says so."""
        try:
            return min(wanted, int(self._client.get_max_batch_size()))
        except Exception:  # a server that does not say: stay small
            return fallback


def batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
