"""engine: wires corpus -> index -> retrieve -> select -> agree into one `Answer`.

An `Engine` loads (or builds) the index once and then answers many questions; it is safe to share
between threads (the embedder serialises its forward pass, everything else is read-only).

Its stages are objects with one public method each: the retriever (`retrieve(question) -> list[Hit]`),
the reader (`read(question, sentences) -> list[SpanGuess]`), the selector (`select(question, hits)
-> Selection`) and the agreement (`mark(question, selection, hits) -> Agreed | None`). `Engine(...)` builds the default of each; any of them can be
handed in instead, as an object or, for one that needs the engine's index or corpus, as a function
of the engine (docs/architecture.md, "How to change a stage").
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from qa.agree import Agreed, Agreement
from qa.corpus import Corpus, load_corpus
from qa.embedding import shared_embedder
from qa.model_files import cache_dir
from qa.index import HybridIndex, SyncReport
from qa.manifest import check_same_corpus, check_writable
from qa.models import Answer, Citation, SourceAgreement
from qa.passage_cache import PassageCache
from qa.retrieve import HITS, Hit, Retriever
from qa.reader import Reader, shared_reader
from qa.select import Selection, Selector, Span

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CORPUS = PROJECT_ROOT / "seeds"
SHIPPED_INDEX = PROJECT_ROOT / "index"
MAX_QUESTION_CHARS = 1000
RETRIEVE_K = 10
RELATED_CITATIONS = 3
AGREEMENT_DEPTH = HITS  # sentences retrieved for the per-source readings (the selector reads the top ones)

# Format characters (Cf: zero-width spaces and joiners, soft hyphens, bidi overrides) are invisible
# and sit inside words, so they are dropped ("Kur\u200bsk" is "Kursk"), as are lone surrogates (Cs:
# bytes a shell could not decode). Control characters (Cc) separate words: they become spaces.
_DROPPED = {"Cf", "Cs"}
_SPACED = {"Cc"}


Stage = Any | Callable[["Engine"], Any]  # a stage object, or a function of the engine that builds one


class InvalidQuestion(ValueError):
    """A question the engine refuses to process; the message says why, fit to show whoever asked."""


def default_corpus_dir() -> Path:
    return Path(os.environ.get("QA_CORPUS_DIR") or SHIPPED_CORPUS)


def default_index_dir(corpus_dir: str | Path | None = None) -> Path:
    """Where a corpus's index lives when no index folder is named: $QA_INDEX_DIR if set, the project's
    index/ for the shipped seeds/, else a folder of that corpus's own in the cache. Pointing the tool
    at another folder must never re-embed the shipped index (nor one corpus's index another's)."""
    if os.environ.get("QA_INDEX_DIR"):
        return Path(os.environ["QA_INDEX_DIR"])
    corpus = Path(corpus_dir) if corpus_dir else default_corpus_dir()
    if corpus.resolve() == SHIPPED_CORPUS.resolve():
        return SHIPPED_INDEX
    return cached_index_dir(corpus)


def cached_index_dir(corpus_dir: str | Path) -> Path:
    """<cache>/indexes/<folder name>-<hash of its resolved path>: one per corpus folder, readable
    in a listing, and two folders of the same name (~/a/news, ~/b/news) never share one."""
    resolved = Path(corpus_dir).resolve()
    key = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:12]
    name = re.sub(r"[^\w.-]+", "_", resolved.name) or "corpus"
    return cache_dir() / "indexes" / f"{name}-{key}"


def clean_question(question: object) -> str:
    """The question as the engine will use it, or InvalidQuestion (a ValueError) saying why it cannot
    be asked. The length limit is checked first, on the raw text, so an overlong question costs
    nothing: it is refused, never truncated or processed."""
    if not isinstance(question, str):
        raise InvalidQuestion(f"question must be a string, not {type(question).__name__}")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQuestion(
            f"question is too long ({len(question):,} characters; limit {MAX_QUESTION_CHARS:,})"
        )
    visible = "".join(_visible(ch) for ch in question)
    cleaned = unicodedata.normalize("NFC", " ".join(visible.split()))
    if not cleaned:
        raise InvalidQuestion("question is empty")
    if not any(ch.isalnum() for ch in cleaned):
        raise InvalidQuestion("question has no words in it")
    return cleaned


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in _DROPPED:
        return ""
    return " " if category in _SPACED else ch


class Engine:
    def __init__(
        self,
        corpus_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        *,
        model: str | None = None,
        chroma_host: str | None = None,
        chroma_port: int | None = None,
        rebuild: bool = False,
        progress: bool = False,
        retriever: Stage | None = None,
        reader: Reader | None = None,
        selector: Stage | None = None,
        agreement: Stage | None = None,
    ):
        self.corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus_dir()
        self.index_dir = Path(index_dir) if index_dir else default_index_dir(self.corpus_dir)
        passage_cache = PassageCache(self.index_dir, fresh=rebuild)  # unchanged articles are not re-segmented
        self.corpus: Corpus = load_corpus(self.corpus_dir, segment=passage_cache.passages_of,
                                          facts=passage_cache.facts_of)
        if not self.corpus.documents:  # every question would abstain: say why now instead
            skipped = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in self.corpus.skipped[:5])
            raise FileNotFoundError(
                f"no usable articles (.txt or .md) in {self.corpus_dir}" + (f" (skipped {skipped})" if skipped else "")
            )
        # Cheap checks first, so a read-only folder or another corpus's index is reported before the
        # model loads (the sync checks the corpus again, under the index's lock).
        check_writable(self.index_dir)
        if not rebuild:
            check_same_corpus(self.index_dir, self.corpus.folder)
        passage_cache.save()
        self.embedder = shared_embedder(model)
        self.index = HybridIndex(
            self.corpus,
            self.index_dir,
            self.embedder,
            chroma_host=chroma_host or os.environ.get("QA_CHROMA_HOST") or None,
            chroma_port=chroma_port or int(os.environ.get("QA_CHROMA_PORT") or 8000),
        )
        self.sync_report: SyncReport = self.index.sync(rebuild=rebuild, progress=progress)
        self.documents = {d.doc_id: d for d in self.corpus.documents}
        self._given_reader = reader
        self._given = {"retriever": retriever, "selector": selector, "agreement": agreement}

    @cached_property
    def retriever(self) -> Retriever:
        """The retrieval stage: as given, else RRF fusion of BM25 and the dense ranking."""
        return self._stage("retriever") or Retriever(self.index, self.embedder, k=AGREEMENT_DEPTH)

    @property
    def reader(self) -> Reader:
        """The extractive reader: as given, else the shared one, loaded on the first question
        (indexing alone never needs it)."""
        return self._given_reader or shared_reader()

    @cached_property
    def selector(self) -> Selector:
        """The select stage: as given, else this engine's reader with the calibrated card."""
        return self._stage("selector") or Selector(self.reader)

    @cached_property
    def agreement(self) -> Agreement:
        """The agreement stage: as given, else one reading each source with this engine's reader."""
        return self._stage("agreement") or Agreement(self.corpus, self.reader)

    def _stage(self, name: str):
        """A stage handed to the engine: the object itself, or what a function of the engine builds."""
        given = self._given[name]
        if callable(given) and not any(hasattr(given, method) for method in ("retrieve", "select", "mark")):
            return given(self)
        return given

    def answer(self, question: str) -> Answer:
        """Answer one question: retrieve, select a span, mark every source, cite."""
        question = clean_question(question)
        hits = self.retriever.retrieve(question)
        selection = self.selector.select(question, hits[:RETRIEVE_K])
        agreed = self.agreement.mark(question, selection, hits)
        if selection.status != "answer":
            return self._without_short_answer(question, selection, hits[:RETRIEVE_K], agreed)
        span = agreed.consensus if agreed and agreed.consensus else selection.best
        top = self._citation(span)
        sources = agreed.sources if agreed else self._all_silent()
        others = [s.citation for s in sources if s.citation and s.doc_id != top.doc_id and s.marker == "agrees"]
        return Answer(
            question=question,
            status="answer",
            answer=span.text,
            confidence=agreed.confidence if agreed and agreed.consensus else selection.confidence,
            relevance=selection.relevance,
            citations=[top, *others],
            sources=sources,
            values=agreed.values if agreed else [],
        )

    def _citation(self, span: Span, marked: bool = True) -> Citation:
        """The sentence a span sits in, with the span's offsets (the answer, or a guess) when `marked`."""
        passage = span.hit.passage
        return Citation(
            doc_id=passage.doc_id,
            title=self.documents[passage.doc_id].title,
            start=passage.start,
            end=passage.end,
            text=passage.text,
            answer_start=span.start if marked else None,
            answer_end=span.end if marked else None,
            score=round(span.margin, 4),
        )

    def _related(self, hit: Hit) -> Citation:
        p = hit.passage
        return Citation(doc_id=p.doc_id, title=self.documents[p.doc_id].title, start=p.start, end=p.end,
                        text=p.text, score=round(hit.fused, 4))

    def _all_silent(self) -> list[SourceAgreement]:
        return list(self.corpus.silent_marks.values())

    def _without_short_answer(self, question: str, selection: Selection, hits: list[Hit],
                              agreed: Agreed | None) -> Answer:
        """"passage": the reader's best sentence first, its span marked as a guess when the selector
        offers one, then the related passages; "none": the related passages only, none of them marked."""
        related = [self._related(h) for h in selection.ranked_hits(hits)[:RELATED_CITATIONS]]
        if selection.status == "passage" and selection.best is not None:
            related[0] = self._citation(selection.best, marked=selection.guess is not None)
        return Answer(
            question=question,
            status=selection.status,
            answer=None,
            confidence=selection.confidence,
            relevance=selection.relevance,
            citations=related,
            sources=agreed.sources if agreed else self._all_silent(),
            values=agreed.values if agreed else [],
        )


_default_engine: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The engine over the shipped corpus (or QA_CORPUS_DIR / QA_INDEX_DIR), created on first use."""
    global _default_engine
    with _default_lock:
        if _default_engine is None:
            _default_engine = Engine()
        return _default_engine


def set_default_engine(engine: Engine | None) -> Engine | None:
    """Make `engine` the one `qa.answer()` asks (None: the next call creates one again); returns the
    one it replaces. For a program that configures its own engine once and then uses `qa.answer`."""
    global _default_engine
    with _default_lock:
        previous, _default_engine = _default_engine, engine
    return previous


def answer(question: str) -> Answer:
    clean_question(question)  # a bad question is refused before the default engine is even loaded
    return default_engine().answer(question)
