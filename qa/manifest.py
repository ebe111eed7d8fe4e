"""manifest: the index folder's record of what it holds, its owner corpus, and its one writer.

`manifest.json` says which model and schema made the vectors, which corpus folder the index belongs
to, which Chroma collection holds them, each document's hash and passage count, and whether the last
sync finished. An index folder belongs to one corpus folder: opened for another it is refused
(`CorpusMismatch`), since syncing would re-embed it for the other corpus and the first corpus's next
start would re-embed it back; only an explicit rebuild takes it over.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.corpus import Corpus
from qa.files import write_text_atomically

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
LOCK_NOTICE_SECONDS = 5  # waiting longer than this for another indexer is worth a word


class IndexUnavailable(RuntimeError):
    """The index cannot be opened or built; the message says what to do."""


class CorpusMismatch(IndexUnavailable):
    """The index folder holds the index of another folder of articles. Syncing it to this corpus
    would silently re-embed over that index (and the other corpus's next run would do it back)."""


def read_manifest(index_dir: Path) -> dict | None:
    """The manifest, or None when it is missing, half-written or not a manifest at all. A start asks
    for it several times and at 20,000 documents it is megabytes of JSON, so the last one parsed is
    kept while the file stays the same; each call gets its own top-level dict (nested records are
    shared: read them, don't change them)."""
    path = Path(index_dir) / MANIFEST
    try:
        info = path.stat()
        stamp = (str(path.resolve()), info.st_mtime_ns, info.st_size, info.st_ino)
        if _last_read and _last_read[0] == stamp:
            return dict(_last_read[1])
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    _last_read[:] = [stamp, manifest]
    return dict(manifest)


_last_read: list = []  # [(path, mtime_ns, size, inode), manifest] of the last manifest parsed


def keys_digest(keys: list[str]) -> str:
    """One hash of an index's passage keys, in order: equal digests, the same passages."""
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


def write_manifest(index_dir: Path, corpus: Corpus, model_id: str, store: dict, complete: bool,
                   keys: list[str] | None = None) -> bool:
    """`store` says where the vectors are: {"collection": name, "chroma_server": "host:port" | None};
    `keys` are the index's passage keys (their digest lets the next start trust the store without
    reading its ids). The file is written only when its content changes; True when it was."""
    passages = Counter(p.doc_id for p in corpus.passages)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "model_id": model_id,
        "passage_count": len(corpus.passages),
        "complete": complete,  # False while a sync runs: a build that was killed says so
        "collection": store["collection"],
        "corpus": corpus.folder,  # whose index this is: another corpus is refused, not synced
        "chroma_server": store["chroma_server"],
        "keys_sha256": keys_digest(keys) if keys is not None else None,
        "documents": {
            d.doc_id: {"sha256": d.sha256, "passages": passages.get(d.doc_id, 0), "path": d.path}
            for d in corpus.documents
        },
    }
    if read_manifest(index_dir) == manifest:
        return False
    write_text_atomically(Path(index_dir) / MANIFEST, json.dumps(manifest, indent=1))
    return True


def vectors_reusable(index_dir: Path, model_id: str) -> bool:
    """False when the stored vectors cannot be reused: another model, schema or no manifest."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        return False
    same = manifest.get("schema_version") == SCHEMA_VERSION and manifest.get("model_id") == model_id
    if not same:
        log.warning("index at %s was built by another model or schema; rebuilding", index_dir)
    elif manifest.get("complete") is False:  # vectors stored so far are good: ids are content hashes
        log.warning("indexing of %s did not finish last time (killed?); finishing it", index_dir)
    return same


def recorded_corpus(index_dir: str | Path) -> str | None:
    """The resolved corpus folder an index folder was built for, as its manifest says; None when
    there is no manifest or it predates the record (such an index is taken as this corpus's)."""
    corpus = (read_manifest(Path(index_dir)) or {}).get("corpus")
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


def claim_for_corpus(index_dir: Path, corpus_folder: str | None, rebuild: bool) -> None:
    """Refuse the index of another corpus, unless asked to rebuild: an explicit rebuild replaces
    whatever the folder held, so it may take the folder over for this corpus."""
    if not rebuild:
        check_same_corpus(index_dir, corpus_folder)
        return
    built_for = recorded_corpus(index_dir)
    if built_for and corpus_folder and built_for != corpus_folder:
        log.warning("replacing the index at %s (built for %s) with one for %s", index_dir, built_for, corpus_folder)


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


def not_writable(index_dir: Path, err: OSError) -> IndexUnavailable:
    return IndexUnavailable(
        f"cannot write to the index folder {index_dir} ({err.strerror or err}); make it writable or "
        "choose another folder with --index or QA_INDEX_DIR"
    )


@contextmanager
def writer_lock(index_dir: Path):
    """One writer per index folder. flock is released by the kernel when its holder dies, so a
    killed `qa index` never leaves the folder locked; a live one is waited for."""
    lock = FileLock(str(index_dir / ".lock"))
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=LOCK_NOTICE_SECONDS)
        except Timeout:
            log.warning("waiting for another process that is indexing %s", index_dir)
            lock.acquire()
    except OSError as err:  # read-only or full file system, no permission
        raise not_writable(index_dir, err) from err
    try:
        yield
    finally:
        lock.release()
