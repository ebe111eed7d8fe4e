"""engine: wires corpus -> index -> retrieve -> select -> agree into one `Answer`.

An `Engine` loads (or builds) the index once and then answers many questions; it is safe to share
between threads (the embedder serialises its forward pass, everything else is read-only).
"""

from __future__ import annotations

import os
import threading
import unicodedata
from pathlib import Path

from qa.agree import mark_sources
from qa.corpus import Corpus, load_corpus
from qa.embedding import shared_embedder
from qa.index import HybridIndex, SyncReport, check_writable
from qa.models import Answer, Citation, SourceAgreement
from qa.passage_cache import PassageCache
from qa.retrieve import Fusion, Hit, retrieve
from qa.reader import Reader, shared_reader
from qa.select import Selection, select_answer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_QUESTION_CHARS = 1000
RETRIEVE_K = 10
RELATED_CITATIONS = 3

# Format characters (Cf: zero-width spaces and joiners, soft hyphens, bidi overrides) are invisible
# and sit inside words, so they are dropped ("Kur\u200bsk" is "Kursk"), as are lone surrogates (Cs:
# bytes a shell could not decode). Control characters (Cc) separate words: they become spaces.
_DROPPED = {"Cf", "Cs"}
_SPACED = {"Cc"}


class InvalidQuestion(ValueError):
    """A question the engine refuses to process; the message says why, fit to show whoever asked."""


def default_corpus_dir() -> Path:
    return Path(os.environ.get("QA_CORPUS_DIR") or PROJECT_ROOT / "seeds")


def default_index_dir() -> Path:
    return Path(os.environ.get("QA_INDEX_DIR") or PROJECT_ROOT / "index")


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
    ):
        self.corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus_dir()
        self.index_dir = Path(index_dir) if index_dir else default_index_dir()
        passage_cache = PassageCache(self.index_dir, fresh=rebuild)  # unchanged articles are not re-segmented
        self.corpus: Corpus = load_corpus(self.corpus_dir, segment=passage_cache.passages_of)
        if not self.corpus.documents:  # every question would abstain: say why now instead
            skipped = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in self.corpus.skipped[:5])
            raise FileNotFoundError(
                f"no usable articles (.txt or .md) in {self.corpus_dir}" + (f" (skipped {skipped})" if skipped else "")
            )
        check_writable(self.index_dir)  # a read-only index folder is reported before the model loads
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

    @property
    def reader(self) -> Reader:
        """The extractive reader, loaded on the first question (indexing alone never needs it)."""
        return shared_reader()

    def answer(
        self, question: str, *, k: int = RETRIEVE_K, fusion: Fusion = "rrf", agreement: bool = True
    ) -> Answer:
        """Answer one question. `agreement=False` skips the per-source markers (every source silent):
        for callers that need only the span, and for benchmarks that price the agreement step."""
        question = clean_question(question)
        query_vector = self.embedder.encode_query(question)
        hits = retrieve(self.index, question, query_vector, k=k, fusion=fusion)
        selection = select_answer(question, hits, self.reader)
        if not selection.answered:
            return self._no_answer(question, selection, hits)
        top = self._citation(selection)
        sources = (
            mark_sources(self.index, question, query_vector, top, selection) if agreement
            else self._all_silent()
        )
        others = [s.citation for s in sources if s.citation and s.doc_id != top.doc_id and s.marker == "agrees"]
        return Answer(
            question=question,
            answered=True,
            answer=selection.best.text,
            confidence=selection.confidence,
            citations=[top, *others],
            sources=sources,
        )

    def _citation(self, selection: Selection) -> Citation:
        span = selection.best
        passage = span.hit.passage
        return Citation(
            doc_id=passage.doc_id,
            title=self.documents[passage.doc_id].title,
            start=passage.start,
            end=passage.end,
            text=passage.text,
            answer_start=span.start,
            answer_end=span.end,
            score=round(span.margin, 4),
        )

    def _all_silent(self) -> list[SourceAgreement]:
        return list(self.corpus.silent_marks.values())

    def _no_answer(self, question: str, selection: Selection, hits: list[Hit]) -> Answer:
        related = [
            Citation(
                doc_id=h.passage.doc_id,
                title=self.documents[h.passage.doc_id].title,
                start=h.passage.start,
                end=h.passage.end,
                text=h.passage.text,
                score=round(h.fused, 4),
            )
            for h in selection.ranked_hits(hits)[:RELATED_CITATIONS]
        ]
        return Answer(
            question=question,
            answered=False,
            answer=None,
            confidence=selection.confidence,
            citations=related,
            sources=self._all_silent(),
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


def answer(question: str, **options) -> Answer:
    clean_question(question)  # a bad question is refused before the default engine is even loaded
    return default_engine().answer(question, **options)
