"""Restarts: an unchanged article is never segmented or tokenized twice.

The index folder keeps each document's sentence offsets by the hash of its text (passages.json) and
each passage's term counts by passage id (bm25.npz). These tests count calls to the segmenting and
tokenizing functions by wrapping them (the real ones still run: we only listen), restart on the same
folder, and check that what comes back is what a fresh start computes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import qa.index
import qa.passage_cache
import qa.store
from qa.corpus import load_corpus
from qa.segment import split_passages
from qa.engine import Engine
from qa.bm25 import InvertedBM25
from qa.index import BM25_CACHE, HybridIndex
from qa.manifest import MANIFEST
from qa.tokens import tokenize, tokenizer_fingerprint

from helpers import bm25_scores
from qa.passage_cache import CACHE_FILE, SCHEMA_VERSION, PassageCache

EDITED_DOC = "001_ba940ec7e439679a"
QUESTION = "How far did Ukrainian forces advance into Russia's Kursk region?"


@pytest.fixture
def segmented(monkeypatch) -> list[str]:
    """The ids of the documents segmented from now on. The cache calls `split_passages` by the name
    it imported, so that is the name wrapped (a private patch, only to count)."""
    calls: list[str] = []

    def counting_split(doc):
        calls.append(doc.doc_id)
        return split_passages(doc)

    monkeypatch.setattr(qa.passage_cache, "split_passages", counting_split)
    return calls


@pytest.fixture
def tokenized(monkeypatch) -> list[str]:
    """Every text `qa.index` tokenizes from now on (queries included); the real tokenizer runs."""
    texts: list[str] = []

    def counting_tokenize(text):
        texts.append(text)
        return tokenize(text)

    monkeypatch.setattr(qa.index, "tokenize", counting_tokenize)
    return texts


def start(corpus_dir: Path, index_dir: Path, **options):
    """What Engine.__init__ does with the corpus: load it through the index folder's passage cache."""
    cache = PassageCache(index_dir, **options)
    corpus = load_corpus(corpus_dir, segment=cache.passages_of, facts=cache.facts_of)
    cache.save()
    return corpus


def assert_exact_slices(corpus) -> None:
    for p in corpus.passages:
        assert corpus.document(p.doc_id).text[p.start : p.end] == p.text


def append_sentence(corpus_dir: Path, doc_id: str, sentence: str) -> None:
    path = corpus_dir / f"{doc_id}.txt"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")


# --- passages --------------------------------------------------------------------------------------------------


def test_an_unchanged_corpus_restarts_without_segmenting(corpus_dir, index_dir, segmented):
    first = start(corpus_dir, index_dir)
    assert len(segmented) == len(first.documents) == 4

    segmented.clear()
    again = start(corpus_dir, index_dir)
    assert segmented == []
    assert again.passages == first.passages


def test_offsets_hold_after_a_restart(corpus_dir, index_dir):
    start(corpus_dir, index_dir)
    again = start(corpus_dir, index_dir)
    assert_exact_slices(again)
    assert again.passages == load_corpus(corpus_dir).passages  # what segmenting today would give


def test_a_changed_file_is_re_read_and_only_it_is_segmented(corpus_dir, index_dir, segmented):
    start(corpus_dir, index_dir)
    append_sentence(corpus_dir, EDITED_DOC, "Talks resume in Riyadh next week.")

    segmented.clear()
    again = start(corpus_dir, index_dir)
    assert segmented == [EDITED_DOC]
    assert any(p.text == "Talks resume in Riyadh next week." for p in again.passages)
    assert_exact_slices(again)


def test_a_renamed_file_keeps_its_passages_under_its_new_id(corpus_dir, index_dir, segmented):
    start(corpus_dir, index_dir)
    (corpus_dir / f"{EDITED_DOC}.txt").rename(corpus_dir / "renamed.txt")

    segmented.clear()
    again = start(corpus_dir, index_dir)
    assert segmented == []
    renamed = [p for p in again.passages if p.doc_id == "renamed"]
    assert renamed and all(p.passage_id.startswith("renamed@") for p in renamed)
    assert_exact_slices(again)


def test_the_cache_holds_only_the_current_articles(corpus_dir, index_dir):
    first = start(corpus_dir, index_dir)
    removed = first.document(EDITED_DOC)
    (corpus_dir / f"{EDITED_DOC}.txt").unlink()
    start(corpus_dir, index_dir)

    spans = json.loads((index_dir / CACHE_FILE).read_text(encoding="utf-8"))["spans"]
    assert removed.sha256 not in spans and len(spans) == 3


def test_a_fresh_cache_segments_everything_again(corpus_dir, index_dir, segmented):
    start(corpus_dir, index_dir)
    segmented.clear()
    start(corpus_dir, index_dir, fresh=True)  # what `qa index --rebuild` asks for
    assert len(segmented) == 4


DAMAGE = {
    "garbage bytes": lambda text: "\x89PNG\x00\x01 not json",
    "truncated": lambda text: text[: len(text) // 2],
    "another schema": lambda text: text.replace(f'"schema_version":{SCHEMA_VERSION}', '"schema_version":99'),
    "other segmenting code": lambda text: text.replace('"segmenter":"', '"segmenter":"0ther'),
    "spans past the text": lambda text: json.dumps(
        {**json.loads(text), "spans": {sha: [0, 10**9] for sha in json.loads(text)["spans"]}}
    ),
    "spans not numbers": lambda text: json.dumps(
        {**json.loads(text), "spans": {sha: ["a", "b"] for sha in json.loads(text)["spans"]}}
    ),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_corrupt_or_foreign_cache_is_ignored_re_segmented_and_rewritten(corpus_dir, index_dir, segmented, damage):
    first = start(corpus_dir, index_dir)
    cache = index_dir / CACHE_FILE
    cache.write_text(DAMAGE[damage](cache.read_text(encoding="utf-8")), encoding="utf-8")

    segmented.clear()
    again = start(corpus_dir, index_dir)
    assert len(segmented) == 4
    assert again.passages == first.passages

    segmented.clear()
    start(corpus_dir, index_dir)  # the rewritten file serves the next start
    assert segmented == []


@pytest.fixture
def facts_worked_out(monkeypatch) -> list[str]:
    """The first line of every text whose facts (duplicate key, title, date) are worked out from now on."""
    calls: list[str] = []
    real = qa.passage_cache.text_facts

    def counting_text_facts(text):
        calls.append(text.splitlines()[0])
        return real(text)

    monkeypatch.setattr(qa.passage_cache, "text_facts", counting_text_facts)
    return calls


def test_an_unchanged_corpus_restarts_without_working_out_titles_dates_or_duplicate_keys(
    corpus_dir, index_dir, facts_worked_out
):
    first = start(corpus_dir, index_dir)
    assert len(facts_worked_out) == 4
    facts_worked_out.clear()
    again = start(corpus_dir, index_dir)
    assert facts_worked_out == []
    assert [(d.title, d.date) for d in again.documents] == [(d.title, d.date) for d in first.documents]


@pytest.mark.parametrize("damage", ["other title code", "garbled facts"])
def test_facts_from_other_code_are_worked_out_again_and_the_offsets_kept(
    corpus_dir, index_dir, segmented, facts_worked_out, damage
):
    first = start(corpus_dir, index_dir)
    cache = index_dir / CACHE_FILE
    payload = json.loads(cache.read_text(encoding="utf-8"))
    if damage == "other title code":
        payload["facts_code"] = "0ther"
    else:
        payload["facts"] = {sha: ["key", 7, "not a date"] for sha in payload["facts"]}
    cache.write_text(json.dumps(payload), encoding="utf-8")

    segmented.clear()
    facts_worked_out.clear()
    again = start(corpus_dir, index_dir)
    assert (len(segmented), len(facts_worked_out)) == (0, 4)
    assert [(d.title, d.date) for d in again.documents] == [(d.title, d.date) for d in first.documents]


def test_a_folder_that_refuses_the_cache_costs_only_speed(corpus_dir, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the index folder should be", encoding="utf-8")
    corpus = start(corpus_dir, blocked)
    assert len(corpus.documents) == 4
    assert "cannot write the passage cache" in caplog.text


# --- BM25 ------------------------------------------------------------------------------------------------------


def test_a_restart_tokenizes_no_passage(corpus_dir, index_dir, embedder, tokenized):
    HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync()
    assert (index_dir / BM25_CACHE).is_file()

    tokenized.clear()
    HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync()
    assert tokenized == []


def test_bm25_from_saved_counts_scores_exactly_as_one_built_from_the_text(corpus_dir, index_dir, embedder):
    HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync()
    restarted = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    fresh = InvertedBM25([tokenize(p.text) for p in restarted.passages])

    terms = tokenize(QUESTION)
    assert bm25_scores(restarted.bm25, terms) == bm25_scores(fresh, terms)
    assert restarted.bm25.ideal_score(terms) == fresh.ideal_score(terms)
    assert all(restarted.bm25.counts.terms(row) == fresh.counts.terms(row) for row in range(fresh.size))


def test_after_an_edit_only_the_new_passages_are_tokenized(corpus_dir, index_dir, embedder, tokenized):
    HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync()
    append_sentence(corpus_dir, EDITED_DOC, "Talks resume in Riyadh next week.")

    tokenized.clear()
    index = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    index.sync()
    assert tokenized == ["Talks resume in Riyadh next week."]
    fresh = InvertedBM25([tokenize(p.text) for p in index.passages])
    assert bm25_scores(index.bm25, tokenize(QUESTION)) == pytest.approx(bm25_scores(fresh, tokenize(QUESTION)))


@pytest.mark.parametrize("damage", ["garbled", "deleted", "counts out of bounds"])
def test_a_damaged_bm25_cache_is_rebuilt_from_the_text(corpus_dir, index_dir, embedder, damage, caplog):
    first = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    first.sync()
    cache = index_dir / BM25_CACHE
    if damage == "garbled":
        cache.write_bytes(cache.read_bytes()[:500])
    elif damage == "deleted":
        cache.unlink()
    else:
        counts = first.bm25.counts
        np.savez(cache, tokenizer=np.array(tokenizer_fingerprint()), keys=np.array(first.keys),
                 vocabulary=np.array(counts.vocabulary), indptr=counts.indptr,
                 term_ids=counts.term_ids + len(counts.vocabulary), counts=counts.counts)

    again = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    again.sync()
    assert bm25_scores(again.bm25, tokenize(QUESTION)) == bm25_scores(first.bm25, tokenize(QUESTION))
    assert HybridIndex(load_corpus(corpus_dir), index_dir, embedder)._bm25_cache_up_to_date  # rewritten


# --- the vector store ------------------------------------------------------------------------------------------


@pytest.fixture
def ids_read(monkeypatch) -> list[int]:
    """One entry per read of every id in the vector store (the real read still runs)."""
    calls: list[int] = []
    real_keys = qa.store.VectorStore.keys

    def counting_keys(self):
        calls.append(1)
        return real_keys(self)

    monkeypatch.setattr(qa.store.VectorStore, "keys", counting_keys)
    return calls


def test_an_unchanged_index_restarts_without_reading_ids_or_rewriting_its_manifest(
    corpus_dir, index_dir, embedder, ids_read
):
    HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync()
    written = (index_dir / MANIFEST).stat().st_mtime_ns
    ids_read.clear()

    index = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    report = index.sync()
    assert (ids_read, report.embedded, report.deleted) == ([], 0, 0)
    assert (index_dir / MANIFEST).stat().st_mtime_ns == written
    assert index.dense_search(embedder.encode_query(QUESTION), 3)  # and it searches as before


def test_a_store_that_lost_vectors_behind_the_index_is_read_and_refilled(corpus_dir, index_dir, embedder, ids_read):
    first = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    first.sync()
    first.collection.delete(ids=first.keys[:3])
    ids_read.clear()

    report = HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync()
    assert (len(ids_read), report.embedded) == (1, 3)


def test_an_edited_article_is_synced_and_the_next_start_trusts_the_store_again(
    corpus_dir, index_dir, embedder, ids_read
):
    HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync()
    append_sentence(corpus_dir, EDITED_DOC, "Talks resume in Riyadh next week.")
    ids_read.clear()
    assert HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync().embedded == 1
    assert len(ids_read) == 1  # the keys changed: the store's ids are read to find what to embed

    ids_read.clear()
    assert HybridIndex(load_corpus(corpus_dir), index_dir, embedder).sync().embedded == 0
    assert ids_read == []


# --- the engine ------------------------------------------------------------------------------------------------


def test_a_restarted_engine_segments_nothing_and_cites_exact_slices(corpus_dir, index_dir, segmented):
    Engine(corpus_dir=corpus_dir, index_dir=index_dir)
    assert (index_dir / CACHE_FILE).is_file()

    segmented.clear()
    engine = Engine(corpus_dir=corpus_dir, index_dir=index_dir)
    assert segmented == []
    assert engine.sync_report.embedded == 0
    answer = engine.answer(QUESTION)
    assert answer.answered
    for citation in answer.citations:
        text = (corpus_dir / f"{citation.doc_id}.txt").read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.text
    top = answer.citations[0]
    text = (corpus_dir / f"{top.doc_id}.txt").read_text(encoding="utf-8")
    assert text[top.answer_start : top.answer_end] == answer.answer


# --- the reader --------------------------------------------------------------------------------------------------


def test_an_int8_reader_rejected_by_its_probe_is_not_quantized_again_at_the_next_start(float_graph_only, monkeypatch):
    import qa.embedding
    import qa.reader

    attempts: list[Path] = []

    def disagreeing(source, target, encoder_dir):  # fault injection: the probe check fails
        attempts.append(target)
        raise qa.reader.Int8Disagrees("the int8 reader points at other spans than the float reader on the probe")

    monkeypatch.setattr(qa.reader, "_quantize", disagreeing)
    encoder = qa.embedding.bundled_minilm_dir()
    assert qa.reader.Reader(encoder, backend="onnx").precision == "float32"
    assert qa.reader.Reader(encoder, backend="onnx").precision == "float32"
    assert len(attempts) == 1

    (float_graph_only / "reader.int8.rejected").write_text("0.0.1", encoding="utf-8")  # another onnxruntime
    qa.reader.Reader(encoder, backend="onnx")
    assert len(attempts) == 2
