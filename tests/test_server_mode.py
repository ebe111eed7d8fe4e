"""Server mode: the same engine against a real `chroma run` server instead of the embedded store.

One server (a subprocess on 127.0.0.1 and a free port, data in tmp) is shared by the module and
stopped in teardown. Answers, incremental updates and the manifest must behave exactly as they do
with the embedded store; indexes of two corpora on one server must not touch each other.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.corpus import load_corpus
from qa.engine import Engine
from qa.evaluation import load_questions
from qa.index import VECTOR_CACHE, HybridIndex
from qa.manifest import MANIFEST, IndexUnavailable
from qa.store import COLLECTION

pytestmark = pytest.mark.slow

REGRESSION_SET = Path(__file__).parent / "regression" / "questions.jsonl"
EDITED_DOC = "001_ba940ec7e439679a"
DELETED_DOC = "003_512a320aae66a7a6"
SERVER_START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_binary() -> Path:
    binary = Path(sys.executable).parent / "chroma"
    if not binary.exists():
        pytest.fail(f"the `chroma` command of the chromadb package is missing: {binary}")
    return binary


def wait_until_serving(server: subprocess.Popen, port: int, log: Path) -> None:
    import chromadb

    from qa.store import chroma_settings

    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"chroma run exited with {server.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port, settings=chroma_settings()).heartbeat()
            return
        except Exception:
            time.sleep(0.3)
    pytest.fail(f"chroma run did not answer within {SERVER_START_SECONDS} s:\n{log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """(host, port) of a Chroma server that lives as long as this module's tests."""
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(chroma_binary()), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    try:
        wait_until_serving(server, port, log)
        yield "127.0.0.1", port
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


@pytest.fixture(scope="module")
def server_engine(chroma_server, seeds_dir, tmp_path_factory) -> Engine:
    host, port = chroma_server
    return Engine(corpus_dir=seeds_dir, index_dir=tmp_path_factory.mktemp("server-index"),
                  chroma_host=host, chroma_port=port)


def what_a_reader_sees(answer) -> dict:
    """The parts of an answer a reader relies on: the span, where it is cited, each source's marker."""
    return {
        "answered": answer.answered,
        "answer": answer.answer,
        "citations": [(c.doc_id, c.start, c.end, c.answer_start, c.answer_end) for c in answer.citations],
        "sources": [(s.doc_id, s.marker, s.value) for s in answer.sources],
    }


def manifest_of(index_dir: Path) -> dict:
    return json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))


def server_ids(engine: Engine) -> set[str]:
    return set(engine.index.collection.get(include=[])["ids"])


# --- the same answers -------------------------------------------------------------------------------------


def test_every_regression_answer_from_the_server_equals_the_embedded_one(server_engine, seed_engine):
    questions = [item["question"] for item in load_questions(REGRESSION_SET)]
    assert len(questions) >= 40
    for question in questions:
        from_server = what_a_reader_sees(server_engine.answer(question))
        embedded = what_a_reader_sees(seed_engine.answer(question))
        assert from_server == embedded, question


def test_the_server_holds_one_vector_per_passage_and_the_same_vectors(server_engine, seed_engine):
    assert server_engine.index.collection.count() == len(server_engine.index.passages)
    assert server_ids(server_engine) == set(seed_engine.index.keys)
    assert server_engine.index.keys == seed_engine.index.keys
    assert abs(server_engine.index.vectors - seed_engine.index.vectors).max() < 1e-5


# --- the manifest and the collection ----------------------------------------------------------------------


def test_the_manifest_and_vector_cache_live_in_the_index_folder_and_no_local_store_is_made(server_engine, chroma_server):
    index_dir = server_engine.index_dir
    manifest = manifest_of(index_dir)
    assert manifest["complete"] is True
    assert manifest["passage_count"] == len(server_engine.index.passages)
    assert manifest["chroma_server"] == "{}:{}".format(*chroma_server)
    assert manifest["collection"].startswith(f"{COLLECTION}-")
    assert manifest["collection"] == server_engine.index.collection.name
    assert (index_dir / VECTOR_CACHE).is_file()
    assert not (index_dir / "chroma").exists()


def test_a_restart_reuses_the_server_collection_and_embeds_nothing(server_engine, seeds_dir, chroma_server, encoded_texts):
    host, port = chroma_server
    again = Engine(corpus_dir=seeds_dir, index_dir=server_engine.index_dir, chroma_host=host, chroma_port=port)
    assert encoded_texts == []
    assert again.sync_report.embedded == 0 and not again.sync_report.rebuilt
    assert again.index.collection.name == server_engine.index.collection.name
    assert abs(again.index.vectors - server_engine.index.vectors).max() == 0


def test_two_corpora_on_one_server_keep_their_own_collections(server_engine, corpus_dir, tmp_path, chroma_server):
    host, port = chroma_server
    (corpus_dir / f"{DELETED_DOC}.txt").unlink()  # a second, different corpus
    other = Engine(corpus_dir=corpus_dir, index_dir=tmp_path / "other-index", chroma_host=host, chroma_port=port)

    assert other.index.collection.name != server_engine.index.collection.name
    assert server_ids(other) == set(other.index.keys)
    # Building the second corpus deleted nothing of the first (its document 003 is still there).
    assert server_ids(server_engine) == set(server_engine.index.keys)
    assert any(key.startswith(DELETED_DOC) for key in server_ids(server_engine))


# --- incremental updates ----------------------------------------------------------------------------------


def test_editing_one_document_re_embeds_only_its_changed_sentence_on_the_server(
    corpus_dir, tmp_path, chroma_server, encoded_texts
):
    host, port = chroma_server
    index_dir = tmp_path / "index"
    before = Engine(corpus_dir=corpus_dir, index_dir=index_dir, chroma_host=host, chroma_port=port)
    old_sentences = {p.text for p in before.index.passages}
    path = corpus_dir / f"{EDITED_DOC}.txt"
    text = path.read_text(encoding="utf-8")
    old, new = "advancing 2.5 km (1.5 miles)", "advancing 3.5 km (2.2 miles)"
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    encoded_texts.clear()

    after = Engine(corpus_dir=corpus_dir, index_dir=index_dir, chroma_host=host, chroma_port=port)
    changed = [p.text for p in after.index.passages if p.text not in old_sentences]
    assert len(changed) == 1 and new in changed[0]
    assert encoded_texts == changed
    assert after.sync_report.embedded == 1 and after.sync_report.deleted == 1
    assert server_ids(after) == set(after.index.keys)
    assert after.index.collection.name == before.index.collection.name


def test_deleting_a_document_removes_its_passages_from_the_server(corpus_dir, tmp_path, chroma_server):
    host, port = chroma_server
    index_dir = tmp_path / "index"
    before = Engine(corpus_dir=corpus_dir, index_dir=index_dir, chroma_host=host, chroma_port=port)
    its_keys = {k for k in before.index.keys if k.startswith(f"{DELETED_DOC}#")}
    assert its_keys

    (corpus_dir / f"{DELETED_DOC}.txt").unlink()
    after = Engine(corpus_dir=corpus_dir, index_dir=index_dir, chroma_host=host, chroma_port=port)
    assert after.sync_report.deleted == len(its_keys)
    assert not its_keys & server_ids(after)
    assert DELETED_DOC not in manifest_of(index_dir)["documents"]


# --- a server that is not there -----------------------------------------------------------------------------


def test_a_server_that_does_not_answer_is_reported_clearly(seeds_dir, tmp_path, embedder):
    index = HybridIndex(load_corpus(seeds_dir), tmp_path / "index", embedder,
                        chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(IndexUnavailable, match="Chroma server 127.0.0.1"):
        index.sync()
