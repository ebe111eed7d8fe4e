"""Things several test files share: a hostile article, and the load benchmark's app driver."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# Markup that would run script if any page or API rendered article text as HTML.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_ARTICLE = f"""Orlova {IMG} lithium deal signed in Veltria

The Orlova Mining Company signed a lithium deal with the government of Veltria on Monday.
The Orlova lithium deal is worth 3.2 billion euros {SCRIPT} according to the Veltrian mining ministry.
Officials said the new mine {IMG} near Kestrel Bay will open in 2027.
"""


def import_bench_load():
    """bench/load.py as a module: its AppProcess starts the real app."""
    return import_bench("load")


def import_bench(name: str):
    """bench/<name>.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", PROJECT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def bm25_scores(bm25, query_terms: list[str]) -> dict[int, float]:
    """BM25 score of every passage holding at least one query term, by row (from `score_array`)."""
    total, rows = bm25.score_array(query_terms)
    return dict(zip(rows.tolist(), total[rows].tolist()))


def refuse_to_open(monkeypatch, path: Path) -> None:
    """Fault injection: opening `path` fails with EACCES, as for a file we may not read (chmod 000
    does not stop root, who runs these tests)."""
    import builtins
    import errno
    import os

    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(file) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)


# Two stories in one folder: a bank and a ferry operator, each with a chief executive (and, with cuts,
# a number of jobs cut).
BANK_STORY = """Nordhavn Bank to cut 350 branch jobs

Nordhavn Bank, Denmark's third-largest lender, said on Tuesday it would close 40 branches and cut 350 jobs by the end of the year.

The bank said more of its customers now use mobile banking than visit a branch.

Chief executive Mette Larsen said the bank remained cautious about the second half of the year.

Shares in Nordhavn rose 4.3 percent in Copenhagen after the announcement.
"""

FERRY_STORY = """Baltic Lines orders two electric ferries

Baltic Lines, the Swedish ferry operator, has ordered two battery-powered ferries from a shipyard in Gdansk for 160 million euros.

Chief executive Henrik Lund of Baltic Lines said the ferries would cut the company's fuel bill by a third.

The ships will enter service on the Stockholm to Turku route in 2027.

Baltic Lines carried 3.1 million passengers last year.
"""

FERRY_STORY_WITH_CUTS = FERRY_STORY + """
The operator also said it would cut 120 jobs at its head office by the end of the year.
"""
