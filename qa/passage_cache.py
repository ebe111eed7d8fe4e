"""passage_cache: what a start derives from each article's text, kept in the index folder by its sha256.

Two things are derived from a text alone and are worth keeping:
- its sentence offsets: segmenting (pysbd) is most of what a start costs on a large corpus;
- its `TextFacts` (duplicate key, title, date): a few tens of microseconds a file, which is still
  a fifth of a second at 20,000 files.
So both are stored per text hash, and a start works them out only for texts it has not seen: an
edited file gets a new hash, a renamed one keeps them under its new id.

Every file is still read and hashed: `Document.text` must be the file's text in memory anyway
(answers cite into it), and trusting a modification time (which copies and checkouts preserve) would
save only the hash.

The cache is derived data, and each half carries the fingerprint of the code that derives it: the
offsets that of qa/segment.py and the pysbd version, the facts that of qa/corpus.py, qa/segment.py
(headline lines) and qa/values/ (datelines). A half of another schema or other code, unreadable or garbled, is ignored and
worked out again; editing the title code does not re-segment anything. The file is replaced
atomically, so a killed start leaves the old file or the new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

import pysbd

import qa.corpus
import qa.segment
import qa.values
from qa.corpus import TextFacts, text_facts
from qa.files import write_text_atomically
from qa.models import Document, Passage
from qa.segment import make_passage, split_passages

log = logging.getLogger(__name__)

CACHE_FILE = "passages.json"
SCHEMA_VERSION = 2


@lru_cache(maxsize=1)
def segmenter_fingerprint() -> str:
    """Changes whenever the passages of a text could: any edit to qa/segment.py or another pysbd."""
    source = Path(qa.segment.__file__).read_bytes()
    return hashlib.sha256(source + pysbd.__version__.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def facts_fingerprint() -> str:
    """Changes whenever a text's facts could: any edit to qa/corpus.py, to qa/segment.py (titles use its
    `first_line` and `is_headline`) or to qa/values/ (datelines)."""
    sources = [Path(qa.corpus.__file__), Path(qa.segment.__file__)]
    sources += sorted(Path(qa.values.__file__).parent.glob("*.py"))
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:16]


class PassageCache:
    """Offsets and facts of each text by its hash; `passages_of` is `split_passages` and `facts_of` is
    `text_facts`, each with a memory.

    Pass them to `load_corpus(..., segment=cache.passages_of, facts=cache.facts_of)`, then `save()` once
    the corpus is loaded: the file then holds exactly the texts of this corpus (a removed article's
    entries are dropped).
    """

    def __init__(self, index_dir: str | Path, *, fresh: bool = False):
        self.path = Path(index_dir) / CACHE_FILE
        payload = {} if fresh else self._read()
        self._stored: dict[str, list[int]] = _valid_spans(payload)
        self._stored_facts: dict[str, list] = _valid_facts(payload)
        self._current: dict[str, list[int]] = {}
        self._current_facts: dict[str, list] = {}
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

    def facts_of(self, text: str, sha256: str) -> TextFacts:
        stored = self._stored_facts.get(sha256)
        facts = _facts_from(stored) if stored is not None else None
        if facts is None:
            facts = text_facts(text)
            stored = [facts.content_key, facts.title, facts.date.isoformat() if facts.date else None]
        self._current_facts[sha256] = stored
        return facts

    def save(self) -> None:
        """Write the texts seen since the start, unless the file already holds exactly those.
        A folder that refuses the write costs only speed at the next start, so it is a warning."""
        if self._current == self._stored and self._current_facts == self._stored_facts:
            return
        payload = {"schema_version": SCHEMA_VERSION, "segmenter": segmenter_fingerprint(), "spans": self._current,
                   "facts_code": facts_fingerprint(), "facts": self._current_facts}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(self.path, json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
        except OSError as err:
            log.warning("cannot write the passage cache %s (%s); the next start re-segments", self.path, err)
            return
        self._stored, self._stored_facts = dict(self._current), dict(self._current_facts)

    def _read(self) -> dict:
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.warning("passage cache %s is unreadable (%s); re-segmenting", self.path, err)
            return {}
        if not isinstance(payload, dict) or payload.get("schema_version") != SCHEMA_VERSION:
            return {}
        return payload


def _valid_spans(payload: dict) -> dict[str, list[int]]:
    spans = payload.get("spans")
    if payload.get("segmenter") != segmenter_fingerprint() or not isinstance(spans, dict):
        return {}
    return {sha: entry for sha, entry in spans.items() if _are_spans(entry)}


def _valid_facts(payload: dict) -> dict[str, list]:
    facts = payload.get("facts")
    if payload.get("facts_code") != facts_fingerprint() or not isinstance(facts, dict):
        return {}
    return {sha: entry for sha, entry in facts.items() if _facts_from(entry) is not None}


def _are_spans(spans: object) -> bool:
    """A flat [start, end, start, end, ...] list: anything else (a hand-edited or foreign entry) is
    dropped and its document re-segmented, never sliced with."""
    return (
        isinstance(spans, list)
        and len(spans) % 2 == 0
        and all(type(x) is int and x >= 0 for x in spans)
        and all(s < e for s, e in zip(spans[::2], spans[1::2]))
    )


def _facts_from(entry: object) -> TextFacts | None:
    """[content key, title, ISO date or null] as `TextFacts`; None for anything else."""
    if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str) and isinstance(entry[1], str)):
        return None
    try:
        day = dt.date.fromisoformat(entry[2]) if entry[2] is not None else None
    except (TypeError, ValueError):
        return None
    return TextFacts(entry[0], entry[1], day)
