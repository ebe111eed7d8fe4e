"""Typed records that cross module boundaries: the corpus side and the `Answer` contract.

Every offset is a character offset into `Document.text`, which is the file's text exactly as
`Path(file).read_text(encoding=doc.encoding)` returns it (UTF-8 unless the file is not), never a
cleaned copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

Marker = Literal["agrees", "conflicts", "silent"]
Status = Literal["answer", "passage", "none"]


class Document(BaseModel):
    model_config = ConfigDict(frozen=True)

    doc_id: str
    path: str
    title: str
    date: dt.date | None = None
    text: str
    sha256: str
    encoding: str = "utf-8"  # what the file was read as: UTF-8, or the encoding detected (e.g. cp1252)


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of a document, with its exact place in the document text.

    A plain frozen dataclass, not a pydantic model like the records around it: a start makes one per
    sentence of the corpus from offsets it has already checked, and validating 100,000 of them was
    0.8 s of a restart. It never leaves the engine (an `Answer` carries `Citation`s)."""

    passage_id: str
    doc_id: str
    start: int
    end: int
    text: str


class Citation(BaseModel):
    doc_id: str
    title: str
    start: int
    end: int
    text: str
    answer_start: int | None = None
    answer_end: int | None = None
    score: float = 0.0


class SourceAgreement(BaseModel):
    model_config = ConfigDict(frozen=True)  # silent marks are shared between answers

    doc_id: str
    title: str
    marker: Marker
    citation: Citation | None = None
    value: str | None = None


class StatedValue(BaseModel):
    """One value the sources state for the question, and which sources state it (after normalisation:
    "2.5 km" and "1.5 miles" are one value)."""

    value: str  # as the source read first states it
    doc_ids: list[str]
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)  # the reader's, summed over sources and squashed


class Answer(BaseModel):
    """One of three outcomes, never confused (`status`):
    - "answer": a short span the engine stands behind (`answer`, and `citations[0]` holds it);
    - "passage": the articles speak to the question but no span is sure enough; `citations[0]` is the
      passage most likely to hold the answer, its answer offsets the reader's tentative span (if any);
    - "none": nothing in the articles is about what was asked; citations are related passages only.
    """

    question: str
    status: Status
    answer: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)  # confidence in the short answer
    relevance: float = Field(default=0.0, ge=0.0, le=1.0)  # confidence that the articles speak to the question
    citations: list[Citation] = Field(default_factory=list)
    sources: list[SourceAgreement] = Field(default_factory=list)
    values: list[StatedValue] = Field(default_factory=list)  # most sources first; two or more: sources disagree

    @computed_field
    @property
    def answered(self) -> bool:
        """True for a short answer: kept (and serialised) for callers written before `status`."""
        return self.status == "answer"
