"""corpus: article files -> `Document`s and sentence `Passage`s with exact character offsets.

`Document.text` is the file's text exactly as `Path.read_text(encoding=doc.encoding)` returns it (UTF-8,
or the encoding detected for a file that is not UTF-8), and every passage satisfies
`doc.text[p.start:p.end] == p.text`. We never segment a cleaned copy: we only
replace newlines by spaces (same length) before handing text to the segmenter, so offsets carry over.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import pysbd
from charset_normalizer import from_bytes

from qa.models import Document, Passage, SourceAgreement
from qa.values import dateline_date

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 5_000_000  # a news article is kilobytes; megabytes means a dump, not an article
TITLE_MAX_CHARS = 90
HEADLINE_MAX_CHARS = 200
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

_LEADING_DATE = re.compile(r"^\s*(?:date\s*[:=]?\s*)?\d{4}-\d{2}-\d{2}\s+", re.IGNORECASE)
_MONTHS = "|".join(calendar.month_name[1:])
_TRAILING_TIMESTAMP = re.compile(
    rf"\s+(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+)?(?:{_MONTHS})\s+\d{{1,2}},\s+\d{{4}}"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]M)?)?\s*$",
    re.IGNORECASE,
)
_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*\s*$""")
# Site furniture rather than reporting: comment policies, copyright lines, calls to subscribe or
# share. Matched per passage, so one stray phrase in a real sentence of reporting is not enough:
# the passage must be mostly about the reader or the site.
_BOILERPLATE = re.compile(
    r"comments? (?:posted|section|are|here)|refrain from|all rights reserved|copyright (?:©|\(c\)|\d{4})|"
    r"subscribe (?:to|for|now)|sign up for|click here|follow us on|share this article|"
    r"read more:|terms of (?:use|service)|privacy policy",
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


def load_corpus(
    corpus_dir: str | Path, segment: Callable[[Document], list[Passage]] | None = None
) -> Corpus:
    """Read every article of a folder; bad files are skipped with one warning each.

    `segment` turns a document into its passages (default `split_passages`); the engine passes one
    that remembers them across starts (qa.passage_cache)."""
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
    for path in article_files(folder):
        try:
            doc = read_document(path)
        except UnusableFile as err:
            skipped.append(_skip(path, str(err)))
            continue
        same_id = by_id.get(doc.doc_id)
        if same_id is not None:
            skipped.append(_skip(path, f"another file already has the id {doc.doc_id!r}: {same_id.path}"))
            continue
        # A repost under another name must not count as a second source agreeing with the first.
        key = content_key(doc.text)
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
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in ARTICLE_SUFFIXES and not p.name.startswith(".")
    )


def content_key(text: str) -> str:
    """Equal for two copies of one article that differ only in line endings, spacing or a BOM."""
    return hashlib.sha256(" ".join(text.replace("\ufeff", "").split()).encode("utf-8")).hexdigest()


def _skip(path: Path, reason: str) -> SkippedFile:
    log.warning("skipping %s: %s", path, reason)
    return SkippedFile(path=str(path), reason=reason)


def read_document(path: Path) -> Document:
    text, encoding = read_article_text(path)
    if encoding != "utf-8":  # a guess, however good: say which, so a garbled article can be explained
        log.warning("read %s as %s (not UTF-8)", path, encoding)
    title, doc_date = parse_title_and_date(text)
    return Document(
        doc_id=path.stem,
        path=str(path),
        title=title,
        date=doc_date,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        encoding=encoding,
    )


def read_article_text(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with: UTF-8, or else the one detected.

    Read with `Path.read_text` either way, so line endings are translated alike and offsets are
    offsets into exactly what `read_text(encoding=...)` returns.
    """
    try:
        if not path.is_file():  # a folder, a fifo (reading would block), a dangling link, deleted
            raise UnusableFile("not a regular file" if path.exists() else "no longer there")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnusableFile(f"too large ({size:,} bytes; limit {MAX_FILE_BYTES:,})")
        try:
            text, encoding = path.read_text(encoding="utf-8"), "utf-8"
        except UnicodeDecodeError as err:
            encoding = detect_encoding(path.read_bytes(), err)
            text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as err:  # the detected encoding did not fit after all
        raise UnusableFile(f"not text in UTF-8 or {err.encoding} ({err.reason} at byte {err.start})") from err
    except OSError as err:
        raise UnusableFile(f"unreadable ({err.strerror or err})") from err
    if "\x00" in text:
        raise UnusableFile("binary content (NUL bytes)")
    if not text.strip():
        raise UnusableFile("empty")
    return text, encoding


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


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def is_headline(line: str) -> bool:
    """A headline is a short first line that does not read as a finished sentence."""
    return len(line) <= HEADLINE_MAX_CHARS and not _SENTENCE_END.search(line)


def parse_title_and_date(text: str) -> tuple[str, date | None]:
    line = first_line(text)
    doc_date = dateline_date(line)
    headline = _TRAILING_TIMESTAMP.sub("", _LEADING_DATE.sub("", line)).strip()
    if is_headline(line) and headline:
        return headline, doc_date
    return shorten_to_title(line), doc_date


def shorten_to_title(line: str, limit: int = TITLE_MAX_CHARS) -> str:
    if len(line) <= limit:
        return line.rstrip(".")
    cut = line[:limit].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


# --- passages ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_passages(doc: Document) -> list[Passage]:
    """Sentences of the body, minus the headline line, repeated lines and site boilerplate."""
    spans: list[tuple[int, int]] = []
    seen: set[str] = set()
    headline_key = _line_key(first_line(doc.text)) if is_headline(first_line(doc.text)) else None
    for block_start, block_end in body_blocks(doc.text):
        for start, end in sentence_spans(doc.text, block_start, block_end):
            key = _line_key(doc.text[start:end])
            if key in seen or key == headline_key:
                continue
            seen.add(key)
            spans.append((start, end))
    spans = without_trailing_furniture(doc.text, spans)
    return [
        make_passage(doc.doc_id, start, end, doc.text[start:end])
        for start, end in spans
        if not is_boilerplate(doc.text[start:end])
    ]


def without_trailing_furniture(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop the footer: trailing paragraphs in which any sentence is site furniture.

    A comment policy or copyright notice sits at the end of a page with its neighbours ("Please keep
    the discussion civil"), which carry no cue of their own; the whole paragraph goes. Reporting
    ends the footer: we stop at the first paragraph from the end with no furniture in it.
    """
    paragraphs = _paragraphs(text, spans)
    while paragraphs and any(is_boilerplate(text[s:e]) for s, e in paragraphs[-1]):
        paragraphs.pop()
    return [span for paragraph in paragraphs for span in paragraph]


def _paragraphs(text: str, spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Consecutive sentences grouped by line: a newline between two sentences starts a new group."""
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if groups and "\n" not in text[groups[-1][-1][1] : span[0]]:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def make_passage(doc_id: str, start: int, end: int, text: str) -> Passage:
    return Passage(passage_id=f"{doc_id}@{start}:{end}", doc_id=doc_id, start=start, end=end, text=text)


def body_blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: runs of non-blank lines.

    Lines inside a run are joined for the segmenter, because hard-wrapped text breaks sentences
    across lines; a line ending a sentence still ends it.
    """
    return [(m.start(), m.end()) for m in _BLOCK.finditer(text)]


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence offsets within text[start:end], found by pysbd on a newline-flattened copy."""
    block = text[start:end].replace("\n", " ")
    spans = []
    cursor = 0
    for sentence in _segmenter().segment(block):
        stripped = sentence.strip()
        if not stripped:
            continue
        at = block.find(stripped, cursor)
        if at < 0:  # the segmenter altered the text; fall back to the whole block rather than guess
            return [_strip_span(text, start, end)]
        spans.append((start + at, start + at + len(stripped)))
        cursor = at + len(stripped)
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    chunk = text[start:end]
    left = len(chunk) - len(chunk.lstrip())
    right = len(chunk.rstrip())
    return start + left, start + right


def _line_key(text: str) -> str:
    return " ".join(text.casefold().split())


def is_boilerplate(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence))
