"""Scaling curve: index build, index size, answer latency and memory at 1k, 10k and 100k passages.

Real text: the SQuAD 2.0 dev paragraphs (../shared/bench/squad/, 1,204 paragraphs of 35 Wikipedia
articles, about 5,200 sentence passages). Past that size the paragraphs are REPEATED under distinct
document ids (copy 2, copy 3, ... in the headline line, so they are not skipped as duplicates): the
100k corpus is about 19 copies of the dev set. Every copy is embedded and indexed like new text (the
index does not share vectors between documents), so build cost is honest; retrieval sees near
duplicates, as a news corpus full of syndicated reports does.

Each size is measured in its own processes, so peak RSS is per size:
  build    new process, empty index folder: load corpus + model, embed, store (and BM25 in memory),
           then warm answer() latency over SQuAD questions never asked before (query caches
           cleared before every question), with a per-stage breakdown
  restart  new process on the built index: time to first answer and its peak RSS
  warm     (with --reuse) new process on the built index: warm answer() latency, as after a build

A restart prints its stages (passage cache, BM25 from saved counts, Chroma, vector cache, reader).

Run: .venv/bin/python bench/scale.py [--sizes 1000 10000 100000] [--questions 60] [--profile] [--keep DIR]
     .venv/bin/python bench/scale.py --reuse DIR/qa-scale-XXXX [--sizes ...]   (restart + warm answers on
     the corpora and indexes an earlier --keep run left, without building: minutes instead of ~20)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    StageTimer,
    cpu_seconds,
    dir_size_mb,
    forget_query_caches,
    load_average,
    peak_rss_mb,
    percentile,
    run_child,
    stage_table,
)

# issue 21: restart to first answer, build throughput, peak RSS at 100k; warm answer() against the 1k row
TARGETS_100K = {"restart_s": 5.0, "build_passages_per_s": 250, "rss_mb": 1536, "p50_vs_1k": 1.3, "p95_vs_1k": 2.0}
DEFAULT_SIZES = (1_000, 10_000, 100_000)
WARMUP_QUESTIONS = 5


# --- corpora -------------------------------------------------------------------------------------------------


def make_corpora(work: Path, sizes: list[int], questions_per_size: int) -> dict[int, tuple[Path, Path]]:
    """One folder per size (SQuAD paragraphs, repeated past the dev set) and a question file each."""
    from bench.squad_data import load_articles, write_corpus
    from qa.corpus import load_corpus

    base = work / "squad-base"
    questions = write_corpus(load_articles(), base)
    corpus = load_corpus(base)
    count_of: dict[str, int] = {}
    for p in corpus.passages:
        count_of[p.doc_id] = count_of.get(p.doc_id, 0) + 1
    docs = [d for d in corpus.documents if count_of.get(d.doc_id)]
    print(
        f"SQuAD 2.0 dev: {len(corpus.documents)} paragraphs -> {len(corpus.passages)} sentence passages "
        f"({len(corpus.passages) / len(corpus.documents):.1f} per paragraph), {len(questions)} questions"
    )
    made = {}
    for size in sizes:
        folder = work / f"corpus-{size}"
        folder.mkdir()
        total, copy, included = 0, 0, set()
        while total < size:
            for doc in docs:
                if total >= size:
                    break
                title, body = doc.text.split("\n", 1)
                headline = title if copy == 0 else f"{title} (copy {copy + 1})"
                (folder / f"{doc.doc_id}c{copy:02d}.txt").write_text(f"{headline}\n{body}", encoding="utf-8")
                total += count_of[doc.doc_id]
                if copy == 0:
                    included.add(doc.doc_id)
            copy += 1
        pool = [q.question for q in questions if q.doc_id in included]
        chosen = random.Random(size).sample(pool, min(questions_per_size + WARMUP_QUESTIONS, len(pool)))
        qfile = work / f"questions-{size}.json"
        qfile.write_text(json.dumps(chosen), encoding="utf-8")
        made[size] = (folder, qfile)
    return made


# --- child processes ------------------------------------------------------------------------------------------


class PhaseTimer:
    """Wall time of the build phases, by wrapping the functions Engine.__init__ calls."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def wrap(self, owner, name: str, phase: str) -> None:
        original = getattr(owner, name)
        seconds = self.seconds

        def timed(*args, **kwargs):
            seconds.setdefault(phase, 0.0)  # listed in the order the phases start: outer before inner
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[phase] = seconds.get(phase, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)


def child(mode: str, corpus_dir: Path, index_dir: Path, question_file: Path, profile: bool) -> dict:
    t_start = time.perf_counter()
    import qa.engine as engine_module
    from qa.index import HybridIndex
    from qa.store import VectorStore

    import qa.passage_cache

    phases = PhaseTimer()
    phases.wrap(engine_module, "load_corpus", "corpus (read + segment)")
    phases.wrap(qa.passage_cache, "split_passages", "segment (passage cache misses)")
    phases.wrap(qa.passage_cache.PassageCache, "save", "passage cache write")
    phases.wrap(engine_module, "shared_embedder", "model load")
    phases.wrap(HybridIndex, "__init__", "BM25 + keys")
    phases.wrap(HybridIndex, "_load_or_build_bm25", "BM25 (saved counts or tokenize)")
    phases.wrap(HybridIndex, "sync", "sync (all)")
    phases.wrap(VectorStore, "connect", "Chroma open")
    phases.wrap(VectorStore, "keys", "stored ids (Chroma get)")
    phases.wrap(HybridIndex, "_write_manifest", "manifest writes")
    phases.wrap(HybridIndex, "_embed_and_add", "embed + store")
    phases.wrap(HybridIndex, "_fill_from_cache", "vector cache read")
    phases.wrap(HybridIndex, "_load_vectors", "load vectors from Chroma")
    phases.wrap(HybridIndex, "_probe_search", "HNSW probe query")
    phases.wrap(engine_module, "shared_reader", "reader load (first answer)")
    t_import = time.perf_counter() - t_start

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    engine = engine_module.Engine(corpus_dir=corpus_dir, index_dir=index_dir)
    build_s = time.perf_counter() - t0
    build_cpu = cpu_seconds() - cpu0
    if profiler:
        profiler.disable()
        _dump_profile(profiler, index_dir.parent / f"profile-{mode}-build.txt")

    questions = json.loads(question_file.read_text(encoding="utf-8"))
    result = {
        "mode": mode,
        "passages": len(engine.index.passages),
        "documents": len(engine.corpus.documents),
        "embedded": engine.sync_report.embedded,
        "import_s": t_import,
        "start_s": build_s,
        "start_cpu_s": build_cpu,
        "phases": phases.seconds,
        "index_mb": dir_size_mb(index_dir),
        "memory_mb": _memory_of(engine),
    }
    t1 = time.perf_counter()
    engine.answer(questions[0])
    result["first_answer_s"] = time.perf_counter() - t1
    result["to_first_answer_s"] = time.perf_counter() - t_start
    if mode in ("build", "warm"):
        for q in questions[1:WARMUP_QUESTIONS]:
            engine.answer(q)
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        with StageTimer(engine) as timer:
            for q in questions[WARMUP_QUESTIONS:]:
                forget_query_caches(engine)
                timer.answer(q)
        if profile:
            profiler.disable()
            _dump_profile(profiler, index_dir.parent / f"profile-{mode}-answers.txt")
        result["stages"] = timer.samples
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def _memory_of(engine) -> dict[str, float]:
    """What the in-process structures hold, in MB: the figures docs/scaling.md extrapolates from."""
    import sys as _sys

    bm25 = engine.index.bm25
    arrays = bm25.arrays()
    # the terms, and two dicts of that size (BM25's column of each term, and the vocabulary's own)
    vocabulary = (sum(_sys.getsizeof(t) for t in bm25.counts.vocabulary)
                  + 2 * _sys.getsizeof(dict.fromkeys(bm25.counts.vocabulary)))
    passages = engine.index.passages
    sample = passages[: min(len(passages), 2000)]
    per_passage = sum(_sys.getsizeof(p) + _sys.getsizeof(p.text) + _sys.getsizeof(p.passage_id)
                      for p in sample) / max(len(sample), 1)  # a slotted dataclass: no __dict__
    return {
        "vectors": engine.index.vectors.nbytes / 1e6,
        "bm25 arrays": sum(a.nbytes for a in arrays) / 1e6,
        "bm25 vocabulary": vocabulary / 1e6,
        "bm25 terms": len(bm25.counts.vocabulary),
        "passage objects (est.)": per_passage * len(passages) / 1e6,
        "document texts": sum(len(d.text) for d in engine.corpus.documents) / 1e6,
    }


def _dump_profile(profiler, path: Path) -> None:
    import io
    import pstats

    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    path.write_text(out.getvalue(), encoding="utf-8")
    print(f"profile written to {path}", file=sys.stderr)


# --- the table -----------------------------------------------------------------------------------------------


def measure(sizes: list[int], questions: int, restart: bool, profile: bool, keep: Path | None) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="qa-scale-", dir=keep))
    rows = []
    try:
        corpora = make_corpora(work, sizes, questions)
        for size in sizes:
            folder, qfile = corpora[size]
            index_dir = work / f"index-{size}"
            args = ["bench/scale.py", "--child", "build", "--corpus", str(folder), "--index", str(index_dir),
                    "--question-file", str(qfile)] + (["--profile"] if profile else [])
            print(f"\n[{size:,} passages] building in a new process ... ({load_average()})", flush=True)
            built = json.loads(run_child(args))
            print(_build_lines(built), flush=True)
            row = {"size": size, "build": built}
            if restart:
                args[2] = "restart"
                again = json.loads(run_child(args))
                print(_restart_lines(again), flush=True)
                row["restart"] = again
            rows.append(row)
            if not keep:
                shutil.rmtree(index_dir, ignore_errors=True)
    finally:
        if keep:
            print(f"kept corpora and indexes in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def measure_reused(work: Path, sizes: list[int]) -> list[dict]:
    """Restart and warm answers on indexes an earlier `--keep` run built (nothing is built here)."""
    rows = []
    for size in sizes:
        folder, index_dir, qfile = work / f"corpus-{size}", work / f"index-{size}", work / f"questions-{size}.json"
        if not (folder.is_dir() and index_dir.is_dir() and qfile.is_file()):
            raise SystemExit(f"{work} has no built {size:,}-passage corpus (run with --keep first)")
        args = ["bench/scale.py", "--child", "restart", "--corpus", str(folder), "--index", str(index_dir),
                "--question-file", str(qfile)]
        print(f"\n[{size:,} passages] restart and warm answers on the kept index ... ({load_average()})", flush=True)
        again = json.loads(run_child(args))
        print(_restart_lines(again), flush=True)
        args[2] = "warm"
        warm = json.loads(run_child(args))
        print(_warm_lines(warm), flush=True)
        rows.append({"size": size, "restart": again, "warm": warm})
    return rows


def _warm_lines(w: dict) -> str:
    totals = [v * 1000 for v in w["stages"]["total"]]
    return "\n".join([f"  warm answer() over {len(totals)} new questions: p50 {percentile(totals, .5):.1f} ms, "
                      f"p95 {percentile(totals, .95):.1f} ms; peak RSS {w['peak_rss_mb']:.0f} MB",
                      *stage_table(w["stages"], indent="    ")])


def print_reused_table(rows: list[dict]) -> None:
    print("\nrestart and warm answers on kept indexes (no build in this run)")
    print(f"{'passages':>9} {'docs':>7} {'restart s':>9} {'restart RSS':>11} {'ans p50':>8} {'ans p95':>8} "
          f"{'p50 vs 1st':>10} {'p95 vs 1st':>10}")
    first = [v * 1000 for v in rows[0]["warm"]["stages"]["total"]] if rows else []
    for row in rows:
        r, w = row["restart"], row["warm"]
        totals = [v * 1000 for v in w["stages"]["total"]]
        print(f"{r['passages']:>9,} {r['documents']:>7,} {r['to_first_answer_s']:>9.2f} {r['peak_rss_mb']:>11.0f} "
              f"{percentile(totals, .5):>8.1f} {percentile(totals, .95):>8.1f} "
              f"x{percentile(totals, .5) / percentile(first, .5):>9.2f} x{percentile(totals, .95) / percentile(first, .95):>9.2f}")
    t = TARGETS_100K
    print(f"targets at 100k: restart to first answer <= {t['restart_s']} s, peak RSS <= {t['rss_mb']} MB, "
          f"answer p50 <= x{t['p50_vs_1k']} and p95 <= x{t['p95_vs_1k']} the 1k row's")


def _build_lines(b: dict) -> str:
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in b["phases"].items())
    totals = [v * 1000 for v in b["stages"]["total"]]
    lines = [
        f"  {b['passages']:,} passages in {b['documents']:,} documents; new-process start with empty index "
        f"{b['start_s']:.1f} s wall, {b['start_cpu_s']:.1f} s CPU",
        f"  phases: {phases}",
        f"  warm answer() over {len(totals)} new questions: p50 {percentile(totals, .5):.1f} ms, "
        f"p95 {percentile(totals, .95):.1f} ms; peak RSS {b['peak_rss_mb']:.0f} MB",
        "  in memory: " + ", ".join(f"{k} {v:,.1f}" if isinstance(v, float) else f"{k} {v:,}"
                                    for k, v in b["memory_mb"].items()) + " (MB; terms a count)",
        *stage_table(b["stages"], indent="    "),
    ]
    return "\n".join(lines)


def _restart_lines(r: dict) -> str:
    """The restart's stages, so whatever is still slow is named (nested stages are indented)."""
    lines = [f"  restart on the built index: first answer after {r['to_first_answer_s']:.2f} s, "
             f"{r['start_cpu_s']:.1f} s CPU to the engine, peak RSS {r['peak_rss_mb']:.0f} MB",
             f"    {'stage':<40}{'s':>7}",
             f"    {'imports (qa.engine)':<40}{r['import_s']:>7.2f}"]
    outer = {"corpus (read + segment)": "read + hash + title", "BM25 + keys": "keys + passages",
             "sync (all)": "chromadb import, collection, rest"}
    inner = {"segment (passage cache misses)": "corpus (read + segment)", "BM25 (saved counts or tokenize)": "BM25 + keys",
             "Chroma open": "sync (all)", "stored ids (Chroma get)": "sync (all)", "manifest writes": "sync (all)",
             "embed + store": "sync (all)", "vector cache read": "sync (all)", "load vectors from Chroma": "sync (all)",
             "HNSW probe query": "sync (all)"}
    phases = r["phases"]
    for phase, seconds in phases.items():
        if phase in inner:
            lines.append(f"      {phase:<38}{seconds:>7.2f}")
            continue
        lines.append(f"    {phase:<40}{seconds:>7.2f}")
        if phase in outer:  # what the wrapped inner stages leave of it, named as far as we know
            rest = seconds - sum(v for k, v in phases.items() if inner.get(k) == phase)
            lines.append(f"      {'(' + outer[phase] + ')':<38}{rest:>7.2f}")
    lines.append(f"    {'first answer (reader load included)':<40}{r['first_answer_s']:>7.2f}")
    return "\n".join(lines)


def print_table(rows: list[dict]) -> None:
    print("\nscaling table (SQuAD 2.0 dev paragraphs, repeated under new ids past ~5.2k passages)")
    head = (f"{'passages':>9} {'docs':>7} {'build s':>8} {'pass/s':>7} {'pass/CPU-s':>10} {'index MB':>9} "
            f"{'ans p50':>8} {'ans p95':>8} {'RSS MB':>7} {'restart s':>9} {'restart RSS':>11}")
    print(head)
    for row in rows:
        b, r = row["build"], row.get("restart")
        totals = [v * 1000 for v in b["stages"]["total"]]
        build_s = b["start_s"]
        print(
            f"{b['passages']:>9,} {b['documents']:>7,} {build_s:>8.1f} {b['passages'] / build_s:>7.0f} "
            f"{b['passages'] / b['start_cpu_s']:>10.0f} {b['index_mb']:>9.0f} {percentile(totals, .5):>8.1f} "
            f"{percentile(totals, .95):>8.1f} {b['peak_rss_mb']:>7.0f} "
            f"{(r['to_first_answer_s'] if r else float('nan')):>9.1f} {(r['peak_rss_mb'] if r else float('nan')):>11.0f}"
        )
    first = [v * 1000 for v in rows[0]["build"]["stages"]["total"]] if rows else []
    for row in rows[1:]:
        totals = [v * 1000 for v in row["build"]["stages"]["total"]]
        print(f"{row['build']['passages']:>9,} vs {rows[0]['build']['passages']:,}: answer p50 "
              f"x{percentile(totals, .5) / percentile(first, .5):.2f}, p95 x{percentile(totals, .95) / percentile(first, .95):.2f}")
    t = TARGETS_100K
    print(
        f"targets at 100k: restart to first answer <= {t['restart_s']} s, build >= {t['build_passages_per_s']} "
        f"passages/s, peak RSS <= {t['rss_mb']} MB, answer p50 <= x{t['p50_vs_1k']} and p95 <= x{t['p95_vs_1k']} "
        "the 1k row's"
    )
    print("build s: new process, empty index, model load included; pass/CPU-s: passages per CPU-second "
          "(less sensitive to other load); ans: warm answer() ms, new questions; restart: new process "
          "on the built index until its first answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=[",".join(map(str, DEFAULT_SIZES))],
                        help="passage counts, by spaces or commas: --sizes 1000 10000 or --sizes 1000,10000")
    parser.add_argument("--questions", type=int, default=60, help="timed questions per size")
    parser.add_argument("--no-restart", action="store_true", help="skip the restart measurement")
    parser.add_argument("--profile", action="store_true", help="write cProfile reports next to the indexes")
    parser.add_argument("--keep", type=Path, help="build under this folder and keep it")
    parser.add_argument("--reuse", type=Path, help="a folder an earlier --keep run left (qa-scale-XXXX): "
                        "measure restart and warm answers on its indexes, build nothing")
    parser.add_argument("--child", choices=["build", "restart", "warm"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--question-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.corpus, args.index, args.question_file, args.profile)))
        return
    sizes = [int(s) for arg in args.sizes for s in arg.split(",") if s]
    if args.reuse:
        print_reused_table(measure_reused(args.reuse, sizes))
        return
    rows = measure(sizes, args.questions, not args.no_restart, args.profile, args.keep)
    print_table(rows)


if __name__ == "__main__":
    main()
