"""Load: the real web app on a free loopback port, N concurrent users, a bounded number of questions.

Starts `python app.py --host 127.0.0.1 --port <free> --corpus <copy of the articles> --index <new
folder>`, then:
  1. asks half of the distinct questions one at a time (the sequential reference, caches cold),
  2. sends every scheduled question from N concurrent gradio_client users at once (the load),
  3. asks the other half one at a time (so half the load met cold caches, half warm ones),
and checks that every answer under load is identical to the sequential answer for the same question:
the `Answer` JSON of the app's `/answer` API endpoint, compared field for field. Nothing leaves
127.0.0.1: the app binds loopback and every client talks to that address.

Run: .venv/bin/python bench/load.py [--clients 16] [--questions 400] [--distinct 73] [--time-limit 600]
                                    [--corpus seeds/] [--index DIR]
Prints errors, mismatches, throughput and latency percentiles. Exit status 0 when every request
succeeded in time and matched its sequential answer, 1 otherwise. tests/test_load.py runs the same
code at a smaller size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

os.environ.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "regression" / "questions.jsonl"
SEEDS = ROOT / "seeds"
API_NAME = "/answer"  # qa/web.py: gr.api(answer_api, api_name="answer")
STARTUP_SECONDS = 240  # model load plus a fresh index build, on a busy machine
LOOPBACK = "127.0.0.1"
READY_LINE = "Ready for questions."  # app.py prints it once it serves and has answered its warm-up


# --- the app under test ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class AppProcess:
    """`python app.py` on a free loopback port, its output in a log file. A context manager."""

    def __init__(self, corpus: Path, index: Path, log: Path, extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRADIO_SERVER_")}
        env.update(HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", GRADIO_ANALYTICS_ENABLED="False",
                   ANONYMIZED_TELEMETRY="False")
        command = [sys.executable, str(ROOT / "app.py"), "--port", str(self.port),
                   "--corpus", str(corpus), "--index", str(index), *extra_args]
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def __enter__(self) -> AppProcess:
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_until_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.process.returncode}:\n{self.log_tail()}")
            if READY_LINE in self.log.read_text(encoding="utf-8", errors="replace"):  # served and warmed up
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            time.sleep(0.25)  # polling a starting server
        raise RuntimeError(f"app.py not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def log_tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]


# --- asking ------------------------------------------------------------------------------------------


def regression_questions(path: Path = QUESTIONS) -> list[str]:
    """The regression set's questions (answerable and not), in file order, without repeats."""
    questions = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(questions))


def new_client(url: str):
    """A gradio_client user of the app. Its telemetry thread is on unless switched off here (the
    constructor reads `analytics_enabled or $GRADIO_ANALYTICS_ENABLED == "True"`): it must stay off."""
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, analytics_enabled=False)


def ask_one_at_a_time(url: str, questions: list[str]) -> dict[str, dict]:
    client = new_client(url)
    try:
        return {q: client.predict(q, api_name=API_NAME) for q in questions}
    finally:
        client.close()


@dataclass
class LoadReport:
    clients: int
    scheduled: int
    distinct: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per completed request
    errors: list[str] = field(default_factory=list)  # failed or never sent in time
    mismatches: list[str] = field(default_factory=list)  # answered differently than sequentially
    wall_seconds: float = 0.0

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.completed / self.wall_seconds if self.wall_seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the request latencies (q in 0..1), in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]

    def lines(self) -> list[str]:
        return [
            f"load: {self.scheduled} requests ({self.distinct} distinct questions) from {self.clients} "
            f"concurrent clients on {LOOPBACK}",
            f"  completed {self.completed}, errors {len(self.errors)}, answers differing from sequential "
            f"{len(self.mismatches)}",
            f"  wall {self.wall_seconds:.1f} s, throughput {self.throughput:.2f} questions/s",
            f"  latency p50 {self.percentile_ms(.5):.0f} ms, p95 {self.percentile_ms(.95):.0f} ms, "
            f"max {self.percentile_ms(1):.0f} ms",
            *(f"  error: {e}" for e in self.errors[:10]),
            *(f"  mismatch: {m}" for m in self.mismatches[:10]),
        ]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.mismatches and self.completed == self.scheduled


def schedule(questions: list[str], total: int, seed: int = 7) -> list[str]:
    """`total` requests cycling through the questions, shuffled so that clients overlap on them."""
    jobs = [questions[i % len(questions)] for i in range(total)]
    random.Random(seed).shuffle(jobs)
    return jobs


def run_concurrently(url: str, jobs: list[str], clients: int, time_limit: float) -> tuple[LoadReport, dict]:
    """Every job sent once, by `clients` users at once; returns the report and the answers received."""
    report = LoadReport(clients=clients, scheduled=len(jobs), distinct=len(set(jobs)))
    received: list[tuple[str, dict]] = []
    lock = threading.Lock()
    shares = [jobs[i::clients] for i in range(clients)]
    users = [new_client(url) for _ in range(clients)]  # connect first: set-up is not load
    start = threading.Barrier(clients + 1)
    deadline: list[float] = []

    def user(client, share: list[str]) -> None:
        start.wait()
        for question in share:
            if time.monotonic() > deadline[0]:
                with lock:
                    report.errors.append(f"not sent within the {time_limit:.0f} s limit: {question!r}")
                continue
            t0 = time.perf_counter()
            try:
                answer = client.predict(question, api_name=API_NAME)
            except Exception as error:  # any failure is a finding, not a crash of the bench
                with lock:
                    report.errors.append(f"{type(error).__name__}: {str(error)[:200]} ({question!r})")
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                report.latencies.append(elapsed)
                received.append((question, answer))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(user, c, s) for c, s in zip(users, shares)]
        deadline.append(time.monotonic() + time_limit)
        t0 = time.perf_counter()
        start.wait()
        done, late = wait(futures, timeout=time_limit + 60)  # a request in flight may finish late
        report.wall_seconds = time.perf_counter() - t0
        if late:
            report.errors.append(f"{len(late)} clients still waiting for an answer after the time limit")
    for future in done:
        if future.exception():
            report.errors.append(f"client crashed: {future.exception()!r}")
    for client in users:
        client.close()
    return report, received


def compare(received: list[tuple[str, dict]], reference: dict[str, dict]) -> list[str]:
    mismatches = []
    for question, answer in received:
        if answer != reference[question]:
            changed = sorted(k for k in set(answer) | set(reference[question])
                             if answer.get(k) != reference[question].get(k))
            mismatches.append(f"{question!r}: fields {changed} differ from the sequential answer")
    return mismatches


def measure(url: str, questions: list[str], total: int, clients: int, time_limit: float) -> LoadReport:
    """Sequential reference for half the questions, the concurrent load, then the other half."""
    jobs = schedule(questions, total)
    asked = list(dict.fromkeys(jobs))
    reference = ask_one_at_a_time(url, asked[::2])
    report, received = run_concurrently(url, jobs, clients, time_limit)
    reference.update(ask_one_at_a_time(url, asked[1::2]))
    report.mismatches = compare(received, reference)
    return report


# --- the full run -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Concurrent load on the real web app over loopback.")
    parser.add_argument("--clients", type=int, default=16, help="concurrent users (default 16)")
    parser.add_argument("--questions", type=int, default=400, help="requests in all (default 400)")
    parser.add_argument("--distinct", type=int, default=0,
                        help="distinct questions to cycle through (default: the whole regression set)")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds for the load phase (default 600)")
    parser.add_argument("--corpus", type=Path, default=SEEDS, help="articles to serve (copied; default seeds/)")
    parser.add_argument("--index", type=Path, help="index folder (default: a new temporary one)")
    args = parser.parse_args(argv)

    questions = regression_questions()
    if args.distinct:
        questions = questions[: args.distinct]
    with tempfile.TemporaryDirectory(prefix="qa-load-") as tmp:
        corpus = Path(tmp) / "corpus"
        shutil.copytree(args.corpus, corpus)
        index = args.index or Path(tmp) / "index"
        started = time.perf_counter()
        with AppProcess(corpus, index, Path(tmp) / "app.log") as app:
            print(f"app ready on {app.url} in {time.perf_counter() - started:.1f} s", flush=True)
            report = measure(app.url, questions, args.questions, args.clients, args.time_limit)
        if report.errors:  # the app's side of the story: its traceback
            print(f"app log (last lines):\n{app.log_tail()}")
    one, five, _ = os.getloadavg()
    print("\n".join(report.lines()))
    print(f"  machine: {os.cpu_count()} cores, load average {one:.1f} (1 min), {five:.1f} (5 min)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
