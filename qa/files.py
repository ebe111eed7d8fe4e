"""files: writing a file so that readers see the old one or the new one, never half of either."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside `target` to write to; it replaces `target` only if the block succeeds.

    The name is private to this process and thread, so two writers saving at once never interleave,
    and a crash (or a failed check inside the block) leaves `target` as it was.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomically(target: Path, text: str) -> None:
    with written_atomically(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
