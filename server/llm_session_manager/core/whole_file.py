"""Files written whole or not at all.

A file another process may read at any moment (where ``serve`` listens, the team
link, a resume pack's transcript) or that is kept between runs to make the next
one faster (the tokenizer's decoded ranks, the source plugins' lookup, the
config's YAML as parsed, large ``--json`` documents) is written to a temporary
file beside it and renamed over it: a reader holds either the old file or the
new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path


def write(path: Path, chunks: Iterable[bytes], *, mode: int = 0o600, parents: bool = False) -> None:
    """``chunks`` as the file ``path``, created with ``mode`` (less the umask); ``parents``: make
    the missing directories above it. An ``OSError`` leaves ``path`` as it was, and no temporary file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        if parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with open(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_cache(path: Path, chunks: Iterable[bytes], *, mode: int = 0o600, parents: bool = False) -> bool:
    """``write`` for a cache: one that cannot be written only makes the next run slower (False).
    Without ``parents`` a missing directory writes nothing: the data dir is never made for a cache."""
    try:
        write(path, chunks, mode=mode, parents=parents)
    except OSError:
        return False
    return True
