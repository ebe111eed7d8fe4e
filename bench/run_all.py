"""Every benchmark in one run (`make bench`): figures with their targets, never pass/fail.

1. Seed corpus, warm `answer()` over the regression questions: p50/p95 per repetition, as a
   question never asked before (query-vector caches cleared before each call) and as a repeated
   one; per-stage timings (query embedding, BM25, Chroma, selection, agreement).
2. New processes: time to the first answer with a built index, and a cold index build of the
   seeds into an empty folder (model load included); peak RSS of each.
3. Retrieval quality and latency (bench/retrieval.py): hit@1, hit@3, MRR for bm25 / dense / hybrid,
   and for the hybrid list re-ranked by the reader (the order the engine cites in).
4. The scaling curve (bench/scale.py): 1k, 10k, 100k passages.

Run: .venv/bin/python bench/run_all.py [--quick] [--skip-scale] [--sizes 1000,10000,100000] [--repeat N]
`--quick` runs 3 repetitions and the scaling curve to 10k only (a few minutes); the full run builds a
100k-passage index and takes about 15 minutes on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import retrieval, scale  # noqa: E402
from bench.common import (  # noqa: E402
    QUESTIONS,
    ROOT,
    StageTimer,
    forget_query_caches,
    load_average,
    peak_rss_mb,
    percentile,
    run_child,
    spread,
    stage_table,
)
from qa.agree import NoAgreement  # noqa: E402
from qa.engine import Engine  # noqa: E402

TARGETS = {
    "warm p50": "<= 20 ms",
    "warm p95": "<= 40 ms",
    "first answer": "<= 3 s",
    "retrieval p50": "<= 15 ms",
    "hybrid hit@3": ">= 0.95, MRR above bm25 and dense",
}

FIRST_ANSWER_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from bench.common import peak_rss_mb
from qa import Engine
engine = Engine(corpus_dir=sys.argv[1], index_dir=sys.argv[2])
t1 = time.perf_counter()
engine.answer(sys.argv[3])
t2 = time.perf_counter()
print(json.dumps({"in_process_s": t2 - t0, "engine_s": t1 - t0, "answer_s": t2 - t1,
                  "embedded": engine.sync_report.embedded,
                  "backend": engine.embedder.backend, "peak_rss_mb": peak_rss_mb()}))
"""


def new_process(corpus: Path, index_dir: Path, question: str) -> dict:
    """A new Python process: import, open (or build) the index, answer one question."""
    t0 = time.perf_counter()
    result = json.loads(run_child(["-c", FIRST_ANSWER_CHILD, str(corpus), str(index_dir), question]))
    result["wall_s"] = time.perf_counter() - t0  # interpreter start included
    return result


def timed_pass(engine, questions: list[str], timer=None, forget: bool = False) -> list[float]:
    """Milliseconds per answer() over the questions; `forget` clears cached query vectors before each."""
    times = []
    for q in questions:
        if forget:
            forget_query_caches(engine)
        if timer:
            times.append(timer.answer(q)[1] * 1000)
        else:
            t0 = time.perf_counter()
            engine.answer(q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def warm_answers(engine, questions: list[str], repeat: int) -> None:
    print(f"\n== 1. warm answer() on the seed corpus: {len(questions)} regression questions x {repeat} repetitions "
          f"(encoder backend: {engine.embedder.backend})")
    timed_pass(engine, questions)  # warm-up: first forward passes, lazy imports, the reader's first forward
    # the same index, model and reader, with an agreement stage that marks nothing: the answer without per-source marks (issue 19)
    unmarked = Engine(engine.corpus_dir, engine.index_dir, agreement=NoAgreement())
    modes = {
        "new question": (True, True, engine, "the question's vector is computed"),
        "new question, agreement off": (True, False, unmarked, "Engine(agreement=NoAgreement())"),
        "repeated question": (False, False, engine, "every vector cached"),
    }
    print(f"  {'':<30}{'p50 ms':<24}{'p95 ms':<24}")
    medians = {}
    with StageTimer(engine) as timer:
        for label, (forget, staged, asked, note) in modes.items():
            runs = [timed_pass(asked, questions, timer if staged else None, forget) for _ in range(repeat)]
            p50 = [percentile(r, .5) for r in runs]
            p95 = [percentile(r, .95) for r in runs]
            medians[label] = statistics.median(p50)
            print(f"  {label:<30}{spread(p50):<24}{spread(p95):<24}{note}")
    answered = [q for q in questions if engine.answer(q).status != "none"]  # agreement runs only for these
    with_agreement = [percentile(timed_pass(engine, answered, None, True), .5) for _ in range(repeat)]
    without = [percentile(timed_pass(unmarked, answered, None, True), .5) for _ in range(repeat)]
    print(f"  questions the articles speak to ({len(answered)}): p50 {spread(with_agreement)} ms with agreement, "
          f"{spread(without)} ms without: agreement costs "
          f"{statistics.median(with_agreement) / statistics.median(without):.2f}x (issue 19 target: within 1.5x; "
          f"over all questions {medians['new question'] / medians['new question, agreement off']:.2f}x)")
    print(f"  targets: new question p50 {TARGETS['warm p50']}, p95 {TARGETS['warm p95']}; "
          "figures are median (min .. max) over the repetitions")
    print(f"  per stage, new questions ({len(timer.samples['total'])} calls):")
    for line in stage_table(timer.samples, indent="    "):
        print(line)


def new_processes(index_dir: Path, question: str, repeat: int) -> None:
    print(f"\n== 2. new processes ({repeat} runs each; median (min .. max))")
    firsts = [new_process(ROOT / "seeds", index_dir, question) for _ in range(repeat)]
    assert all(r["embedded"] == 0 for r in firsts), "the index was not reused"
    print(f"  first answer, built index:  {spread([r['wall_s'] for r in firsts], '{:.2f}')} s with interpreter "
          f"start, {spread([r['in_process_s'] for r in firsts], '{:.2f}')} s from import   target {TARGETS['first answer']}")
    print(f"     of which Engine() {spread([r['engine_s'] for r in firsts], '{:.2f}')} s, first answer() "
          f"{spread([r['answer_s'] for r in firsts], '{:.2f}')} s; peak RSS {spread([r['peak_rss_mb'] for r in firsts], '{:.0f}')} MB")
    colds = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as empty:
            colds.append(new_process(ROOT / "seeds", Path(empty), question))
    print(f"  cold build of the seeds (empty index folder, model load included) + first answer: "
          f"{spread([r['wall_s'] for r in colds], '{:.2f}')} s; Engine() alone {spread([r['engine_s'] for r in colds], '{:.2f}')} s; "
          f"peak RSS {spread([r['peak_rss_mb'] for r in colds], '{:.0f}')} MB")


def retrieval_figures(engine, repeat: int) -> None:
    print("\n== 3. retrieval over the answerable regression questions (bench/retrieval.py)")
    questions = [q for q in retrieval.load_questions(QUESTIONS) if q["answerable"]]
    retrieval.print_table(retrieval.quality(engine, questions), indent="  ")
    print(f"  targets: hybrid (rrf) hit@3 {TARGETS['hybrid hit@3']}; hit@1 >= 0.90")
    p50s, p95s = [], []
    for _ in range(repeat):
        timings = retrieval.latency_ms(engine, questions, 1)
        p50s.append(percentile(timings, .5))
        p95s.append(percentile(timings, .95))
    print(f"  warm hybrid retrieval latency ({repeat} x {len(questions)} queries): p50 {spread(p50s, '{:.2f}')} ms, "
          f"p95 {spread(p95s, '{:.2f}')} ms   target p50 {TARGETS['retrieval p50']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 repetitions, scaling curve to 10k only")
    parser.add_argument("--repeat", type=int, help="repetitions of each measurement (default 5, quick 3)")
    parser.add_argument("--skip-scale", action="store_true", help="no scaling curve")
    parser.add_argument("--sizes", help="scaling sizes, e.g. 1000,10000,100000")
    parser.add_argument("--scale-questions", type=int, default=60)
    parser.add_argument("--skip-load", action="store_true", help="no load run against the web app")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 5)
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else "1000,10000,100000")).split(",")]

    started = time.perf_counter()
    print(f"qa-news benchmarks; {load_average()}; figures are noisy when other work shares the cores")
    from qa.engine import Engine

    questions = [q["question"] for q in retrieval.load_questions(QUESTIONS)]
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "seed-index"
        engine = Engine(corpus_dir=ROOT / "seeds", index_dir=index_dir)
        print(f"seed corpus: {len(engine.corpus.documents)} documents, {len(engine.index.passages)} passages")
        warm_answers(engine, questions, repeat)
        print(f"  peak RSS of this process (model, seed index, {repeat * len(questions) * 2} answers): {peak_rss_mb():.0f} MB")
        new_processes(index_dir, questions[0], repeat)
        retrieval_figures(engine, repeat)
    if not args.skip_scale:
        print(f"\n== 4. scaling curve: {', '.join(f'{s:,}' for s in sizes)} passages ({load_average()})")
        rows = scale.measure(sizes, args.scale_questions, restart=True, profile=False, keep=None)
        scale.print_table(rows)
    if not args.skip_load:
        print(f"\n== 5. load: the real web app on loopback, 16 concurrent clients (bench/load.py; {load_average()})",
              flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"),
                        "--questions", "100" if args.quick else "400"], check=False)
    print(f"\nbenchmarks took {(time.perf_counter() - started) / 60:.1f} min; {load_average()}")


if __name__ == "__main__":
    main()
