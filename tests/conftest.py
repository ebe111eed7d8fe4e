"""Shared fixtures: the seed articles, copies of them to edit, and the one real embedding model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The shipped seed corpus. Read it, never write to it: copy it with `corpus_dir` to edit."""
    return SEEDS_DIR


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the seed articles, free to edit, delete from or add to."""
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS_DIR, folder)
    return folder


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """An empty folder for one test's own index (Chroma store + manifest)."""
    return tmp_path / "index"


@pytest.fixture(scope="session")
def embedder():
    """The real encoder (MiniLM with its retrieval-tuned layers), loaded offline once per test session."""
    from qa.embedding import shared_embedder

    return shared_embedder()


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory):
    """One engine over the shipped seeds, with its own index, shared by the read-only tests."""
    from qa.engine import Engine

    return Engine(corpus_dir=SEEDS_DIR, index_dir=tmp_path_factory.mktemp("seed-index"))


@pytest.fixture
def encoded_texts(embedder, monkeypatch) -> list[str]:
    """Every text the embedder encodes from now on. The real encode still runs: we only listen."""
    texts: list[str] = []
    real_encode = embedder.encode

    def encode(batch, *args, **kwargs):
        texts.extend(batch)
        return real_encode(batch, *args, **kwargs)

    monkeypatch.setattr(embedder, "encode", encode)
    return texts


@pytest.fixture
def float_graph_only(tmp_path, monkeypatch):
    """A private model cache holding the exported float reader and no int8 graph yet (nothing is
    exported again): for the int8 reader's fault tests."""
    import shutil

    import qa.embedding
    from qa.reader import WEIGHTS_PATH, onnx_folder, shared_reader

    encoder = qa.embedding.bundled_minilm_dir()
    shared_reader()  # makes the real float graph if this machine has none yet
    real = onnx_folder(encoder, WEIGHTS_PATH)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))  # a fresh, private cache
    folder = onnx_folder(encoder, WEIGHTS_PATH)
    folder.mkdir(parents=True)
    shutil.copy(real / "reader.onnx", folder / "reader.onnx")
    return folder
