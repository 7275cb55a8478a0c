"""Which logs changed since the last scan, and reading what changed in each.

For each log file the store remembers (inode, size, mtime, byte offset, the
first bytes, the parser's state). A file whose stat is unchanged costs one
``stat``; a grown file is read from its offset up to its last complete line, so
a line the assistant is still writing waits for the next scan. A file that
shrank, was replaced (new inode) or rewritten (different first bytes) is read
again from the start. Documents and databases are read whole (``Source.layout``).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from ..config import Config
from ..models import Batch
from ..sources import SOURCES, Source
from ._redact import without_secrets

HEAD_BYTES = 64


class Known(NamedTuple):
    inode: int
    size: int
    mtime_ns: int
    offset: int
    head: bytes | None
    state: bytes | None


class Stat(NamedTuple):
    """What decides whether a log changed since the last scan: ``os.stat_result``'s
    fields of that name, so a plain ``os.stat`` answers for a log that is not a database."""

    st_ino: int
    st_size: int
    st_mtime_ns: int


class Work(NamedTuple):
    source: Source
    path: Path
    stat: Stat
    offset: int
    state: bytes | None


def roots(
    config: Config, env: Mapping[str, str], home: Path, warnings: list[str] | None = None
) -> Iterator[tuple[Source, list[Path]]]:
    """Every enabled source with the directories it reads: its standard ones
    (which may not exist yet) and those the config adds (which must)."""
    for source in SOURCES:
        settings = config.source(source.provider)
        if not settings.enabled:
            continue
        found = source.default_roots(env, home)
        for root in settings.paths:
            if not root.is_dir():
                warning = f"sources.{source.provider}.paths: {root} is not a directory"
                if warnings is not None and warning not in warnings:  # one provider may be two sources
                    warnings.append(warning)
                continue
            found.append(root)
        yield source, found


def discover(
    config: Config, env: Mapping[str, str], home: Path, warnings: list[str]
) -> Iterator[tuple[Source, str]]:
    """Every log of every enabled source, once, unless an ignore pattern matches its path."""
    ignore = config.session_discovery.ignore_patterns
    for source, source_roots in roots(config, env, home, warnings):
        seen: set[str] = set()
        for root in source_roots:
            for path in source.discover(root):
                if path in seen or (ignore and any(fnmatch.fnmatch(path, p) for p in ignore)):
                    continue
                seen.add(path)
                yield source, path


def stat(source: Source, path: str) -> Stat | os.stat_result:
    """The file's stat; for a database, with its write-ahead log folded in.

    A program holding a SQLite database in WAL mode writes to ``-wal`` and
    leaves the main file untouched until a checkpoint. Other logs get the plain
    ``os.stat``: most are unchanged, and need no ``Stat`` built.
    """
    st = os.stat(path)
    if source.layout != "sqlite":
        return st
    try:
        wal = os.stat(f"{path}-wal")
    except OSError:
        return Stat(st.st_ino, st.st_size, st.st_mtime_ns)
    if not wal.st_size:  # an empty log, which any reader (ours too) may leave behind, holds nothing
        return Stat(st.st_ino, st.st_size, st.st_mtime_ns)
    return Stat(st.st_ino, st.st_size + wal.st_size, max(st.st_mtime_ns, wal.st_mtime_ns))


def start(source: Source, path: Path, st: Stat, old: Known | None) -> tuple[int, bytes | None]:
    """Where to read a changed log from, and the parser state to resume with.

    Lines resume at their offset; a document is read whole, afresh; a database
    is read whole but keeps its state, so its source can skip what it read
    before (Cursor's composers whose update time did not move).
    """
    if source.layout == "lines":
        return _resume_point(path, st, old)
    if source.layout == "sqlite" and old is not None and old.inode == st.st_ino:
        return 0, old.state
    return 0, None


def _resume_point(path: Path, st: Stat, old: Known | None) -> tuple[int, bytes | None]:
    """Where to continue reading ``path``: its old offset, or 0 if it was replaced."""
    if old is None or st.st_ino != old.inode or st.st_size < old.offset:
        return 0, None
    if old.head:
        with path.open("rb") as f:
            if f.read(len(old.head)) != old.head:
                return 0, None
    return old.offset, old.state


def read(item: Work) -> tuple[Batch, tuple]:
    """Parse what changed in one file: the lines appended since its offset,
    or the whole of a document or database (see ``Source.layout``)."""
    layout = item.source.layout
    if layout == "sqlite":
        head, end = None, item.stat.st_size
        batch = item.source.parse(item.path, b"", item.state)
    else:
        with item.path.open("rb") as f:
            head = f.read(HEAD_BYTES)
            f.seek(item.offset)
            data = f.read(item.stat.st_size - item.offset)
        # A half-written last line waits for the next scan; a document is
        # rewritten whole, and one caught mid-write fails to parse and is
        # read again when its stat changes.
        end = data.rfind(b"\n") + 1 if layout == "lines" else len(data)
        if end:
            batch = item.source.parse(item.path, data[:end], item.state)
        else:
            batch = Batch(item.state)
    batch = without_secrets(batch)
    file_row = (
        str(item.path),
        item.source.provider,
        item.stat.st_ino,
        item.stat.st_size,
        item.stat.st_mtime_ns,
        item.offset + end,
        head,
        batch.state,
    )
    return batch, file_row
