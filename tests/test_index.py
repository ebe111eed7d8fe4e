"""index + retrieve: the persisted hybrid index (Chroma vectors, BM25, manifest) and fused retrieval.

Every test builds its own small index in tmp_path with the real MiniLM model and the real Chroma store.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi as RankBM25Okapi

import qa.embedding
import qa.index
from qa.corpus import load_corpus
from qa.embedding import Embedder, ModelUnavailable
from qa.model_files import onnx_folder_of
from qa.bm25 import InvertedBM25
from qa.index import VECTOR_CACHE, HybridIndex, SyncReport
from qa.manifest import MANIFEST, SCHEMA_VERSION, CorpusMismatch, IndexUnavailable
from qa.store import COLLECTION, open_chroma
from qa.tokens import tokenize

from helpers import BANK_STORY, FERRY_STORY, bm25_scores
from qa.retrieve import Retriever, fuse_rrf, lexical_weight, retrieve, rrf_score

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EDITED_DOC = "001_ba940ec7e439679a"
DELETED_DOC = "003_512a320aae66a7a6"


def build(corpus_dir: Path, index_dir: Path, embedder, **sync_options) -> tuple[HybridIndex, SyncReport]:
    """Load the corpus and bring the index up to date, as a fresh start of the app would."""
    index = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    return index, index.sync(**sync_options)


def stored_ids(index: HybridIndex) -> set[str]:
    return set(index.collection.get(include=[])["ids"])


def read_manifest(index_dir: Path) -> dict:
    return json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_index(seeds_dir, embedder, tmp_path_factory) -> HybridIndex:
    """One index over the seeds, shared by the read-only tests of this module."""
    index, _ = build(seeds_dir, tmp_path_factory.mktemp("seed-index"), embedder)
    return index


# --- building and the manifest ------------------------------------------------------------------------


def test_building_the_seeds_stores_one_vector_per_passage(corpus_dir, index_dir, embedder):
    index, report = build(corpus_dir, index_dir, embedder)
    assert report.embedded == len(index.passages) > 0
    assert index.collection.count() == len(index.passages)
    assert stored_ids(index) == set(index.keys)


def test_the_manifest_records_schema_model_and_each_documents_hash_and_passage_count(seed_index, embedder):
    manifest = read_manifest(seed_index.index_dir)
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["model_id"] == embedder.model_id
    assert manifest["passage_count"] == len(seed_index.passages)
    assert set(manifest["documents"]) == {d.doc_id for d in seed_index.corpus.documents}
    for doc in seed_index.corpus.documents:
        entry = manifest["documents"][doc.doc_id]
        assert entry["sha256"] == doc.sha256
        assert entry["passages"] == sum(p.doc_id == doc.doc_id for p in seed_index.passages)


# --- incremental updates ---------------------------------------------------------------------------------


def test_a_second_sync_with_nothing_changed_embeds_nothing(corpus_dir, index_dir, embedder, encoded_texts):
    first, _ = build(corpus_dir, index_dir, embedder)
    encoded_texts.clear()  # forget the first build

    again, report = build(corpus_dir, index_dir, embedder)
    assert report == SyncReport(embedded=0, deleted=0, reused=len(first.passages), rebuilt=False)
    assert encoded_texts == []
    assert again.collection.count() == len(again.passages)


EDITS = {
    # A correction that keeps the sentence's length.
    "same-length-correction": ("advancing 2.5 km (1.5 miles)", "advancing 3.5 km (2.2 miles)"),
    # A correction that makes an early sentence longer, shifting every later sentence of the document.
    "longer-correction": ("Reuters on Feb. 7,", "Reuters on Friday, Feb. 7,"),
    # A new last sentence.
    "appended-sentence": ("after a brief pause.", "after a brief pause.\nTalks resume next week."),
}


@pytest.mark.parametrize("old, new", EDITS.values(), ids=EDITS.keys())
def test_editing_one_document_re_embeds_only_its_changed_sentences(
    corpus_dir, index_dir, embedder, encoded_texts, old, new
):
    before, _ = build(corpus_dir, index_dir, embedder)
    old_sentences = {p.text for p in before.passages if p.doc_id == EDITED_DOC}
    path = corpus_dir / f"{EDITED_DOC}.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    encoded_texts.clear()

    after, report = build(corpus_dir, index_dir, embedder)
    changed = [p.text for p in after.passages if p.doc_id == EDITED_DOC and p.text not in old_sentences]
    assert len(changed) == 1

    untouched_before = [k for k in before.keys if not k.startswith(EDITED_DOC)]
    assert [k for k in after.keys if not k.startswith(EDITED_DOC)] == untouched_before
    assert set(untouched_before) <= stored_ids(after)
    edited_sentences = {p.text for p in after.passages if p.doc_id == EDITED_DOC}
    assert set(encoded_texts) <= edited_sentences
    # Only the new or changed sentence is embedded; unchanged sentences keep their vectors.
    assert encoded_texts == changed
    assert report.embedded == len(changed)
    assert stored_ids(after) == set(after.keys)


def test_deleting_a_document_removes_its_passages_from_chroma_and_the_manifest(
    corpus_dir, index_dir, embedder
):
    before, _ = build(corpus_dir, index_dir, embedder)
    its_passages = [p for p in before.passages if p.doc_id == DELETED_DOC]
    assert before.collection.get(where={"doc_id": DELETED_DOC}, include=[])["ids"]

    (corpus_dir / f"{DELETED_DOC}.txt").unlink()
    after, report = build(corpus_dir, index_dir, embedder)
    assert report.deleted == len(its_passages)
    assert after.collection.get(where={"doc_id": DELETED_DOC}, include=[])["ids"] == []
    assert after.collection.count() == len(after.passages)
    assert DELETED_DOC not in read_manifest(index_dir)["documents"]


# --- rebuilding --------------------------------------------------------------------------------------------


def test_rebuilding_from_scratch_gives_the_same_passage_ids_as_incremental_updates(
    corpus_dir, index_dir, tmp_path, embedder
):
    build(corpus_dir, index_dir, embedder)
    path = corpus_dir / f"{EDITED_DOC}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nTalks resume next week.", encoding="utf-8")
    (corpus_dir / f"{DELETED_DOC}.txt").unlink()
    incremental, _ = build(corpus_dir, index_dir, embedder)

    scratch, report = build(corpus_dir, tmp_path / "scratch-index", embedder, rebuild=True)
    assert report.rebuilt
    assert stored_ids(scratch) == stored_ids(incremental) == set(incremental.keys)


def test_sync_with_rebuild_re_embeds_every_passage_of_an_existing_index(corpus_dir, index_dir, embedder):
    build(corpus_dir, index_dir, embedder)
    index, report = build(corpus_dir, index_dir, embedder, rebuild=True)
    assert report.rebuilt
    assert report.embedded == len(index.passages)
    assert index.collection.count() == len(index.passages)


@pytest.mark.parametrize("field, foreign_value", [("model_id", "another/model@v2"), ("schema_version", 0)])
def test_a_manifest_from_another_model_or_schema_triggers_a_rebuild(
    corpus_dir, index_dir, embedder, field, foreign_value
):
    build(corpus_dir, index_dir, embedder)
    manifest = read_manifest(index_dir)
    manifest[field] = foreign_value
    (index_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    index, report = build(corpus_dir, index_dir, embedder)
    assert report.rebuilt
    # Vectors made by another model (or stored under another schema) must not be reused.
    assert report.embedded == len(index.passages)
    assert index.collection.count() == len(index.passages)
    rewritten = read_manifest(index_dir)
    assert (rewritten["model_id"], rewritten["schema_version"]) == (embedder.model_id, SCHEMA_VERSION)


# --- one index per corpus -------------------------------------------------------------------------------


@pytest.fixture
def other_corpus(corpus_dir, tmp_path) -> Path:
    """A second folder of articles (the seeds, minus one): another corpus, by its place on disk."""
    folder = tmp_path / "other-articles"
    shutil.copytree(corpus_dir, folder)
    (folder / f"{DELETED_DOC}.txt").unlink()
    return folder


def test_the_manifest_records_the_resolved_corpus_folder(seed_index, seeds_dir):
    assert read_manifest(seed_index.index_dir)["corpus"] == str(seeds_dir.resolve())


def test_an_index_built_for_another_corpus_is_refused_not_re_embedded(corpus_dir, other_corpus, index_dir, embedder):
    first, _ = build(corpus_dir, index_dir, embedder)
    with pytest.raises(CorpusMismatch, match="--rebuild") as refused:
        build(other_corpus, index_dir, embedder)
    assert str(corpus_dir.resolve()) in str(refused.value) and "--index" in str(refused.value)
    assert isinstance(refused.value, IndexUnavailable)  # the CLI's exit 3, app.py's one-line message
    # The first corpus's index is as it was: nothing deleted, nothing re-pointed.
    assert read_manifest(index_dir)["corpus"] == str(corpus_dir.resolve())
    assert stored_ids(first) == set(first.keys)


def test_an_explicit_rebuild_takes_the_folder_over_for_another_corpus(corpus_dir, other_corpus, index_dir, embedder):
    build(corpus_dir, index_dir, embedder)
    index, report = build(other_corpus, index_dir, embedder, rebuild=True)
    assert report.rebuilt and report.embedded == len(index.passages)
    assert stored_ids(index) == set(index.keys)  # none of the first corpus's passages survive
    assert read_manifest(index_dir)["corpus"] == str(other_corpus.resolve())


def test_an_index_from_before_the_corpus_was_recorded_is_taken_as_this_corpuss(corpus_dir, index_dir, embedder):
    build(corpus_dir, index_dir, embedder)
    manifest = read_manifest(index_dir)
    del manifest["corpus"]  # as written by earlier versions
    (index_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    _, report = build(corpus_dir, index_dir, embedder)
    assert (report.embedded, report.rebuilt) == (0, False)
    assert read_manifest(index_dir)["corpus"] == str(corpus_dir.resolve())


def test_the_same_folder_by_another_spelling_is_the_same_corpus(corpus_dir, index_dir, embedder):
    build(corpus_dir, index_dir, embedder)
    _, report = build(corpus_dir / ".." / corpus_dir.name, index_dir, embedder)
    assert (report.embedded, report.rebuilt) == (0, False)


def shipped_manifest() -> bytes | None:
    path = PROJECT_ROOT / "index" / MANIFEST
    return path.read_bytes() if path.exists() else None


@pytest.fixture
def private_cache(tmp_path, monkeypatch, embedder) -> Path:
    """A cache folder of the test's own, for indexes only: the model (the `embedder`, loaded first)
    stays where it was extracted, so nothing is exported again."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("QA_INDEX_DIR", raising=False)
    monkeypatch.delenv("QA_CORPUS_DIR", raising=False)
    return tmp_path / "cache"


def test_another_folder_with_no_index_named_is_indexed_in_a_folder_of_its_own(corpus_dir, private_cache):
    from qa.engine import Engine

    before = shipped_manifest()
    engine = Engine(corpus_dir=corpus_dir)
    assert engine.index_dir.parent == private_cache / "indexes"
    assert engine.index_dir.name.startswith("corpus-")  # the folder's name, then a hash of its path
    assert read_manifest(engine.index_dir)["corpus"] == str(corpus_dir.resolve())
    assert shipped_manifest() == before  # the shipped index/ is not touched


def test_the_default_index_folder_is_the_shipped_one_only_for_the_shipped_seeds(
    seeds_dir, corpus_dir, tmp_path, private_cache, monkeypatch
):
    from qa.engine import default_index_dir

    assert default_index_dir() == default_index_dir(seeds_dir) == PROJECT_ROOT / "index"
    assert default_index_dir(corpus_dir).is_relative_to(private_cache)
    # Two folders of one name are two corpora; one folder spelled two ways is one.
    twin = tmp_path / "elsewhere" / corpus_dir.name
    assert default_index_dir(twin) != default_index_dir(corpus_dir)
    assert default_index_dir(corpus_dir / ".." / corpus_dir.name) == default_index_dir(corpus_dir)
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus_dir))  # the default engine follows QA_CORPUS_DIR
    assert default_index_dir() == default_index_dir(corpus_dir)
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "chosen"))  # a folder named by the user wins
    assert default_index_dir(corpus_dir) == default_index_dir(seeds_dir) == tmp_path / "chosen"


@pytest.mark.slow
def test_two_processes_indexing_at_once_both_succeed_and_leave_a_consistent_index(corpus_dir, index_dir):
    command = [sys.executable, "-m", "qa.cli", "index", "--corpus", str(corpus_dir), "--index", str(index_dir)]
    runs = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs

    passages = load_corpus(corpus_dir).passages
    collection = open_chroma(index_dir).get_collection(COLLECTION)
    assert collection.count() == len(passages)
    assert read_manifest(index_dir)["passage_count"] == len(passages)


# --- the BM25 tokenizer ------------------------------------------------------------------------------------


def test_the_tokenizer_keeps_decimals_and_ranges_and_their_parts():
    assert "2.5" in tokenize("advancing 2.5 km (1.5 miles)")
    assert {"18-24", "18", "24"} <= set(tokenize("men aged 18-24"))


def test_the_tokenizer_reads_the_abbreviation_u_s_as_us():
    assert "us" in tokenize("continued U.S. support")


def test_the_tokenizer_stems_inflections_to_one_term():
    assert tokenize("interviewed") == tokenize("interview") == tokenize("interviews")


def test_queries_and_passages_are_tokenized_the_same_way(seed_index):
    for row, passage in enumerate(seed_index.passages):
        assert set(seed_index.bm25.counts.terms(row)) == set(tokenize(passage.text))
    # "interviewed" in the question finds the passages that say "interview".
    found = {seed_index.passages[row].text for row in bm25_scores(seed_index.bm25, tokenize("Who interviewed Zelensky?"))}
    assert any("In an interview with Reuters" in text for text in found)


QUERIES = [
    "How far did Ukrainian troops advance into Kursk?",
    "rare earth deposits under Russian occupation",
    "recruitment of men aged 18-24",
    "Munich Security Conference Feb. 14-16",
    "Zelensky Zelensky Trump",  # a repeated term counts twice, as in rank_bm25
    "value of mineral resources $14.8 trillion",
    "xylophone quartet",  # no term in the corpus
]


class BM25Okapi(RankBM25Okapi):
    """rank-bm25's BM25Okapi with a zero idf floored too, as qa.bm25 floors it (rank-bm25 floors
    negative idfs only, so a term in exactly half the passages scores 0)."""

    def _calc_idf(self, nd):
        super()._calc_idf(nd)
        floor = self.epsilon * self.average_idf
        self.idf = {word: floor if idf == 0 and floor > 0 else idf for word, idf in self.idf.items()}


def test_a_term_in_half_the_passages_weighs_as_much_as_one_in_more_of_them():
    bm25 = InvertedBM25([["bridg", "x"], ["bridg", "x"], ["x", "vote"], ["mayor"]])
    bridge, common, rare = (bm25._idf_of(term, 0.0) for term in ("bridg", "x", "vote"))
    assert bridge == pytest.approx(common) and bridge > 0  # rank-bm25: 0 for "bridg", the floor for "x"
    assert rare > bridge


@pytest.mark.parametrize("query", QUERIES)
def test_inverted_bm25_scores_match_rank_bm25(seeds_dir, query):
    tokenized = [tokenize(p.text) for p in load_corpus(seeds_dir).passages]
    terms = tokenize(query)
    expected = BM25Okapi(tokenized).get_scores(terms)

    got = bm25_scores(InvertedBM25(tokenized), terms)
    containing = {row for row, tokens in enumerate(tokenized) if set(terms) & set(tokens)}
    assert set(got) == containing
    rows = sorted(containing)
    assert np.allclose([got[row] for row in rows], expected[rows])
    assert not np.any(np.delete(expected, rows))  # every other passage scores zero


@pytest.mark.parametrize("query", QUERIES)
def test_the_top_of_inverted_bm25_is_the_head_of_all_scores_sorted_best_first(seeds_dir, query):
    bm25 = InvertedBM25([tokenize(p.text) for p in load_corpus(seeds_dir).passages])
    terms = tokenize(query)
    everything = sorted(bm25_scores(bm25, terms).items(), key=lambda item: -item[1])  # stable: ties by row
    assert bm25.top(terms, 5) == everything[:5]
    assert bm25.top(terms, 10_000) == everything


# --- the vector cache -----------------------------------------------------------------------------------------


def chroma_vectors(index: HybridIndex) -> np.ndarray:
    got = index.collection.get(ids=index.keys, include=["embeddings"])
    by_key = dict(zip(got["ids"], got["embeddings"]))
    return np.array([by_key[k] for k in index.keys], dtype=np.float32)


def test_vectors_in_memory_are_the_stored_ones_in_corpus_order(seed_index):
    assert seed_index.vectors.shape == (len(seed_index.keys), seed_index.embedder.dimension)
    assert np.allclose(seed_index.vectors, chroma_vectors(seed_index), atol=1e-6)


def test_a_restart_takes_vectors_from_the_cache_not_from_chroma(corpus_dir, index_dir, embedder, monkeypatch):
    first, _ = build(corpus_dir, index_dir, embedder)
    assert (index_dir / VECTOR_CACHE).is_file()
    again = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    asked: list[str] = []
    read_from_chroma = again.store.vectors_of
    again.store.vectors_of = lambda keys: (asked.extend(keys), read_from_chroma(keys))[1]
    report = again.sync()
    assert report.embedded == 0 and asked == []
    assert np.array_equal(again.vectors, first.vectors)


def test_after_an_edit_the_cache_holds_exactly_the_current_passages(corpus_dir, index_dir, embedder):
    build(corpus_dir, index_dir, embedder)
    path = corpus_dir / f"{EDITED_DOC}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nTalks resume next week.", encoding="utf-8")
    (corpus_dir / f"{DELETED_DOC}.txt").unlink()
    index, _ = build(corpus_dir, index_dir, embedder)

    with np.load(index_dir / VECTOR_CACHE) as cache:
        assert cache["keys"].tolist() == index.keys
        assert np.allclose(cache["vectors"], chroma_vectors(index), atol=1e-6)


@pytest.mark.parametrize("damage", ["garbled", "another model", "deleted"])
def test_a_damaged_foreign_or_missing_cache_is_replaced_from_chroma(corpus_dir, index_dir, embedder, damage):
    first, _ = build(corpus_dir, index_dir, embedder)
    cache = index_dir / VECTOR_CACHE
    if damage == "garbled":
        cache.write_bytes(cache.read_bytes()[:1000])
    elif damage == "another model":
        np.savez(cache, model_id=np.array("someone/else@v2"), keys=np.array(first.keys),
                 vectors=np.ones_like(first.vectors))
    else:
        cache.unlink()

    again, report = build(corpus_dir, index_dir, embedder)
    assert report.embedded == 0  # Chroma still has every vector: nothing is embedded again
    assert np.allclose(again.vectors, chroma_vectors(again), atol=1e-6)
    with np.load(cache) as rewritten:
        assert str(rewritten["model_id"]) == embedder.model_id


def test_a_large_build_stores_in_growing_batches(corpus_dir, index_dir, embedder, monkeypatch):
    monkeypatch.setattr(qa.index, "EMBED_BATCH", 4)
    index = HybridIndex(load_corpus(corpus_dir), index_dir, embedder)
    stored: list[int] = []
    add = index.store.add
    index.store.add = lambda keys, *rest: (stored.append(len(keys)), add(keys, *rest))
    index.sync()
    assert sum(stored) == len(index.keys)
    assert stored[:3] == [4, 8, 16]  # the first batch is kept early; later ones are larger


# --- retrieval -----------------------------------------------------------------------------------------------

QUESTION = "How far did Ukrainian troops advance into Kursk?"


def test_every_hit_carries_its_passage_scores_and_ranks(seed_index, embedder):
    query_vector = embedder.encode_query(QUESTION)
    hits = retrieve(seed_index, QUESTION, query_vector, k=5)
    assert len(hits) == 5
    for hit in hits:
        assert hit.passage == seed_index.passages[hit.row]
        assert hit.bm25_rank is not None or hit.dense_rank is not None
        assert hit.bm25 == pytest.approx(bm25_scores(seed_index.bm25, tokenize(QUESTION)).get(hit.row, 0.0))
        assert (hit.bm25_norm > 0) == (hit.bm25 > 0)
        # The stored vector is this passage's own embedding, so cosine is its similarity to the question.
        own_vector = embedder.encode([hit.passage.text])[0]
        assert hit.cosine == pytest.approx(float(own_vector @ query_vector), abs=1e-4)
        assert isinstance(hit.fused, float)
    by_bm25 = sorted(hits, key=lambda h: h.bm25)
    assert [h.bm25_norm for h in by_bm25] == sorted(h.bm25_norm for h in hits)  # one scale per question
    assert any("Kursk" in hit.passage.text for hit in hits[:3])


def ranked_no_worse(a, b) -> bool:
    """`a` is ranked at least as well as `b` by both retrievers (outside a list is worse than any rank)."""
    def rank(r):
        return math.inf if r is None else r

    return rank(a.bm25_rank) <= rank(b.bm25_rank) and rank(a.dense_rank) <= rank(b.dense_rank)


def test_a_passage_ranked_no_worse_by_both_retrievers_is_fused_no_lower(seed_index, embedder):
    query_vector = embedder.encode_query(QUESTION)
    for options in ({}, {"lexical_trust": math.inf, "votes": "sum"}):
        hits = retrieve(seed_index, QUESTION, query_vector, k=1000, **options)
        for a in hits:
            for b in hits:
                if ranked_no_worse(a, b):
                    assert a.fused >= b.fused


def test_reciprocal_rank_fusion_is_the_default_each_passage_keeping_its_better_vote(seed_index, embedder):
    query_vector = embedder.encode_query(QUESTION)
    hits = retrieve(seed_index, QUESTION, query_vector)
    assert hits == retrieve(seed_index, QUESTION, query_vector, fusion="rrf")
    assert [h.fused for h in hits] == sorted((h.fused for h in hits), reverse=True)
    # The dense ranking's first passage holds the largest vote there is: only BM25's first can pass it.
    assert 1 in [h.dense_rank for h in hits[:2]]


def test_a_passage_one_retriever_ranks_first_is_not_buried_by_middling_consensus():
    first_by_one = rrf_score(fuse_rrf(1), fuse_rrf(None))
    middling_by_both = rrf_score(fuse_rrf(5), fuse_rrf(5))
    assert first_by_one > middling_by_both
    assert rrf_score(fuse_rrf(1), fuse_rrf(None), "sum") < rrf_score(fuse_rrf(5), fuse_rrf(5), "sum")
    # the summed votes only break ties: two passages with the same best vote, the one both rank wins
    assert rrf_score(fuse_rrf(1), fuse_rrf(4)) > rrf_score(fuse_rrf(1), fuse_rrf(None))
    # and never outweigh a rank: the 2nd by one retriever beats the 3rd by both
    assert rrf_score(fuse_rrf(2), fuse_rrf(None)) > rrf_score(fuse_rrf(3), fuse_rrf(3))


@pytest.mark.parametrize(
    "best_bm25_norm, weight",
    [(0.9, 1.0), (0.5, 1.0), (0.34, 1.0), (0.25, 0.75), (0.05, 0.15), (0.0, 0.0)],  # a third matched: a full vote
)
def test_bm25_has_a_full_vote_only_when_some_passage_shares_the_questions_words(best_bm25_norm, weight):
    assert lexical_weight(best_bm25_norm) == pytest.approx(weight)
    assert lexical_weight(best_bm25_norm, math.inf) == 1.0


def test_weighted_fusion_mixes_normalised_bm25_with_cosine(seed_index, embedder):
    query_vector = embedder.encode_query(QUESTION)
    # k large enough to return every candidate, so the best BM25 score is among the hits.
    hits = retrieve(seed_index, QUESTION, query_vector, k=1000, fusion="weighted")
    assert [h.fused for h in hits] == sorted((h.fused for h in hits), reverse=True)
    for a in hits:  # more of both signals never scores lower
        for b in hits:
            if a.bm25 >= b.bm25 and a.cosine >= b.cosine:
                assert a.fused >= b.fused


def test_an_unknown_fusion_is_rejected(seed_index, embedder):
    with pytest.raises(ValueError, match="fusion"):
        retrieve(seed_index, QUESTION, embedder.encode_query(QUESTION), fusion="borda")
    with pytest.raises(ValueError, match="fusion"):  # a retriever is refused when it is built
        Retriever(seed_index, embedder, fusion="borda")


# --- the encoder: ONNX Runtime gives PyTorch's vectors ------------------------------------------------------

LONG_PASSAGE = " ".join(["Officials in Kyiv and Washington discussed the minerals deal at length."] * 40)  # > 256 tokens


@pytest.fixture(scope="module")
def onnx_embedder():
    try:
        return Embedder(backend="onnx")
    except ModelUnavailable as err:  # no `onnx` package to make the file: the PyTorch backend is used
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def torch_embedder():
    return Embedder(backend="torch")


def test_the_onnx_encoder_gives_the_pytorch_vectors_within_tolerance(seeds_dir, onnx_embedder, torch_embedder):
    texts = [p.text for p in load_corpus(seeds_dir).passages] + [
        LONG_PASSAGE, "ok", "How far did Ukrainian troops advance into Kursk?", "Зеленський 2,5 км", "U.S. $14.8 trillion"
    ]
    onnx_vectors, torch_vectors = onnx_embedder.encode(texts), torch_embedder.encode(texts)
    assert onnx_vectors.shape == torch_vectors.shape == (len(texts), 384)
    assert onnx_vectors.dtype == np.float32
    assert np.abs(onnx_vectors - torch_vectors).max() < 1e-5
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.model_id == torch_embedder.model_id  # same vectors: an index is shared


def test_a_query_is_embedded_once_and_then_served_from_the_cache(onnx_embedder, monkeypatch):
    question = "Who examined a once-classified map?"
    first = onnx_embedder.encode_query(question)
    monkeypatch.setattr(onnx_embedder, "encode", lambda *a, **k: pytest.fail("embedded twice"))
    assert onnx_embedder.encode_query(question) is first


def test_starting_the_onnx_encoder_imports_neither_torch_nor_sentence_transformers(onnx_embedder):
    code = ("import sys; from qa.embedding import Embedder; e = Embedder(backend='onnx'); "
            "print(e.backend, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    env = {**__import__("os").environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.split() == ["onnx", "False", "False"], done.stderr


def test_without_the_onnx_package_the_encoder_falls_back_to_pytorch(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))  # a fresh cache: no export made yet
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` now fails
    with caplog.at_level("INFO", logger="qa.embedding"):
        fallback = Embedder(backend="auto")
    assert fallback.backend == "torch" and "onnx is not installed" in caplog.text
    with pytest.raises(ModelUnavailable, match="onnx is not installed"):
        Embedder(backend="onnx")


def test_a_damaged_onnx_file_is_not_used_and_is_made_again_next_time(onnx_embedder, tmp_path, monkeypatch):
    source = onnx_folder_of(onnx_embedder.location)
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))  # a private cache holding a copy of the export
    folder = onnx_folder_of(onnx_embedder.location)
    shutil.copytree(source, folder)
    (folder / "model.onnx").write_bytes(b"not an onnx graph")

    assert Embedder(backend="auto").backend == "torch"
    assert not (folder / "model.onnx").exists()  # removed, so the next start exports it again


# --- the encoder: the packaged MiniLM with its layers tuned for retrieval -----------------------------------


def test_the_default_encoder_is_the_packaged_minilm_with_the_tuned_layers_in_its_place(embedder):
    from safetensors.numpy import load_file

    from qa.model_files import RETRIEVAL_LAYERS, bundled_minilm_dir, tuned_encoder_dir

    assert embedder.location == tuned_encoder_dir()
    packaged, tuned = (load_file(str(d / "model.safetensors")) for d in (bundled_minilm_dir(), tuned_encoder_dir()))
    layers = load_file(str(RETRIEVAL_LAYERS))
    assert set(tuned) == set(packaged) and layers and all(name.startswith("encoder.layer.") for name in layers)
    for name, weights in tuned.items():
        expected = layers[name].astype(np.float32) if name in layers else packaged[name]
        assert np.array_equal(weights, expected), name
    assert embedder.model_id != qa.embedding.model_id("all-MiniLM-L6-v2")  # an untuned index is rebuilt


def test_tuned_layers_that_do_not_fit_the_packaged_model_are_refused(tmp_path):
    from safetensors.numpy import save_file

    from qa.model_files import tuned_encoder_dir

    wrong = tmp_path / "wrong_layers.safetensors"
    save_file({"encoder.layer.0.output.dense.bias": np.zeros(7, dtype=np.float16)}, str(wrong))
    with pytest.raises(ModelUnavailable, match="does not fit"):
        tuned_encoder_dir(wrong)
    with pytest.raises(ModelUnavailable, match="missing"):
        tuned_encoder_dir(tmp_path / "absent.safetensors")


def test_a_truncated_retrieval_encoder_is_built_again(tmp_path, monkeypatch):
    from qa.model_files import RETRIEVAL_LAYERS, tuned_encoder_dir

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))  # a private cache (the package's MiniLM is reused)
    build = tuned_encoder_dir.__wrapped__  # past the once-per-process memory
    folder = build(RETRIEVAL_LAYERS)
    weights = folder / "model.safetensors"
    whole = weights.read_bytes()
    weights.write_bytes(whole[: len(whole) // 2])  # a disk filled up, a copy cut short
    assert build(RETRIEVAL_LAYERS) == folder and weights.read_bytes() == whole


# --- the story prior ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_story_index(embedder, tmp_path_factory) -> HybridIndex:
    folder = tmp_path_factory.mktemp("two-stories")
    (folder / "bank.txt").write_text(BANK_STORY, encoding="utf-8")
    (folder / "ferry.txt").write_text(FERRY_STORY, encoding="utf-8")
    index, _ = build(folder, tmp_path_factory.mktemp("two-stories-index"), embedder)
    return index


def test_another_storys_sentence_naming_what_is_asked_gives_way_to_the_story_asked_about(two_story_index, embedder):
    question = "Who is the chief executive of Nordhavn Bank?"
    query_vector = embedder.encode_query(question)
    alone = retrieve(two_story_index, question, query_vector, k=30, document_prior=0.0)[:3]
    with_prior = retrieve(two_story_index, question, query_vector, k=30)[:3]  # the three the selector reads
    assert "Henrik Lund" in " ".join(h.passage.text for h in alone)  # "Chief executive" matches
    assert {h.passage.doc_id for h in with_prior} == {"bank"}
    assert with_prior[0].passage.text.startswith("Chief executive Mette Larsen")


def test_a_folder_of_one_story_ranks_as_without_the_story_prior(seed_index, embedder):
    for question in (QUESTION, "Who published the valuation of Ukraine's mineral resources?"):
        query_vector = embedder.encode_query(question)
        with_prior = retrieve(seed_index, question, query_vector, k=30)
        alone = retrieve(seed_index, question, query_vector, k=30, document_prior=0.0)
        assert [h.row for h in with_prior] == [h.row for h in alone]


def test_the_prior_re_orders_what_was_retrieved_and_retrieves_nothing_else(two_story_index, embedder):
    question = "How much did the ferries cost?"
    query_vector = embedder.encode_query(question)
    with_prior = retrieve(two_story_index, question, query_vector, k=6)
    alone = retrieve(two_story_index, question, query_vector, k=6, document_prior=0.0)
    assert {h.row for h in with_prior} == {h.row for h in alone}


def test_each_document_is_scored_by_bm25_over_all_its_sentences_words(two_story_index):
    documents = two_story_index.documents
    assert len(documents.centroids) == 2 and len(documents.doc_of_row) == len(two_story_index.passages)
    assert np.allclose(np.linalg.norm(documents.centroids, axis=1), 1.0, atol=1e-5)
    words_of = {}
    for passage, doc in zip(two_story_index.passages, documents.doc_of_row.tolist()):
        words_of.setdefault(doc, []).extend(tokenize(passage.text))
    reference = BM25Okapi([words_of[d] for d in range(len(words_of))])
    query = tokenize("chief executive of the bank")
    expected = reference.get_scores(query)
    assert bm25_scores(documents.bm25, query) == {d: pytest.approx(s, rel=1e-5) for d, s in enumerate(expected) if s}


def test_the_document_view_is_the_same_whatever_order_the_sentences_come_in(two_story_index):
    from qa.bm25 import TermCounts
    from qa.index import DocumentLevel

    passages = two_story_index.passages[::-1]  # each document's rows no longer together in corpus order
    passages = passages[::2] + passages[1::2]
    order = [two_story_index.passages.index(p) for p in passages]
    shuffled = DocumentLevel.of(passages, TermCounts.of_tokenized(tokenize(p.text) for p in passages),
                                two_story_index.vectors[order])
    in_order = two_story_index.documents
    for doc_id in in_order.doc_ids:
        a, b = in_order.doc_ids.index(doc_id), shuffled.doc_ids.index(doc_id)
        assert np.allclose(in_order.centroids[a], shuffled.centroids[b], atol=1e-6)
    query = tokenize("chief executive of the bank")
    by_doc = lambda view: {view.doc_ids[d]: s for d, s in bm25_scores(view.bm25, query).items()}  # noqa: E731
    assert by_doc(shuffled) == pytest.approx(by_doc(in_order))
