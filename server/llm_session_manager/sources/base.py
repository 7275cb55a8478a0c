"""What every assistant's log reader provides to ingest.

A source knows where its assistant writes logs and how to turn a chunk of
complete lines into rows. It never touches the store and never remembers
anything between calls except through ``Batch.state``, which ingest keeps per
file; that is what makes reading only the appended bytes safe.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import msgspec

from ..models import Batch

T = TypeVar("T")

# What decoding a malformed record raises: counted as malformed, never fatal.
DECODE_ERRORS = (msgspec.MsgspecError, UnicodeDecodeError)
SNIFF_BYTES = 4096  # how much of a file tells which export it is

Layout = Literal["lines", "document", "sqlite"]


class Source(Protocol):
    provider: str  # one of models.PROVIDERS
    exact: bool  # True when token counts come from the assistant's own usage numbers
    # How the assistant writes its log, which decides what ingest hands ``parse``:
    #   "lines":    appended JSON lines; only the complete lines added since the
    #               last scan, with the state the previous chunk returned.
    #   "document": a file rewritten in place (one JSON document); the whole
    #               file each time it changes, with state None.
    #   "sqlite":   a database another program keeps open; no bytes at all (b""):
    #               the source opens it read-only itself, with the state it
    #               returned last time. Its ``-wal`` file counts as part of it
    #               when deciding whether it changed. A database it cannot
    #               read now (locked) raises OSError: it is read again next scan.
    # Re-reading a document or a database must yield the same keys, so the
    # store's upserts make it harmless.
    layout: Layout
    # Whether ``serve`` watches the roots for changes. False where they are broad
    # trees (Aider's project directories); the periodic scan still reads them.
    watched: bool

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        """The assistant's standard data directories, honouring its own env vars."""
        ...

    def discover(self, root: Path) -> Iterable[str]:
        """Every log file under one data directory; nothing if it does not exist.

        Paths as strings, not ``Path``s: a rescan lists every log and finds most
        unchanged, so ingest builds a ``Path`` only for the few it reads.
        """
        ...

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        """Rows from ``data``: what ``layout`` says ingest hands over of ``path``.

        For "lines", ``state`` is the ``Batch.state`` this source returned for
        the previous chunk of the same file (``None`` at offset 0); for
        "sqlite", the state of its previous read. Malformed
        records are counted in ``Batch.malformed`` and skipped, never raised.
        """
        ...


def find_files(top: Path, wanted: Callable[[str], bool]) -> list[str]:
    """Files under ``top`` whose name is ``wanted``, in the order of sorted ``Path``s.

    ``os.scandir`` knows file types from the directory listing, so unlike
    ``Path.rglob`` it costs no ``stat`` per file: a rescan with nothing new is
    dominated by this walk and the one ``stat`` ingest does per log. Sorting
    each directory's listing as it is walked gives that order without a sort
    key per path. An unreadable directory is skipped, like a missing one.
    """
    found: list[str] = []
    # Directories still to list, and runs of files listed already that come after
    # an earlier directory's contents: the next in order is last.
    pending: list[str | list[str]] = [os.fspath(top)]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            found += item
            continue
        files, dirs = _listing(item, wanted)
        if not dirs:  # the usual case: a directory of logs
            found += files
            continue
        # Siblings' paths differ only in their names, so they sort as their names
        # do, and a directory's contents go where its name sorts among its files.
        after: list[str | list[str]] = []
        i = 0
        for d in dirs:
            j = bisect_left(files, d, i)
            after += (files[i:j], d)
            i = j
        after.append(files[i:])
        pending += reversed(after)
    return found


def _listing(directory: str, wanted: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """The ``wanted`` files and the subdirectories (not links to them) in ``directory``, each sorted."""
    files: list[str] = []
    dirs: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    dirs.append(entry.path)
                elif wanted(entry.name) and entry.is_file():
                    files.append(entry.path)
    except OSError:
        pass  # what was listed before the error still counts
    files.sort()
    dirs.sort()
    return files, dirs


def utc_seconds(text: str) -> float:
    """Unix seconds of an ISO 8601 date-time; one without a zone is UTC, as the
    databases and exports that leave it out mean. ValueError if it is none."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def decode_state(decoder: msgspec.msgpack.Decoder[T], state: bytes | None) -> T | None:
    """The state a source saved after its last read, or None: none yet, or one
    written by another version (the source then reads from the start; row keys
    make that harmless)."""
    if not state:
        return None
    try:
        return decoder.decode(state)
    except DECODE_ERRORS:
        return None


def find_sniffed(top: Path, suffix: str, sniff: Callable[[bytes], bool]) -> Iterator[str]:
    """Files under ``top`` ending in ``suffix`` whose first bytes ``sniff`` recognises.

    For exports, which sit wherever the user unzipped them under any name.
    """
    for path in find_files(top, lambda name: name.lower().endswith(suffix)):
        try:
            with open(path, "rb") as f:
                head = f.read(SNIFF_BYTES)
        except OSError:
            continue
        if sniff(head):
            yield path
