"""Shared helpers of the benchmarks: percentiles, min/median/max lines, peak RSS, per-stage timers.

Benchmarks print figures and never assert: on a 2-core machine shared with other work every number
is noisy, which is why each one comes from several repetitions.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests/regression/questions.jsonl"
BENCH_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}


def bench_env() -> dict[str, str]:
    """The environment for child processes: offline, no telemetry, the project importable."""
    env = {**os.environ, **BENCH_ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


os.environ.update(BENCH_ENV)


def auroc(scores, positive) -> float:
    """The chance that a random positive scores above a random negative (ties count half)."""
    import numpy as np

    scores, positive = np.asarray(scores, dtype=float), np.asarray(positive, dtype=bool)
    pos, neg = scores[positive], scores[~positive]
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    """'median (min .. max)' of repeated measurements."""
    if not values:
        return "-"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))} .. {fmt.format(max(values))})"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB.

    VmHWM, not getrusage: Linux carries ru_maxrss across fork+exec, so a child started by a big
    parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def run_child(args: list[str], timeout: float | None = None) -> str:
    """Run a Python child with the bench environment; its last stdout line is the result."""
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=bench_env(), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def forget_query_caches(engine) -> None:
    """Make the next question cost what a question never asked before costs: the embedder caches
    query vectors because users repeat questions."""
    engine.embedder.queries.clear()


class StageTimer:
    """Wall time per stage of `Engine.answer`, measured by wrapping the stages' own methods on this
    engine's objects (nothing is re-implemented here):

        retrieve engine.retriever.retrieve, of which
          embed    engine.embedder.encode_query
          bm25     index.bm25.score_array (BM25 over the postings; only calls made inside retrieve)
          chroma   index.dense_search
        select   engine.selector.select (the reader and the answer scorer)
        agree    engine.agreement.mark (each source's own reading)

    Nested calls are charged to the innermost stage and subtracted from the outer one.
    """

    OUTER = ("embed", "retrieve", "select", "agree")

    def __init__(self, engine):
        self.engine = engine
        self.samples: dict[str, list[float]] = defaultdict(list)
        self._current: dict[str, float] = defaultdict(float)
        self._stack: list[str] = []
        self._undo: list = []

    def _wrap(self, owner, name: str, stage: str, only_inside: str | None = None) -> None:
        original = getattr(owner, name)
        timer = self

        def timed(*args, **kwargs):
            if only_inside and (not timer._stack or timer._stack[-1] != only_inside):
                return original(*args, **kwargs)
            timer._stack.append(stage)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t0
                timer._stack.pop()
                timer._current[stage] += elapsed
                if timer._stack:
                    timer._current[timer._stack[-1]] -= elapsed

        had_own = name in vars(owner)  # module function or instance attribute, not a class method
        setattr(owner, name, timed)
        self._undo.append((owner, name, original, had_own))

    def __enter__(self):
        index = self.engine.index
        self._wrap(self.engine.embedder, "encode_query", "embed")
        self._wrap(self.engine.retriever, "retrieve", "retrieve")
        self._wrap(index.bm25, "score_array", "bm25", only_inside="retrieve")
        self._wrap(index, "dense_search", "chroma", only_inside="retrieve")
        self._wrap(self.engine.selector, "select", "select")
        self._wrap(self.engine.agreement, "mark", "agree")
        return self

    def __exit__(self, *exc):
        for owner, name, original, had_own in reversed(self._undo):
            if had_own:
                setattr(owner, name, original)
            else:  # we shadowed a class method on an instance: let the method show through again
                delattr(owner, name)
        self._undo.clear()
        return False

    def answer(self, question: str):
        """One engine.answer with its stage times recorded; returns (answer, total seconds)."""
        self._current.clear()
        t0 = time.perf_counter()
        result = self.engine.answer(question)
        total = time.perf_counter() - t0
        for stage in (*self.OUTER, "bm25", "chroma"):
            self.samples[stage].append(self._current.get(stage, 0.0))
        self.samples["total"].append(total)
        self.samples["other"].append(total - sum(self._current.values()))
        return result, total


STAGE_LABELS = {
    "embed": "query embedding",
    "bm25": "BM25 (in retrieve)",
    "chroma": "Chroma query",
    "retrieve": "rest of retrieve (fusion)",
    "select": "selection",
    "agree": "agreement",
    "other": "engine glue",
    "total": "answer() total",
}


def stage_table(samples: dict[str, list[float]], indent: str = "  ") -> list[str]:
    lines = [f"{indent}{'stage':<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
    for stage in ("embed", "bm25", "chroma", "retrieve", "select", "agree", "other", "total"):
        values = [v * 1000 for v in samples.get(stage, [])]
        if values:
            lines.append(
                f"{indent}{STAGE_LABELS[stage]:<28}{percentile(values, .5):>9.2f}"
                f"{percentile(values, .95):>9.2f}{max(values):>9.2f}"
            )
    return lines
