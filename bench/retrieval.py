"""Retrieval benchmark over the regression questions: hit@1, hit@3, MRR per retriever, build time, latency.

A hit is a retrieved passage that overlaps a supporting document's evidence span.
Besides the retrievers, it scores the order the engine cites in: the hybrid list with its top
sentences re-ranked by the reader (qa.select.read_spans).

--fitting prints the same table for the retrievers on the sets retrieval is fitted on instead
(DESIGN.md: never on the regression set): SQuAD 2.0 dev articles 1-17 (every answerable question),
the seed calibration questions, the paraphrased Pharmacy set and the written news (tests/calibration). There a hit is
a passage that holds a gold answer (for SQuAD, in the question's own paragraph). The reader rows are
left out: the reader trained on most of those SQuAD articles.
Run: .venv/bin/python bench/retrieval.py [--questions FILE] [--repeat N] [--fitting]
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from qa.engine import Engine  # noqa: E402
from qa.evaluation import load_questions, overlaps_evidence  # noqa: E402
from qa.models import Passage  # noqa: E402
from qa.retrieve import retrieve  # noqa: E402
from qa.select import READ_SENTENCES, in_reader_order, read_spans  # noqa: E402

Relevant = Callable[[dict, Passage], bool]  # does this passage answer this question item?


def overlapping_evidence(documents: dict[str, str]) -> Relevant:
    """A regression item's passage is relevant when it overlaps a supporting document's evidence."""
    return lambda item, passage: overlaps_evidence(passage, item["supporting"], documents)


def holding_an_answer(item: dict, passage: Passage) -> bool:
    """A fitting-set item's passage is relevant when it holds a gold answer (in the item's own
    document, when it names one)."""
    return item.get("doc_id", passage.doc_id) == passage.doc_id and any(a in passage.text for a in item["answers"])


def first_relevant_rank(hits, item: dict, relevant: Relevant) -> int | None:
    return next((rank for rank, hit in enumerate(hits, 1) if relevant(item, hit.passage)), None)


def reranked_by_reader(engine: Engine, question: str, hits: list, depth: int) -> list:
    """The hits as the engine cites them: the reader's margin orders the top `depth` sentences."""
    return in_reader_order(read_spans(question, hits, engine.reader, depth), hits)


# label -> (retrieve's options, how many top sentences the reader re-orders; 0: none)
ROWS: dict[str, tuple[dict, int]] = {
    **{fusion: ({"fusion": fusion}, 0) for fusion in ("bm25", "dense")},
    "hybrid": ({}, 0),
    "no story prior": ({"document_prior": 0.0}, 0),
    "weighted": ({"fusion": "weighted"}, 0),
    f"hybrid+reader@{READ_SENTENCES}": ({}, READ_SENTENCES),
    "hybrid+reader@10": ({}, 10),
    "summed votes": ({"votes": "sum"}, 0),
    "plain RRF": ({"votes": "sum", "lexical_trust": math.inf}, 0),
}


ORACLE = "better of the two"  # a row computed from the bm25 and dense rows


def quality(
    engine: Engine, questions: list[dict], relevant: Relevant | None = None, rows: dict = ROWS
) -> dict[str, dict[str, float]]:
    """hit@1, hit@3 and MRR per row; by default a passage is relevant as the regression set says."""
    relevant = relevant or overlapping_evidence({d.doc_id: d.text for d in engine.corpus.documents})
    ranks_of: dict[str, list[int | None]] = {}
    for label, (options, depth) in rows.items():
        ranks = []
        for item in questions:
            vector = engine.embedder.encode_query(item["question"])
            hits = retrieve(engine.index, item["question"], vector, k=10, **options)
            if depth:
                hits = reranked_by_reader(engine, item["question"], hits, depth)
            ranks.append(first_relevant_rank(hits, item, relevant))
        ranks_of[label] = ranks
    if "bm25" in ranks_of and "dense" in ranks_of:
        ranks_of[ORACLE] = [better_rank(b, d) for b, d in zip(ranks_of["bm25"], ranks_of["dense"])]
    return {label: figures(ranks) for label, ranks in ranks_of.items()}


def better_rank(*ranks: int | None) -> int | None:
    """Per question, whichever retriever ranks the evidence higher: a bound on what interleaving the
    two rankings can reach (a fusion that lifts a sentence both rank low needs a third signal)."""
    return min((r for r in ranks if r), default=None)


def figures(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@3": sum(1 for r in ranks if r and r <= 3) / n,
        "MRR": sum(1 / r for r in ranks if r) / n,
    }


def latency_ms(engine: Engine, questions: list[dict], repeat: int) -> list[float]:
    """Warm retrieval only (query vectors cached, as the engine does for a repeated question)."""
    timings = []
    for _ in range(repeat):
        for item in questions:
            vector = engine.embedder.encode_query(item["question"])
            t0 = time.perf_counter()
            retrieve(engine.index, item["question"], vector, k=10)
            timings.append((time.perf_counter() - t0) * 1000)
    return timings


def cold_build_seconds() -> float:
    """A new process: model load + segmenting + embedding the seeds into an empty index."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import time; t=time.perf_counter(); from qa import Engine; "
            f"Engine(index_dir={tmp!r}); print(time.perf_counter()-t)"
        )
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def fitting_sets(tmp: Path) -> dict[str, tuple[Engine, list[dict]]]:
    """name -> (an engine over its corpus, its answerable questions); SQuAD only where its file is."""
    from calibrate_threshold import CALIBRATION, CALIBRATION_FILES, calibration_corpora
    from squad_data import DEFAULT_SQUAD, load_articles, split, write_corpus

    sets = {}
    if DEFAULT_SQUAD.exists():
        squad = write_corpus(split(load_articles(DEFAULT_SQUAD))[0], tmp / "squad")
        questions = [{"question": q.question, "answers": q.answers, "doc_id": q.doc_id} for q in squad if q.answers]
        sets["SQuAD 1-17"] = (Engine(corpus_dir=tmp / "squad", index_dir=tmp / "squad-index"), questions)
    else:
        print(f"SQuAD 2.0 dev not found at {DEFAULT_SQUAD}: SQuAD 1-17 is left out")
    for name, corpus in calibration_corpora(tmp).items():
        questions = [q for q in load_questions(CALIBRATION / CALIBRATION_FILES[name]) if q["answerable"]]
        sets[f"calibration: {name}"] = (Engine(corpus_dir=corpus, index_dir=tmp / f"{name}-index"), questions)
    return sets


def print_table(table: dict[str, dict[str, float]], indent: str = "") -> None:
    print(f"{indent}{'retriever':<20}{'hit@1':>8}{'hit@3':>8}{'MRR':>8}")
    for label, row in table.items():
        print(f"{indent}{label:<20}{row['hit@1']:>8.3f}{row['hit@3']:>8.3f}{row['MRR']:>8.3f}")


def fitting_report() -> None:
    retrievers = {label: row for label, row in ROWS.items() if not row[1]}  # no reader rows
    with tempfile.TemporaryDirectory(prefix="qa-fitting-") as tmp:
        for name, (engine, questions) in fitting_sets(Path(tmp)).items():
            print(f"\n{name}: {len(questions)} answerable questions")
            print_table(quality(engine, questions, holding_an_answer, retrievers))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=str(ROOT / "tests/regression/questions.jsonl"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fitting", action="store_true", help="the retrievers on the fitting sets instead")
    args = parser.parse_args()
    if args.fitting:
        fitting_report()
        return
    questions = [q for q in load_questions(args.questions) if q["answerable"]]
    # A private index of the seeds: the project's index/ may be in use by a running app.
    engine = Engine(corpus_dir=ROOT / "seeds", index_dir=tempfile.mkdtemp(prefix="qa-retrieval-"))

    print(f"retrieval quality over {len(questions)} answerable regression questions (seed corpus)")
    print_table(quality(engine, questions))
    print(f"(hybrid: RRF, each passage keeping the better of its two votes, BM25's weighted by how well the "
          f"question is matched word for word;\n summed votes: the same votes added; plain RRF: equal votes added.\n"
          f" hybrid+reader@N: the top N hybrid sentences re-ordered by the reader's "
          f"answer margin, as the engine cites them; the engine reads N = {READ_SENTENCES};\n"
          f" {ORACLE}: per question, the better rank of bm25 and dense, an upper bound for interleaving them)")

    builds = [cold_build_seconds() for _ in range(3)]
    print(f"\ncold index build for the seeds (new process, incl. model load), 3 runs: "
          f"min {min(builds):.2f} s, median {statistics.median(builds):.2f} s, max {max(builds):.2f} s")
    timings = latency_ms(engine, questions, args.repeat)
    print(f"warm hybrid retrieval latency over {len(timings)} queries: "
          f"p50 {percentile(timings, 0.5):.2f} ms, p95 {percentile(timings, 0.95):.2f} ms")


if __name__ == "__main__":
    main()
