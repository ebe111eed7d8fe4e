"""corpus: article files -> `Document`s and sentence `Passage`s with exact character offsets.

`Document.text` is the file's text exactly as `Path.read_text(encoding=doc.encoding)` returns it (UTF-8,
or the encoding detected for a file that is not UTF-8); its passages come from qa/segment.py, and
every one satisfies `doc.text[p.start:p.end] == p.text`.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from charset_normalizer import from_bytes

from qa.models import Document, Passage, SourceAgreement
from qa.segment import BYLINE_MAX_CHARS, first_line, header, is_furniture, is_headline, lead_lines, split_passages
from qa.values import dateline_date, dateline_end

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 5_000_000  # a news article is kilobytes; megabytes means a dump, not an article
TITLE_MAX_CHARS = 90
# Western text saved by older Windows editors is cp1252 (also WHATWG's fallback for Western pages),
# and the engine reads English. On a short article charset-normalizer picks among look-alike code
# pages almost at random ("José Núñez" as cp775 is "Josķ N·±ez", "España" as cp1250 "Espańa"), so
# cp1252 stays unless its guess reads as clearly more coherent language (Polish as cp1250: 0.44 to
# 0.0; a look-alike: within 0.04) or with clearly less mess. Margins are charset-normalizer's
# coherence and chaos ratios (0..1), set on short English, Western, Polish, Czech, Greek and Russian
# samples; a one-line Turkish article (0.06 apart) is read as cp1252.
WESTERN_FALLBACK = "cp1252"
COHERENCE_MARGIN = 0.1
CHAOS_MARGIN = 0.1
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # UTF-16 text is full of NUL bytes, yet text

# A byline is one short line with no sentence end; a dateline is what opens the first paragraph, up
# to its dash ("WASHINGTON, Feb 4, 2025 (Reuters) — ...").
_SENTENCE_ENDS = (".", "!", "?", '"', "”")
_DATELINE = re.compile(r"(.{4,80}?)\s+[-–—]{1,2}\s")
_LEADING_DATE = re.compile(r"^\s*(?:date\s*[:=]?\s*)?\d{4}-\d{2}-\d{2}\s+", re.IGNORECASE)
_MONTHS = "|".join(calendar.month_name[1:])
_TRAILING_TIMESTAMP = re.compile(
    rf"\s+(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+)?(?:{_MONTHS})\s+\d{{1,2}},\s+\d{{4}}"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]M)?)?\s*$",
    re.IGNORECASE,
)


@dataclass
class SkippedFile:
    path: str
    reason: str


@dataclass
class Corpus:
    documents: list[Document]
    passages: list[Passage]
    skipped: list[SkippedFile] = field(default_factory=list)
    folder: str | None = None  # the resolved folder it was read from: the index records whose it is

    def document(self, doc_id: str) -> Document:
        return self.by_id[doc_id]

    @cached_property
    def by_id(self) -> dict[str, Document]:
        return {d.doc_id: d for d in self.documents}

    @cached_property
    def silent_marks(self) -> dict[str, SourceAgreement]:
        """One shared, immutable `silent` mark per document, in corpus order: an answer over a corpus of
        thousands of documents marks most of them silent, and validating a fresh record for each, per
        question, was most of the answer time at 100k passages."""
        return {d.doc_id: SourceAgreement(doc_id=d.doc_id, title=d.title, marker="silent") for d in self.documents}


class UnusableFile(Exception):
    """A file that cannot be an article: the message says why, for the warning."""


@dataclass(frozen=True)
class TextFacts:
    """What a start derives from an article's text, besides its passages: the key its duplicates share,
    its title and its date."""

    content_key: str
    title: str
    date: date | None


def text_facts(text: str) -> TextFacts:
    """The facts of a text, worked out."""
    title, doc_date = parse_title_and_date(text)
    return TextFacts(content_key(text), title, doc_date)


def load_corpus(
    corpus_dir: str | Path,
    segment: Callable[[Document], list[Passage]] | None = None,
    facts: Callable[[str, str], TextFacts] | None = None,
) -> Corpus:
    """Read every article of a folder; bad files are skipped with one warning each.

    `segment` turns a document into its passages (default `split_passages`) and `facts(text, sha256)`
    gives a text's `TextFacts` (default `text_facts`); the engine passes the ones that remember them
    across starts (qa.passage_cache)."""
    folder = Path(corpus_dir)
    # FileNotFoundError for both: callers treat "no folder of articles there" alike (exit code 2).
    if folder.is_file():  # an article named where its folder was meant
        raise FileNotFoundError(f"{folder} is a file, not a folder of articles (give the folder that holds it)")
    if not folder.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {folder}")
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    first_with_text: dict[str, str] = {}  # content key -> the file that had this text first
    by_id: dict[str, Document] = {}  # a dict, not a scan of `documents`: that was quadratic in the corpus
    facts = facts or (lambda text, sha256: text_facts(text))
    for path in article_files(folder):
        try:
            doc, key = read_document(path, facts)
        except UnusableFile as err:
            skipped.append(_skip(path, str(err)))
            continue
        same_id = by_id.get(doc.doc_id)
        if same_id is not None:
            skipped.append(_skip(path, f"another file already has the id {doc.doc_id!r}: {same_id.path}"))
            continue
        # A repost under another name must not count as a second source agreeing with the first.
        if key in first_with_text:
            skipped.append(_skip(path, f"duplicate of {first_with_text[key]} (same text)"))
            continue
        first_with_text[key] = doc.path
        by_id[doc.doc_id] = doc
        documents.append(doc)
    segment = segment or split_passages
    passages = [p for doc in documents for p in segment(doc)]
    return Corpus(documents=documents, passages=passages, skipped=skipped, folder=str(folder.resolve()))


def article_files(folder: Path) -> list[Path]:
    """The folder's article files in name order (names sorted as strings: sorting 20,000 `Path`s
    cost 0.4 s of a start)."""
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if _is_article_name(e.name))
    return [folder / name for name in names]


def _is_article_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in ARTICLE_SUFFIXES and not name.startswith(".")


def content_key(text: str) -> str:
    """Equal for two copies of one article that differ only in line endings, spacing or a BOM."""
    return hashlib.sha256(" ".join(text.replace("\ufeff", "").split()).encode("utf-8")).hexdigest()


def _skip(path: Path, reason: str) -> SkippedFile:
    log.warning("skipping %s: %s", path, reason)
    return SkippedFile(path=str(path), reason=reason)


def read_document(path: Path, facts: Callable[[str, str], TextFacts]) -> tuple[Document, str]:
    """The article at `path`, and the key its duplicates share (`content_key`); `facts(text, sha256)`
    gives its title, date and that key."""
    location = str(path)  # once: a start reads every file, and each str() of a Path costs again
    text, encoding = read_article_text(location)
    if encoding != "utf-8":  # a guess, however good: say which, so a garbled article can be explained
        log.warning("read %s as %s (not UTF-8)", location, encoding)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    known = facts(text, sha256)
    document = Document(doc_id=path.stem, path=location, title=known.title, date=known.date, text=text,
                        sha256=sha256, encoding=encoding)
    return document, known.content_key


def read_article_text(path: str | Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-8, or else the one detected.

    The same text as `Path.read_text(encoding=...)` returns (newlines translated alike, so offsets
    are offsets into exactly that), from one stat and one read of the bytes: a start reads every
    article, and the second stat and the text-mode wrapper were a third of its cost at 20,000 files.
    """
    try:
        raw = read_regular_file(path)
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as err:
            encoding = detect_encoding(raw, err)
            text = raw.decode(encoding)
    except UnicodeDecodeError as err:  # the detected encoding did not fit after all
        raise UnusableFile(f"not text in UTF-8 or {err.encoding} ({err.reason} at byte {err.start})") from err
    text = universal_newlines(text)
    if "\x00" in text:
        raise UnusableFile("binary content (NUL bytes)")
    if not text.strip():
        raise UnusableFile("empty")
    return text, encoding


def read_regular_file(path: str | Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or UnusableFile saying why not."""
    try:
        info = os.stat(path)  # follows links: a link to an article is an article
    except FileNotFoundError as err:  # deleted since the listing, or a dangling link
        raise UnusableFile("no longer there") from err
    except OSError as err:
        raise UnusableFile(f"unreadable ({err.strerror or err})") from err
    if not stat.S_ISREG(info.st_mode):  # a folder, a fifo (reading would block), a device
        raise UnusableFile("not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise UnusableFile(f"too large ({info.st_size:,} bytes; limit {MAX_FILE_BYTES:,})")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(info.st_size + 1)  # sized by the stat: a bigger buffer costs its allocation
            if len(raw) > info.st_size:  # it grew since the stat
                raw += fh.read(MAX_FILE_BYTES + 1 - len(raw))
    except OSError as err:
        raise UnusableFile(f"unreadable ({err.strerror or err})") from err
    if len(raw) > MAX_FILE_BYTES:  # grew since the stat
        raise UnusableFile(f"too large (over {MAX_FILE_BYTES:,} bytes)")
    return raw


def universal_newlines(text: str) -> str:
    """Line ends as text-mode reading (`read_text`) leaves them: CR LF and a lone CR become LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_encoding(raw: bytes, utf8_error: UnicodeDecodeError) -> str:
    """The encoding of a file that is not UTF-8, or UnusableFile when it is not text at all.

    The binary check comes first: a detector finds some code page for almost any bytes.
    """
    if raw.startswith(UTF16_BOMS):
        return "utf-16"
    if b"\x00" in raw:
        raise UnusableFile("binary content (NUL bytes)")
    best = from_bytes(raw).best()
    if best is None:
        raise UnusableFile(
            f"not UTF-8 text ({utf8_error.reason} at byte {utf8_error.start}), nor any encoding we can detect"
        )
    western = from_bytes(raw, cp_isolation=[WESTERN_FALLBACK]).best()
    if western is not None and reads_as_well(western, best):
        return WESTERN_FALLBACK
    return best.encoding


def reads_as_well(candidate, best) -> bool:
    """True when charset-normalizer finds the candidate's reading about as coherent and as clean as
    its best guess's: not clearly worse on either."""
    return (candidate.coherence >= best.coherence - COHERENCE_MARGIN
            and candidate.chaos <= best.chaos + CHAOS_MARGIN)


# --- titles and dates -----------------------------------------------------------------------


def parse_title_and_date(text: str) -> tuple[str, date | None]:
    """The article's title and the day it was published: from its metadata lines ("Title:", "Date:")
    where it has them, else from its first line, else (the date) from its byline or dateline."""
    fields = header(text).fields
    line = first_line(text)
    doc_date = field_date(fields) or dateline_date(line) or lead_date(lead_lines(text))
    titled = fields.get("title") or fields.get("headline")
    if titled:
        return shorten_to_title(titled), doc_date
    headline = _TRAILING_TIMESTAMP.sub("", _LEADING_DATE.sub("", line)).strip()
    if is_headline(line) and headline:
        return headline, doc_date
    # no headline: the first paragraph names the article, without its dateline ("BRISTOW, Oct 9 (Newswire) - ")
    return shorten_to_title(line[dateline_end(line):] or line), doc_date


def field_date(fields: dict[str, str]) -> date | None:
    """The day a "Date:"/"Published:"/"Updated:" metadata line states, if any does."""
    for key in ("date", "published", "updated", "modified"):
        if key in fields and (day := dateline_date(fields[key])):
            return day
    return None


def lead_date(lines: list[str]) -> date | None:
    """The day stated by a byline under the headline ("By Jo Lee, The Canadian Press | May 22, 2019")
    or by the dateline opening the first paragraph ("COPENHAGEN, Sept 17, 2021 (AFP) - ..."). Only the
    dateline part of a paragraph counts: a date further on is an event's, not the article's."""
    for line in lines[1:]:
        if is_furniture(line):  # a share bar between the headline and the byline
            continue
        if len(line) <= BYLINE_MAX_CHARS and not line.endswith(_SENTENCE_ENDS):
            if day := dateline_date(line):
                return day
            continue
        dateline = _DATELINE.match(line)
        return dateline_date(dateline.group(1)) if dateline and is_dateline(dateline.group(1)) else None
    return None


def is_dateline(prefix: str) -> bool:
    """A paragraph's opening as a dateline: a place, a date and an agency, every word capitalised or a
    number ("COPENHAGEN, Sept 17, 2021 (AFP)"), not a sentence ("The council voted on March 3")."""
    return all(word[:1].isupper() or word[:1].isdigit() or word[:1] in "(/" for word in prefix.split())


def shorten_to_title(line: str, limit: int = TITLE_MAX_CHARS) -> str:
    if len(line) <= limit:
        return line.rstrip(".")
    cut = line[:limit].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"
