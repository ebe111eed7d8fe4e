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
