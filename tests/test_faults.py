"""Faults in the corpus and the index: the rest keeps working, the user is told which file and why, the
next start repairs what a crash or a damaged file left, corpus files are never written, and no passage
of a removed document is ever cited.

"The next start" is a new Engine (or `qa index`) over the same folders. Tests start from copies of one
index of the seeds (built once per module) and damage the copy; a copy has a new path, which matters
because Chroma keeps one client per path for the life of a process.

Two faults cannot be produced for real by a test running as root: chmod 000 does not stop root from
reading a file, and chmod does not stop root from writing to a folder. The unreadable file is
simulated (Path.read_text raising PermissionError for that one file, and a real chmod test runs only
when not root); the read-only index folder is a real read-only bind mount in a private mount namespace
(`unshare --mount`, skipped where not permitted), and also simulated by the lock failing with EROFS.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import qa.index
import qa.manifest
from qa.cli import main as qa_main
from helpers import refuse_to_open
from qa.corpus import load_corpus
from qa.engine import Engine
from qa.index import passage_key
from qa.manifest import MANIFEST, IndexUnavailable

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
DOC_000 = "000_4c55fd7b660ac3d2"
DOC_001 = "001_ba940ec7e439679a"
DOC_003 = "003_512a320aae66a7a6"
SEED_IDS = [DOC_000, DOC_001, DOC_003, "004_7480487250863ef3"]
KURSK = "How far did Ukrainian troops advance into Kursk?"
MAX_ASK = 300  # a sentence used as a question, cut well within the question limit


# ---------------------------------------------------------------- helpers


def fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of every file under a folder: equal before and after means nothing was written."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def stored_ids(engine: Engine) -> set[str]:
    return set(engine.index.collection.get(include=[])["ids"])


def warnings_in(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def cited_documents(answer) -> set[str]:
    return {c.doc_id for c in answer.citations} | {s.doc_id for s in answer.sources}


def assert_consistent(engine: Engine) -> None:
    """The store holds exactly one vector per current passage, and the manifest says it is complete."""
    assert stored_ids(engine) == set(engine.index.keys)
    manifest = json.loads((engine.index_dir / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["complete"] is True and manifest["passage_count"] == len(engine.index.keys)


def write_reports(folder: Path, articles: int, sentences: int) -> None:
    """Synthetic local-news articles, every sentence different, to make a corpus of some size."""
    towns = ["Ardmore", "Belview", "Carrow", "Dunmore", "Elsworth", "Fenwick", "Glenhaven", "Harlow"]
    bodies = ["council", "committee", "board", "court", "union", "ministry"]
    things = ["bridges", "schools", "clinics", "roads", "parks", "libraries", "ferries"]
    for n in range(articles):
        town = towns[n % len(towns)]
        lines = [f"{town} report number {n}", ""]
        for i in range(sentences):
            lines.append(f"On day {i} the {town} {bodies[(n + i) % len(bodies)]} approved {i % 89 + 2} new "
                         f"{things[(n * 7 + i) % len(things)]} worth {(n * 131 + i * 17) % 997 + 1}.{i % 10} "
                         f"million dollars in item {n}-{i}.")
        (folder / f"report_{n:03d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory) -> Path:
    """An index of the seeds built once; tests start from (and damage) copies of it."""
    index = tmp_path_factory.mktemp("seed-store") / "index"
    Engine(corpus_dir=SEEDS, index_dir=index)
    return index


def copy_of(index: Path, tmp_path: Path, corpus: Path | None = None) -> Path:
    """A copy of an index. With `corpus`, it stands in for an index built for that folder (a copy of
    the articles it was built from): an index refuses another corpus than the one it records."""
    target = tmp_path / "index-copy"
    shutil.copytree(index, target)
    if corpus is not None:
        record_corpus(target, corpus)
    return target


def record_corpus(index: Path, corpus: Path) -> None:
    manifest = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    manifest["corpus"] = str(corpus.resolve())
    (index / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


# ---------------------------------------------------------------- corpus faults

BAD_FILES = {
    "empty.txt": (b"", "empty"),
    "binary.txt": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00 zipped \x00\x00\xff\xfe", "binary content"),
    "noise.txt": (bytes(range(128, 256)) * 4, "nor any encoding we can detect"),
    "nul.txt": (b"Looks like text\x00but holds NUL bytes.\n", "binary content"),
}


def test_bad_files_are_skipped_by_name_and_reason_and_the_rest_is_indexed(corpus_dir, seed_store, tmp_path,
                                                                           caplog, capsys):
    index_dir = copy_of(seed_store, tmp_path, corpus_dir)
    for name, (content, _) in BAD_FILES.items():
        (corpus_dir / name).write_bytes(content)
    before = fingerprint(corpus_dir)

    with caplog.at_level(logging.WARNING):
        status = qa_main(["index", "--corpus", str(corpus_dir), "--index", str(index_dir)])

    assert status == 0
    assert f"{len(BAD_FILES)} files skipped" in capsys.readouterr().out
    for name, (_, reason) in BAD_FILES.items():
        path = corpus_dir / name
        # One warning each, which `qa` prints on stderr and the app and Python callers log.
        assert re.search(rf"skipping {re.escape(str(path))}: .*{reason}", warnings_in(caplog))
    engine = Engine(corpus_dir=corpus_dir, index_dir=index_dir)
    assert [d.doc_id for d in engine.corpus.documents] == SEED_IDS
    assert_consistent(engine)
    assert {s.doc_id for s in engine.answer(KURSK).sources} == set(SEED_IDS)
    assert fingerprint(corpus_dir) == before


# An article saved by an older Windows editor (cp1252: curly quotes, accented names).
VELTRIA_CP1252 = """Veltria port reopens after the storm

The Veltria port reopened on Monday, its director, Jos\u00e9 N\u00fa\u00f1ez, said.
N\u00fa\u00f1ez said 40 ships were waiting \u201coutside the breakwater\u201d to enter the harbour.
"""


def test_an_article_saved_as_cp1252_is_indexed_and_cited_in_its_text_as_decoded(corpus_dir, seed_store, tmp_path):
    index_dir = copy_of(seed_store, tmp_path, corpus_dir)
    path = corpus_dir / "veltria.txt"
    path.write_bytes(VELTRIA_CP1252.encode("cp1252"))

    engine = Engine(corpus_dir=corpus_dir, index_dir=index_dir)
    doc = engine.documents["veltria"]
    assert (doc.encoding, doc.text) == ("cp1252", path.read_text(encoding="cp1252"))
    assert_consistent(engine)
    answer = engine.answer("How many ships were waiting outside the Veltria breakwater?")
    assert answer.citations[0].doc_id == "veltria"
    for citation in answer.citations:  # offsets are into the text as decoded, not into its bytes
        assert engine.documents[citation.doc_id].text[citation.start : citation.end] == citation.text


def test_a_duplicate_under_another_name_is_skipped_naming_both_files_and_counted_once(corpus_dir, seed_store,
                                                                                      tmp_path, caplog):
    index_dir = copy_of(seed_store, tmp_path, corpus_dir)
    original = corpus_dir / f"{DOC_001}.txt"
    repost = corpus_dir / "zz_reposted.txt"  # the same article, saved with Windows line endings
    repost.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))

    with caplog.at_level(logging.WARNING):
        engine = Engine(corpus_dir=corpus_dir, index_dir=index_dir)

    [skipped] = engine.corpus.skipped
    assert skipped.path == str(repost) and "duplicate of" in skipped.reason and str(original) in skipped.reason
    assert str(repost) in warnings_in(caplog) and str(original) in warnings_in(caplog)
    # One source, not two agreeing ones: the repost has no passages and no agreement marker.
    assert [d.doc_id for d in engine.corpus.documents] == SEED_IDS
    answer = engine.answer(KURSK)
    assert [s.doc_id for s in answer.sources].count(DOC_001) == 1
    assert "zz_reposted" not in cited_documents(answer)
    assert not any(key.startswith("zz_reposted#") for key in stored_ids(engine))


def test_an_unreadable_file_is_skipped_and_named(corpus_dir, seed_store, tmp_path, monkeypatch, caplog):
    index_dir = copy_of(seed_store, tmp_path, corpus_dir)
    # Simulated: as root, chmod 000 does not stop reading (see the next test).
    locked = corpus_dir / "locked.txt"
    locked.write_text("Kyiv said the locked article is about minerals.\n", encoding="utf-8")
    refuse_to_open(monkeypatch, locked)
    with caplog.at_level(logging.WARNING):
        assert qa_main(["index", "--corpus", str(corpus_dir), "--index", str(index_dir)]) == 0
    assert f"skipping {locked}: unreadable (Permission denied)" in warnings_in(caplog)


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root: chmod 000 does not stop root from reading "
                    "(the simulated PermissionError test above covers the handling)")
def test_a_file_without_read_permission_is_skipped_and_named(corpus_dir):
    locked = corpus_dir / "locked.txt"
    locked.write_text("Nobody may read this article.\n", encoding="utf-8")
    locked.chmod(0)
    try:
        corpus = load_corpus(corpus_dir)
    finally:
        locked.chmod(0o644)
    assert [(s.path, s.reason) for s in corpus.skipped] == [(str(locked), "unreadable (Permission denied)")]


def test_a_fifo_or_a_dangling_link_among_the_articles_is_skipped_not_waited_on(corpus_dir):
    pipe, gone = corpus_dir / "pipe.txt", corpus_dir / "gone.txt"
    os.mkfifo(pipe)  # reading it would block until someone writes: the loader must not try
    gone.symlink_to(corpus_dir / "deleted-meanwhile.txt")  # like a file deleted after the folder was listed
    corpus = load_corpus(corpus_dir)
    assert [d.doc_id for d in corpus.documents] == SEED_IDS
    assert sorted((s.path, s.reason) for s in corpus.skipped) == [
        (str(gone), "no longer there"), (str(pipe), "not a regular file")]


def test_a_folder_with_no_usable_article_is_refused_with_a_clear_message(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    assert qa_main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 2
    assert capsys.readouterr().err.startswith(f"qa: no usable articles (.txt or .md) in {corpus} (skipped empty.txt: empty")


def test_a_document_deleted_after_indexing_is_never_cited_again(corpus_dir, seed_store, tmp_path):
    index_dir = copy_of(seed_store, tmp_path, corpus_dir)  # indexed with every seed article
    gone = [p for p in load_corpus(corpus_dir).passages if p.doc_id == DOC_003]
    (corpus_dir / f"{DOC_003}.txt").unlink()

    engine = Engine(corpus_dir=corpus_dir, index_dir=index_dir)  # the next start
    assert engine.sync_report.deleted == len(gone)
    assert_consistent(engine)
    assert DOC_003 not in json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))["documents"]
    # Ask with the removed document's own sentences: the best possible match for a stale vector.
    for passage in gone[:5]:
        assert DOC_003 not in cited_documents(engine.answer(passage.text[:MAX_ASK]))
        hits = engine.index.dense_search(engine.embedder.encode_query(passage.text), k=10)
        assert all(engine.index.passages[row].doc_id != DOC_003 for row, _ in hits)


def test_a_document_edited_after_indexing_is_cited_as_it_now_reads(corpus_dir, seed_store, tmp_path):
    index_dir = copy_of(seed_store, tmp_path, corpus_dir)  # indexed before the edit
    path = corpus_dir / f"{DOC_001}.txt"
    old = "advancing 2.5 km (1.5 miles)"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, "advancing 7.5 km (4.7 miles)"), encoding="utf-8")

    engine = Engine(corpus_dir=corpus_dir, index_dir=index_dir)
    assert engine.sync_report.embedded >= 1 and engine.sync_report.deleted >= 1
    assert_consistent(engine)
    new_text = path.read_text(encoding="utf-8")
    assert not any(old in p.text for p in engine.index.passages if p.doc_id == DOC_001)
    for citation in engine.answer(KURSK).citations:  # offsets point into the file as it reads now
        assert engine.documents[citation.doc_id].text[citation.start : citation.end] == citation.text
        if citation.doc_id == DOC_001:
            assert new_text[citation.start : citation.end] == citation.text


# ---------------------------------------------------------------- a damaged store or manifest

SQLITE_DAMAGE = {
    "emptied": lambda data: b"",
    "cut in half": lambda data: data[: len(data) // 2],
    "header garbled": lambda data: b"x" * 100 + data[100:],
    "pages garbled": lambda data: data[: len(data) // 3] + bytes(range(256)) * 80 + data[len(data) // 3 + 20480 :],
}


@pytest.mark.parametrize("damage", SQLITE_DAMAGE.values(), ids=SQLITE_DAMAGE.keys())
def test_a_damaged_chroma_database_is_detected_and_rebuilt_at_the_next_start(seed_store, tmp_path, caplog, damage):
    index = copy_of(seed_store, tmp_path)
    database = index / "chroma" / "chroma.sqlite3"
    database.write_bytes(damage(database.read_bytes()))

    damaged_size = database.stat().st_size
    with caplog.at_level(logging.WARNING):
        engine = Engine(corpus_dir=SEEDS, index_dir=index)
    assert engine.sync_report.embedded == len(engine.index.keys)  # every vector made again
    assert_consistent(engine)
    if damaged_size:  # an emptied file is simply a new database: nothing to report
        assert engine.sync_report.rebuilt and "unreadable" in warnings_in(caplog)


# A manifest from another model or schema version: tests/test_index.py.
MANIFEST_DAMAGE = {
    "not json": "{ this is not json",
    "half written": '{"schema_version": 1, "model_id": "sentence-tra',
    "not an object": "[1, 2, 3]",
}


@pytest.mark.parametrize("text", MANIFEST_DAMAGE.values(), ids=MANIFEST_DAMAGE.keys())
def test_a_damaged_manifest_makes_the_next_start_rebuild(seed_store, tmp_path, text):
    index = copy_of(seed_store, tmp_path)
    (index / MANIFEST).write_text(text, encoding="utf-8")

    engine = Engine(corpus_dir=SEEDS, index_dir=index)
    report = engine.sync_report
    assert report.rebuilt and report.embedded == len(engine.index.keys) and report.reused == 0
    assert_consistent(engine)


CACHE_DAMAGE = {
    "cut in half": lambda data: data[: len(data) // 2],
    "bytes flipped": lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:4000]) + data[4000:],
    "not a zip": lambda data: b"not numpy at all",
}


@pytest.mark.parametrize("damage", CACHE_DAMAGE.values(), ids=CACHE_DAMAGE.keys())
def test_a_damaged_vector_cache_is_ignored_and_rewritten_from_chroma(seed_store, tmp_path, caplog, damage):
    index = copy_of(seed_store, tmp_path)
    cache = index / qa.index.VECTOR_CACHE
    with np.load(cache) as good:
        good_vectors = good["vectors"].copy()
    cache.write_bytes(damage(cache.read_bytes()))

    with caplog.at_level(logging.WARNING):
        engine = Engine(corpus_dir=SEEDS, index_dir=index)
    assert "vector cache" in warnings_in(caplog)
    assert engine.sync_report.embedded == 0  # Chroma still had every vector
    assert np.allclose(engine.index.vectors, good_vectors)
    with np.load(cache) as rewritten:
        assert np.allclose(rewritten["vectors"], good_vectors)


# ---------------------------------------------------------------- a killed `qa index` and a damaged HNSW segment


def start_qa_index(corpus: Path, index: Path):
    """`qa index` in a child whose stderr is a terminal, so it draws its progress bar; returns the
    child and the pty to read the bar from."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))  # tqdm draws nothing at width 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    child = subprocess.Popen([sys.executable, "-m", "qa.cli", "index", "--corpus", str(corpus), "--index", str(index)],
                             cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    return child, leader


def wait_for_progress(child, terminal: int, at_least: int, timeout: float = 240) -> str:
    """Read the progress bar until it shows `at_least` passages stored; returns what was read."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        if select.select([terminal], [], [], 0.2)[0]:
            try:
                seen += os.read(terminal, 4096).decode("utf-8", "replace")
            except OSError:  # the child closed the terminal
                break
            counts = [int(n) for n in re.findall(r"embedding passages:[^\r\n|]*\|[^|]*\|\s*(\d+)/", seen)]
            if counts and max(counts) >= at_least:
                return seen
    raise AssertionError(f"`qa index` never reached {at_least} passages (exit {child.poll()}):\n{seen[-2000:]}")


@pytest.fixture(scope="module")
def killed_then_restarted(seed_store, tmp_path_factory):
    """An index of the seeds; then one seed article is deleted and ~1,100 passages of new articles
    are added, and `qa index` is SIGKILLed after storing its first batch of them; then the index is
    started again. Returns what the tests below look at."""
    tmp = tmp_path_factory.mktemp("killed")
    corpus, index = tmp / "corpus", tmp / "index"
    shutil.copytree(SEEDS, corpus)
    shutil.copytree(seed_store, index)  # indexed with every seed article
    record_corpus(index, corpus)  # as if built for this copy of them
    removed = [p for p in load_corpus(corpus).passages if p.doc_id == DOC_003]
    (corpus / f"{DOC_003}.txt").unlink()
    write_reports(corpus, articles=11, sentences=100)  # more than Chroma keeps outside HNSW files
    before = fingerprint(corpus)

    child, terminal = start_qa_index(corpus, index)
    try:
        progress = wait_for_progress(child, terminal, at_least=qa.index.EMBED_BATCH)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(terminal)
    killed_manifest = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    after_kill = fingerprint(corpus)

    engine = Engine(corpus_dir=corpus, index_dir=index)  # the next start
    return dict(engine=engine, child=child, progress=progress, removed=removed, killed_manifest=killed_manifest,
                corpus=corpus, index=index, before=before, after_kill=after_kill)


def test_a_qa_index_killed_mid_embedding_is_finished_by_the_next_start(killed_then_restarted):
    run = killed_then_restarted
    assert run["child"].returncode == -signal.SIGKILL
    assert run["killed_manifest"]["complete"] is False  # the interrupted run is visible on disk
    engine = run["engine"]
    report = engine.sync_report
    seed_passages = sum(not p.doc_id.startswith("report_") for p in engine.index.passages)
    # Resumed, not redone: what was stored before the kill is reused (ids are content hashes).
    assert not report.rebuilt and report.reused >= seed_passages + qa.index.EMBED_BATCH
    assert report.embedded + report.reused == len(engine.index.keys)
    assert_consistent(engine)


def test_no_passage_of_a_document_removed_before_the_crash_survives(killed_then_restarted):
    engine, removed = killed_then_restarted["engine"], killed_then_restarted["removed"]
    assert not {passage_key(p) for p in removed} & stored_ids(engine)
    assert engine.index.collection.get(where={"doc_id": DOC_003}, include=[])["ids"] == []
    for passage in removed[:3]:  # its own sentences as questions: the best match a stale vector could get
        assert DOC_003 not in cited_documents(engine.answer(passage.text[:MAX_ASK]))


def test_indexing_never_writes_to_the_corpus(killed_then_restarted):
    run = killed_then_restarted
    assert run["after_kill"] == run["before"] == fingerprint(run["corpus"])


def test_a_damaged_hnsw_segment_is_detected_and_rebuilt_at_the_next_start(killed_then_restarted, tmp_path, caplog):
    # Past ~1,000 vectors Chroma keeps them in HNSW files beside the database: damage those.
    index = copy_of(killed_then_restarted["index"], tmp_path)
    [segment] = [p for p in (index / "chroma").iterdir() if p.is_dir() and (p / "header.bin").exists()]
    (segment / "header.bin").write_bytes(b"\xff" * 100)
    data = segment / "data_level0.bin"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])

    with caplog.at_level(logging.WARNING):
        engine = Engine(corpus_dir=killed_then_restarted["corpus"], index_dir=index)
    assert "unreadable" in warnings_in(caplog)
    assert engine.sync_report.rebuilt and engine.sync_report.embedded == len(engine.index.keys)
    assert_consistent(engine)


# ---------------------------------------------------------------- the index lock


def test_a_lock_left_by_a_killed_indexer_does_not_block_the_next_start(seed_store, tmp_path, caplog, monkeypatch):
    index = copy_of(seed_store, tmp_path)
    holder = subprocess.Popen(  # stands in for a `qa index` that holds the lock, then is killed
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); "
         "lock.acquire(); print('locked', flush=True); time.sleep(600)", str(index / ".lock")],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    monkeypatch.setattr(qa.manifest, "LOCK_NOTICE_SECONDS", 0.5)
    killer = threading.Timer(2.0, holder.send_signal, [signal.SIGKILL])
    killer.start()
    try:
        with caplog.at_level(logging.WARNING):
            engine = Engine(corpus_dir=SEEDS, index_dir=index)  # waits, told why, until the holder dies
    finally:
        killer.cancel()
        holder.kill()
        holder.wait()
    assert holder.returncode == -signal.SIGKILL
    assert "waiting for another process that is indexing" in warnings_in(caplog)
    assert_consistent(engine)


# ---------------------------------------------------------------- a read-only index folder


def can_mount_privately() -> bool:
    probe = subprocess.run(["unshare", "--mount", "--", "mount", "--bind", "/", "/mnt"], capture_output=True)
    return probe.returncode == 0


READ_ONLY_MESSAGE = "cannot write to the index folder"


@pytest.mark.skipif(shutil.which("unshare") is None or not can_mount_privately(),
                    reason="no private mount namespace here; the simulated test below covers the handling")
def test_a_read_only_index_folder_is_reported_in_one_line_by_qa_ask(seed_store, tmp_path):
    index = copy_of(seed_store, tmp_path)
    before = fingerprint(index)
    # Real EROFS, even for root: the folder is bind-mounted read-only in the child's own namespace.
    script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"')
    done = subprocess.run(
        ["unshare", "--mount", "--", "sh", "-c", script, "sh", str(index),
         sys.executable, "-m", "qa.cli", "ask", KURSK, "--corpus", str(SEEDS), "--index", str(index)],
        cwd=PROJECT, env={**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"},
        capture_output=True, text=True, timeout=300,
    )
    errors = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("Loading weights")]
    assert done.returncode == 3, done.stderr
    assert errors == [f"qa: {READ_ONLY_MESSAGE} {index} (Read-only file system); make it writable or choose "
                      "another folder with --index or QA_INDEX_DIR"]
    assert fingerprint(index) == before


def test_an_index_folder_that_refuses_writes_is_reported_not_wiped(seed_store, tmp_path, monkeypatch):
    # Simulated for root: opening the lock file fails the way it does on a read-only file system.
    index = copy_of(seed_store, tmp_path)
    before = fingerprint(index)

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", self.lock_file)

    monkeypatch.setattr(qa.manifest.FileLock, "acquire", read_only)  # fault injection: a read-only folder
    with pytest.raises(IndexUnavailable, match=f"{READ_ONLY_MESSAGE} .*Read-only file system.*--index"):
        Engine(corpus_dir=SEEDS, index_dir=index)
    assert fingerprint(index) == before
