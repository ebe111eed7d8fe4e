"""segment: a document -> its sentence passages, with exact character offsets.

Segmenting never works on a cleaned copy: newlines become spaces (same length) before the text goes
to the segmenter (pysbd), so every passage satisfies `doc.text[p.start:p.end] == p.text`. Passages
depend only on a document's text and on this module (and pysbd): qa/passage_cache.py keeps them per
text hash, fingerprinted by this file, so an edit here (and only here) re-segments every article.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from qa.models import Document, Passage

HEADLINE_MAX_CHARS = 200
_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_HEADING = re.compile(r"\s*#{1,6}\s+\S")  # a Markdown heading line
_LIST_ITEM = re.compile(r"\s*(?:[-*+•]|\d{1,2}[.)])\s+(?=\S)")  # "- ", "* ", "1. ": a list item's marker
_MARKUP = re.compile(r"^\s*#{1,6}\s+|^[*_]+(?=\S)|(?<=\S)[*_]+$")
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

# What a page copied from a browser carries besides the article: share buttons, ad slots, reading
# times ("Share on Facebook", "Advertisement", "5 min read"): a passage of these words only; photo
# credits ("(Photo: City of Lingen)"); and a "Related articles:" heading, after which only links follow.
_FURNITURE_WORDS = frozenset("""advertisement advert ad sponsored content share shares on via facebook twitter
    x linkedin whatsapp telegram pinterest reddit email e-mail print copy link links tweet save this article
    story page listen to min mins minute minutes read reading comments comment gift""".split())
_CREDIT = re.compile(r"\(\s*(?:photo|image|picture|video|credit)s?\b[^()]{0,80}\)|"
                     r"(?:photo|image|picture)s?\s*(?:credit)?\s*:\s*[^.!?]{0,60}", re.IGNORECASE)
_RELATED = re.compile(r"(?:related(?:\s+(?:articles?|stories|content|coverage|news|links|reading))?|"
                      r"more\s+on\s+this\s+(?:story|topic)|see\s+also|further\s+reading|"
                      r"you\s+may\s+also\s+like|recommended(?:\s+for\s+you)?|most\s+read)\s*:?", re.IGNORECASE)
LINK_MAX_CHARS = 120  # a related link is a headline, one short line


def is_furniture(passage: str) -> bool:
    """A share bar, an ad slot, a reading time or a photo credit: nothing a reader asks about."""
    words = re.findall(r"[\w-]+", passage.casefold())
    if words and all(w in _FURNITURE_WORDS or w.isdigit() for w in words):
        return True
    return bool(_CREDIT.fullmatch(passage.strip()))


def without_related_links(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop a closing "Related articles:" heading and the links under it."""
    for at in range(len(spans) - 1, -1, -1):
        if _RELATED.fullmatch(text[spans[at][0]:spans[at][1]].strip()):
            after = spans[at + 1:]
            if all(e - s <= LINK_MAX_CHARS and "\n" not in text[s:e] for s, e in after):
                return spans[:at]
            break
    return spans


# The metadata lines some exports put above an article ("Title: ...", "Date: ...", "Author: ..."), bare
# or fenced as front matter ("---"): facts about the article, not reporting, so never a passage.
_FIELD = re.compile(
    r"\s*(?:\*\*)?(title|headline|date|published|updated|modified|author|authors|byline|source|publisher|"
    r"url|link|section|category|categories|tags|keywords|language)(?:\*\*)?\s*:(?:\*\*)?\s*(.*?)\s*",
    re.IGNORECASE,
)
BYLINE_MAX_CHARS = 120
DATE_LINE_MAX_WORDS = 9
_BY = re.compile(r"(?:By|BY|Written by|Reporting by|Words by)\s+[A-Z]")
_MONTH = (r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?")
_DATE_ONLY = re.compile(rf"\b{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}\b|\b\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b")
_FENCE = re.compile(r"\s*-{3,}\s*")


@dataclass(frozen=True)
class Header:
    """An article's metadata lines: their fields (keys lowercased, the first value of each) and the
    offset where the article proper begins (0 when there are none)."""

    fields: dict[str, str]
    end: int


def header(text: str) -> Header:
    """The leading field lines ("Title: ...", blank lines between them allowed), or a front-matter block
    between two "---" lines; the article begins after them. Reads only as far as they go."""
    filled = _filled_lines(text)
    first = next(filled, None)
    fields: dict[str, str] = {}
    if first is None:
        return Header(fields, 0)
    if _FENCE.fullmatch(first[1]):
        for at, line in filled:
            if _FENCE.fullmatch(line):
                return Header(fields, _line_end(text, at))
            _add_field(fields, line)
        return Header({}, 0)  # an opening rule with no closing one is the article's own
    end = 0
    for at, line in itertools.chain([first], filled):
        if not _add_field(fields, line):
            break
        end = _line_end(text, at)
    return Header(fields, end)


def _filled_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, stripped line) of each non-blank line, lazily."""
    for match in re.finditer(r"[^\n]+", text):
        line = match.group().strip().lstrip("\ufeff")
        if line:
            yield match.start(), line


def _add_field(fields: dict[str, str], line: str) -> bool:
    match = _FIELD.fullmatch(line)
    if match is None:
        return False
    fields.setdefault(match.group(1).lower(), match.group(2))
    return True


def _line_end(text: str, at: int) -> int:
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline + 1


def first_line(text: str) -> str:
    """The first line of the article proper (after its metadata lines, if any), without Markdown's
    heading hashes and emphasis ("# Quake strikes Peru", "*Published March 3*")."""
    body = text[header(text).end:]
    return next((plain(line) for line in body.splitlines() if line.strip()), "")


def plain(line: str) -> str:
    return _MARKUP.sub("", line.strip()).strip()


def lead_lines(text: str, count: int = 8) -> list[str]:
    """The article's first `count` lines after its metadata (headline, byline, the dateline's paragraph)."""
    body = text[header(text).end:]
    return [plain(line) for line in body.splitlines() if line.strip()][:count]


def lead_end(text: str, start: int, headline_first: bool = True) -> int:
    """Where the reporting begins: after the headline (when the first line is it) and the byline or
    date lines under it ("By Sam Ruiz | Tuesday, January 20, 2026"): who wrote it and when, not what
    happened."""
    end = start
    for match in re.finditer(r"[^\n]*\n?", text[start:]):
        line = plain(match.group())
        if not line:
            if not match.group():
                break
            continue
        if not (is_byline(line) or is_furniture(line) or (headline_first and end == start and is_headline(line))):
            break
        end = start + match.end()
    return end


def is_byline(line: str) -> bool:
    """A short line naming the writer ("By Sam Ruiz, Staff Reporter") or only stating a date and time
    ("Tuesday, January 20, 2026 8:58 PM"), not a sentence."""
    if len(line) > BYLINE_MAX_CHARS or _SENTENCE_END.search(line):
        return False
    return bool(_BY.match(line)) or (len(line.split()) <= DATE_LINE_MAX_WORDS and bool(_DATE_ONLY.search(line)))


def is_headline(line: str) -> bool:
    """A headline is a short first line that does not read as a finished sentence."""
    return len(line) <= HEADLINE_MAX_CHARS and not _SENTENCE_END.search(line)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_passages(doc: Document) -> list[Passage]:
    """Sentences of the body, minus the headline line, repeated lines and site boilerplate."""
    spans: list[tuple[int, int]] = []
    seen: set[str] = set()
    meta = header(doc.text)
    titled = meta.fields.get("title") or meta.fields.get("headline")
    headline = titled or first_line(doc.text)
    headline_key = _line_key(headline) if is_headline(headline) else None
    for block_start, block_end in body_blocks(doc.text, lead_end(doc.text, meta.end, headline_first=not titled)):
        for start, end in sentence_spans(doc.text, block_start, block_end):
            key = _line_key(doc.text[start:end])
            if key in seen or key == headline_key:
                continue
            seen.add(key)
            spans.append((start, end))
    spans = without_trailing_furniture(doc.text, without_related_links(doc.text, spans))
    return [
        make_passage(doc.doc_id, start, end, doc.text[start:end])
        for start, end in spans
        if not is_boilerplate(doc.text[start:end]) and not is_furniture(doc.text[start:end])
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


def body_blocks(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Paragraph spans from `start` on (after the metadata lines): runs of non-blank lines.

    Lines inside a run are joined for the segmenter, because hard-wrapped text breaks sentences
    across lines; a line ending a sentence still ends it. Markdown's structure is kept apart: a
    heading line ("## Aftershocks") is no paragraph, and each list item ("- The quake hit ...") is
    one of its own, without its marker.
    """
    blocks: list[tuple[int, int]] = []
    for run in _BLOCK.finditer(text, start):
        blocks.extend(_items_of(text, run.start(), run.end()))
    return blocks


def _items_of(text: str, start: int, end: int) -> list[tuple[int, int]]:
    items: list[list[int]] = []
    joining = False  # whether the next plain line continues the last item or paragraph
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start, line_end = start + line.start(), start + line.end()
        if _HEADING.match(line.group()):
            joining = False
            continue
        marker = _LIST_ITEM.match(line.group())
        if marker or not joining:
            items.append([line_start + (marker.end() if marker else 0), line_end])
            joining = True
        else:
            items[-1][1] = line_end
    return [(item_start, item_end) for item_start, item_end in items]


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
