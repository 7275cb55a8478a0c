"""A cache file written whole or not at all.

Several things are kept between runs only to make the next run faster: the
tokenizer's decoded ranks, the source plugins' lookup, the config's YAML as
parsed, large ``--json`` documents. Each is written to a temporary file beside
it and renamed over it, so a reader (another process, maybe this moment) holds
either the old file or the new one, never half of one. One that cannot be
written is left as it was: the next run is only slower.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path


def write(path: Path, chunks: Iterable[bytes], *, mode: int = 0o600, parents: bool = False) -> bool:
    """``chunks`` as the file ``path`` (created with ``mode``, less the umask); whether it was written.

    ``parents``: make the missing directories above it (a cache directory); else a
    missing directory means nothing is written (the data dir is never made for a cache).
    """
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
        return False
    return True
