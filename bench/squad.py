"""External benchmark: SQuAD 2.0 dev, held-out articles 30-35, asked through the real engine.

Each paragraph becomes one document (titled with its article's title) in a fresh corpus, so every
question is open retrieval over the held-out paragraphs, not reading one given paragraph. Prints
short-answer EM and F1 (official SQuAD normalisation) on answerable questions, overall EM/F1 with
every outcome but a short answer counted as the no-answer prediction, how often the first citation
contains a gold answer, no-answer precision/recall, and latency.

`--against REF` also asks the same questions of the engine as it was at git commit REF (checked
out into a temporary worktree and run in its own process), and prints the two side by side: the
gain of a new reader is measured in one run, on one machine, at one load.

Run: .venv/bin/python bench/squad.py [--squad PATH] [--sample N] [--seed S] [--against REF]
Exits 0 with a message when the SQuAD file is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from squad_data import (  # noqa: E402
    DEFAULT_SQUAD, FIT_ARTICLES, best_f1, exact, load_articles, normalize_answer, split, write_corpus,
)

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", default=str(DEFAULT_SQUAD))
    parser.add_argument("--sample", type=int, default=0, help="ask a fixed-seed sample of N questions (0 = all)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--against", metavar="REF", help="also run the engine of git commit REF, side by side")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object (for --against)")
    args = parser.parse_args()
    if not Path(args.squad).exists():
        print(f"SQuAD 2.0 dev not found at {args.squad}; skipping the external benchmark")
        return
    figures = measure(Path(args.squad), args.sample, args.seed)
    if args.json:
        print(json.dumps(figures))
        return
    columns = {"this tree": figures}
    if args.against:
        columns[args.against] = measure_at(args.against, args)
    print_table(columns)


def measure(squad: Path, sample: int, seed: int) -> dict:
    from qa.engine import Engine

    _, held_out = split(load_articles(squad))
    with tempfile.TemporaryDirectory() as tmp:
        questions = write_corpus(held_out, Path(tmp) / "corpus", first_index=FIT_ARTICLES)
        if sample and sample < len(questions):
            questions = random.Random(seed).sample(questions, sample)
        t0 = time.perf_counter()
        engine = Engine(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index")
        marking_every_guess(engine)
        build = time.perf_counter() - t0
        results = []
        for q in questions:
            t = time.perf_counter()
            a = engine.answer(q.question)
            results.append((q, a, (time.perf_counter() - t) * 1000))
    return figures_of(results, build, len(engine.corpus.documents), len(engine.corpus.passages))


def measure_at(ref: str, args) -> dict:
    """The same measurement with the `qa` package of commit `ref`, in a process of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), ref], check=True)
        try:
            # this measurement's own scripts, run from inside the old tree, so that `qa` is the old one
            for script in ("squad.py", "squad_data.py"):
                shutil.copy(Path(__file__).with_name(script), tree / "bench" / script)
            command = [sys.executable, str(tree / "bench" / "squad.py"), "--json", "--squad", args.squad,
                       "--sample", str(args.sample), "--seed", str(args.seed)]
            env = {**os.environ, "PYTHONPATH": str(tree)}
            done = subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True, text=True)
            return json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def figures_of(results, build_seconds: float, documents: int, passages: int) -> dict:
    answerable = [(q, a) for q, a, _ in results if q.answers]
    unanswerable = [(q, a) for q, a, _ in results if not q.answers]
    cited = [
        bool(a.citations) and any(normalize_answer(g) in normalize_answer(a.citations[0].text) for g in q.answers)
        for q, a in answerable
    ]
    overall = [
        (float(not a.answered), float(not a.answered)) if not q.answers else
        (float(a.answered and exact(a.answer, q.answers)), best_f1(a.answer, q.answers) if a.answered else 0.0)
        for q, a, _ in results
    ]
    abstained = [q for q, a, _ in results if not a.answered]
    latencies = sorted(ms for *_, ms in results)
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * (len(latencies) - 1)))]  # noqa: E731
    return {
        "corpus": f"held-out articles {FIT_ARTICLES + 1}-35: {documents} paragraphs as documents, {passages} "
                  f"sentence passages, index built in {build_seconds:.0f} s",
        "questions": f"{len(results)} ({len(answerable)} answerable, {len(unanswerable)} unanswerable)",
        "answerable: short-answer EM": round(100 * statistics.fmean(exact(a.answer or "", q.answers)
                                                                     for q, a in answerable), 1),
        "answerable: short-answer F1": round(100 * statistics.fmean(best_f1(a.answer or "", q.answers)
                                                                     for q, a in answerable), 1),
        "answerable: best span EM (before the threshold)": round(100 * statistics.fmean(
            exact(tentative(a) or "", q.answers) for q, a in answerable), 1),
        "answerable: best span F1 (before the threshold)": round(100 * statistics.fmean(
            best_f1(tentative(a) or "", q.answers) for q, a in answerable), 1),
        "answerable: first citation contains a gold answer": round(statistics.fmean(cited), 3),
        "answerable: answered (a short answer)": round(statistics.fmean(a.answered for _, a in answerable), 3),
        "all: EM (short answer or no-answer)": round(100 * statistics.fmean(o[0] for o in overall), 1),
        "all: F1 (short answer or no-answer)": round(100 * statistics.fmean(o[1] for o in overall), 1),
        "no-answer precision": round(sum(not q.answers for q in abstained) / len(abstained), 3) if abstained else 0.0,
        "no-answer recall": round(sum(not a.answered for _, a in unanswerable) / len(unanswerable), 3)
        if unanswerable else 0.0,
        "latency p50 (ms)": round(pct(0.5), 1),
        "latency p95 (ms)": round(pct(0.95), 1),
    }


def marking_every_guess(engine) -> None:
    """The best-span figures read the reader's span of every "passage" answer, also those below the
    guess cut that the page shows unmarked. An engine from before the guess cut marks them all."""
    from qa.select import Selector

    try:
        engine.selector = Selector(engine.reader, guess_cut=0.0)
    except TypeError:
        pass


def tentative(answer) -> str | None:
    """The short answer, or the span a "passage" answer marks as its tentative one."""
    if answer.answered:
        return answer.answer
    top = answer.citations[0] if answer.citations else None
    if top is None or getattr(top, "answer_start", None) is None:
        return None
    return top.text[top.answer_start - top.start : top.answer_end - top.start]


def print_table(columns: dict[str, dict]) -> None:
    first = next(iter(columns.values()))
    print(f"SQuAD 2.0 dev, {first['corpus']}")
    print(f"questions asked: {first['questions']}")
    names = list(columns)
    print(f"{'':<52}" + "".join(f"{n[:14]:>16}" for n in names))
    for key in first:
        if key in ("corpus", "questions"):
            continue
        print(f"{key:<52}" + "".join(f"{columns[n].get(key, float('nan')):>16}" for n in names))


if __name__ == "__main__":
    main()
