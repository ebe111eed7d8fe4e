"""passage_cache: each article's sentence offsets, kept in the index folder by the text's sha256.

Segmenting (pysbd) is most of what a start costs on a large corpus, and its result depends only on
the document's text and on the segmenting code. So the offsets are stored per text hash, and a start
re-segments only the documents whose text it has not seen: an edited file gets a new hash, a renamed
one keeps its offsets under its new id.

Every file is still read and hashed: `Document.text` must be the file's text in memory anyway
(answers cite into it), so a stat-only fast path would save only the hash (measured in
docs/scaling.md), and it would trust a modification time that copies and checkouts preserve.

The cache is derived data. A file of another schema, of other segmenting code (a fingerprint of
qa/segment.py and the pysbd version), unreadable or garbled is ignored: everything is re-segmented and
the file rewritten. It is replaced atomically, so a killed start leaves the old file or the new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

import pysbd

import qa.segment
from qa.segment import make_passage, split_passages
from qa.files import write_text_atomically
from qa.models import Document, Passage

log = logging.getLogger(__name__)

CACHE_FILE = "passages.json"
SCHEMA_VERSION = 1


@lru_cache(maxsize=1)
def segmenter_fingerprint() -> str:
    """Changes whenever the passages of a text could: any edit to qa/segment.py or another pysbd."""
    source = Path(qa.segment.__file__).read_bytes()
    return hashlib.sha256(source + pysbd.__version__.encode()).hexdigest()[:16]


class PassageCache:
    """Offsets of each document's passages by text hash; `passages_of` is `split_passages` with a memory.

    Pass `passages_of` to `load_corpus(..., segment=...)`, then `save()` once the corpus is loaded:
    the file then holds exactly the documents of this corpus (a removed article's entry is dropped).
    """

    def __init__(self, index_dir: str | Path, *, fresh: bool = False):
        self.path = Path(index_dir) / CACHE_FILE
        self._stored: dict[str, list[int]] = {} if fresh else self._read()
        self._current: dict[str, list[int]] = {}
        self.segmented = 0  # documents segmented by this instance (the rest came from the file)

    def passages_of(self, doc: Document) -> list[Passage]:
        spans = self._stored.get(doc.sha256)
        if spans is None or (spans and max(spans) > len(doc.text)):
            passages = split_passages(doc)
            spans = [offset for p in passages for offset in (p.start, p.end)]
            self.segmented += 1
        else:
            passages = [make_passage(doc.doc_id, s, e, doc.text[s:e]) for s, e in zip(spans[::2], spans[1::2])]
        self._current[doc.sha256] = spans
        return passages

    def save(self) -> None:
        """Write the documents seen since the start, unless the file already holds exactly those.
        A folder that refuses the write costs only speed at the next start, so it is a warning."""
        if self._current == self._stored:
            return
        payload = {"schema_version": SCHEMA_VERSION, "segmenter": segmenter_fingerprint(), "spans": self._current}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(self.path, json.dumps(payload, separators=(",", ":")))
        except OSError as err:
            log.warning("cannot write the passage cache %s (%s); the next start re-segments", self.path, err)
            return
        self._stored = dict(self._current)

    def _read(self) -> dict[str, list[int]]:
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.warning("passage cache %s is unreadable (%s); re-segmenting", self.path, err)
            return {}
        if not _is_current(payload):
            return {}
        return {sha: spans for sha, spans in payload["spans"].items() if _are_spans(spans)}


def _is_current(payload: object) -> bool:
    return (
        isinstance(payload, dict)
        and payload.get("schema_version") == SCHEMA_VERSION
        and payload.get("segmenter") == segmenter_fingerprint()
        and isinstance(payload.get("spans"), dict)
    )


def _are_spans(spans: object) -> bool:
    """A flat [start, end, start, end, ...] list: anything else (a hand-edited or foreign entry) is
    dropped and its document re-segmented, never sliced with."""
    return (
        isinstance(spans, list)
        and len(spans) % 2 == 0
        and all(type(x) is int and x >= 0 for x in spans)
        and all(s < e for s, e in zip(spans[::2], spans[1::2]))
    )
