"""Every stopped session's ``list --json`` part as one block in a file beside the store.

Read out of the store, the 20,000 parts of a large history are 20 MB copied
three times (SQLite's buffer, its result, the joined document) on every
``list --json``. Kept in a file, the block goes to standard output with
``sendfile`` and no copy in this process. The file opens with one JSON line
saying what it was made from: the store's ``session_json_generation`` (moved
on by every change of ``session_json``, migration 036), the first part's
session and the number of parts (which stopped sessions it holds: the moment a
session counts as stopped moves with the clock), and the sessions among them
with an unpriced response. A file whose line disagrees with the store is made
again; one that cannot be written only makes the next listing slower.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO, NamedTuple

import apsw
import msgspec

NAME = "list-kept.json"
GENERATION = "session_json_generation"  # in ``meta``


class Block(NamedTuple):
    """The block's bytes in an open file: what ``list --json`` writes without reading them."""

    file: BinaryIO
    offset: int
    length: int

    def read(self) -> bytes:
        return os.pread(self.file.fileno(), self.length, self.offset)


class Made(msgspec.Struct, array_like=True):
    """The file's first line."""

    generation: int
    first: tuple[float, str] | None  # the first part's (last activity, session id); None: no part
    count: int
    unpriced: list[str]


def path_of(conn: apsw.Connection) -> Path | None:
    """Where ``conn``'s store keeps its block, or None for a store in memory."""
    return Path(conn.filename).with_name(NAME) if conn.filename else None


def generation(conn: apsw.Connection) -> int | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (GENERATION,)).fetchone()
    return int(row[0]) if row else None


def open_kept(path: Path, generation: int, first: tuple[float, str] | None) -> tuple[Block, Made] | None:
    """The block kept at ``path`` and what it was made from, if that was this ``generation``
    of the parts with ``first`` first; else None."""
    try:
        file = open(path, "rb")  # noqa: SIM115 -- written from by the caller, closed with the process
    except OSError:
        return None
    line = file.readline(1 << 20)
    try:
        made = msgspec.json.decode(line, type=Made)
    except msgspec.DecodeError:
        made = None
    if made is None or made.generation != generation or made.first != first:
        file.close()
        return None
    return Block(file, len(line), os.fstat(file.fileno()).st_size - len(line)), made


def keep(path: Path, made: Made, block: bytes) -> None:
    """Write the file atomically; a reader holds either the old file or this one, whole."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as out:
            out.write(msgspec.json.encode(made) + b"\n")
            out.write(block)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
