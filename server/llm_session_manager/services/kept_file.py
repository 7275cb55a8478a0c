"""Large ``--json`` documents kept as files beside the store, written out by the kernel.

At 20,000 sessions ``list --json`` is 20 MB and ``usage --by session --json``
7 MB, nearly always the same as last time. Made afresh, or copied out of the
store, each costs more than the rest of its command; kept in a file, the
document goes to standard output with ``sendfile`` and no copy in this process
(``frontends/cli/_context.write_pieces``). A file opens with one JSON line
saying what it was made from; its reader decodes that line and uses the file
only if the store still says the same (services/session_listing.py,
services/usage_kept.py). Files are replaced whole, so a reader holds either the
old file or the new one; one that cannot be written only makes the next call
slower.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeVar

import apsw
import msgspec

from ..core import whole_file

T = TypeVar("T")


class Block(NamedTuple):
    """Bytes in an open file: what a command writes without reading them."""

    file: BinaryIO
    offset: int
    length: int

    def read(self) -> bytes:
        return os.pread(self.file.fileno(), self.length, self.offset)


def joined(pieces: list[bytes | Block]) -> bytes:
    """A document in pieces as one bytes object (for callers that want it whole)."""
    return b"".join(p if isinstance(p, bytes) else p.read() for p in pieces)


def path_of(conn: apsw.Connection, name: str) -> Path | None:
    """Where ``conn``'s store keeps the file ``name``, or None for a store in memory."""
    return Path(conn.filename).with_name(name) if conn.filename else None


def meta_int(conn: apsw.Connection, key: str) -> int | None:
    """A counter the store keeps in ``meta`` (a migration makes it), or None."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else None


def open_kept(path: Path, header: type[T]) -> tuple[T, Block] | None:
    """The file's first line as ``header`` and the rest as a block; None without a readable one."""
    try:
        file = open(path, "rb")  # noqa: SIM115 -- written from by the caller, closed with the process
    except OSError:
        return None
    line = file.readline(1 << 20)
    try:
        made = msgspec.json.decode(line, type=header)
    except msgspec.DecodeError:
        file.close()
        return None
    return made, Block(file, len(line), os.fstat(file.fileno()).st_size - len(line))


def keep(path: Path, header: msgspec.Struct, body: bytes) -> None:
    """Write the file (mode 0600, like the store): ``header`` as its first line, then ``body``."""
    whole_file.write_cache(path, (msgspec.json.encode(header) + b"\n", body), mode=0o600)
