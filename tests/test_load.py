"""Load: the real app on a free loopback port, 16 concurrent users, every answer as when asked alone.

This is bench/load.py at CI size: 64 requests cycling through 16 distinct regression questions, with
a time limit. `make bench` runs the same code at full size (400 requests). The figures (throughput,
p95 latency, errors) are printed to the terminal even when pytest captures output.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
CLIENTS = 16
REQUESTS = 64
DISTINCT = 16
TIME_LIMIT_SECONDS = 180


from helpers import import_bench_load  # noqa: E402

load = import_bench_load()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`python app.py` over a copy of the seed articles, with its own new index."""
    tmp = tmp_path_factory.mktemp("load-app")
    shutil.copytree(PROJECT / "seeds", tmp / "corpus")
    with load.AppProcess(tmp / "corpus", tmp / "index", tmp / "app.log") as running:
        yield running


@pytest.fixture
def loopback_only(monkeypatch) -> list:
    """Refuses, and lists, every connection this process opens to an address other than loopback."""
    refused = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def outside(sock, address) -> bool:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return False
        try:
            return not ipaddress.ip_address(address[0]).is_loopback
        except ValueError:  # a name, not an address: not resolved here, so it would go out
            return True

    def connect(sock, address):
        if outside(sock, address):
            refused.append(address)
            raise ConnectionRefusedError(f"test: no traffic may leave loopback ({address})")
        return real_connect(sock, address)

    def connect_ex(sock, address):
        if outside(sock, address):
            refused.append(address)
            return 111  # ECONNREFUSED
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return refused


def spread_out(questions: list[str], n: int) -> list[str]:
    """n questions evenly spaced over the set, first to last: the file lists the answerable ones
    first and the unanswerable ones last, so both kinds are asked."""
    return [questions[round(i * (len(questions) - 1) / (n - 1))] for i in range(n)]


def fresh_words(n: int) -> list[str]:
    """Made-up words no earlier test has stemmed (the stem cache would hide the stemmer), with
    suffixes that give the stemmer work."""
    suffixes = ["ing", "ed", "ations", "ness", "ively", "ments", "ational", "fulness"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = []
    for i in range(n):
        core = "".join(letters[(i // 26**k) % 26] for k in range(3))
        words.append(f"zq{core}x{suffixes[i % len(suffixes)]}")
    return words


def test_the_bm25_tokenizer_gives_the_same_terms_from_many_threads_at_once():
    # Found by the load test: the app tokenizes several questions at once, and one shared snowball
    # stemmer gave one thread's word another thread's stem ("introduced" -> "advanc") or an IndexError.
    import snowballstemmer

    from qa.tokens import tokenize

    words = fresh_words(4000)
    texts = [" ".join(words[i : i + 8]) for i in range(0, len(words), 8)]
    alone = snowballstemmer.stemmer("english")  # the expected terms, from a stemmer no one else uses
    expected = [[alone.stemWord(w) for w in text.split()] for text in texts]

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to give a race every chance
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(tokenize, texts))
    finally:
        sys.setswitchinterval(switch)
    assert got == expected


@pytest.mark.slow
def test_sixteen_concurrent_users_get_exactly_the_sequential_answers_without_errors(app, loopback_only, capsys):
    questions = spread_out(load.regression_questions(), DISTINCT)
    report = load.measure(app.url, questions, total=REQUESTS, clients=CLIENTS, time_limit=TIME_LIMIT_SECONDS)
    with capsys.disabled():
        print("\n" + "\n".join(report.lines()))

    assert report.errors == []
    assert report.mismatches == []
    assert report.completed == REQUESTS
    assert loopback_only == []
