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
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import msgspec

from ..core.models import Batch
from . import listings

if TYPE_CHECKING:  # bytes, or msgspec.Raw (collections.abc.Buffer from Python 3.12)
    from typing_extensions import Buffer

T = TypeVar("T")

# What decoding a malformed record raises: counted as malformed, never fatal.
# msgspec raises RecursionError for JSON nested deeper than Python's recursion limit.
DECODE_ERRORS = (msgspec.MsgspecError, UnicodeDecodeError, RecursionError)
SNIFF_BYTES = 4096  # how much of a file tells which export it is

Layout = Literal["lines", "document", "sqlite"]

# Where ``warn`` puts what discovery could not read: the running scan's warnings.
_warnings: ContextVar[list[str] | None] = ContextVar("discovery_warnings", default=None)


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

    # Optional: ``parse_usage(path, data, state) -> Batch``, ``parse`` without the
    # messages and file references (sessions, usage, state and malformed count the
    # same), for a first ``usage`` that stores the conversation later
    # (``ingest._files.read``). Claude Code has it. And ``prepare()``: load what
    # ``parse`` imports on first use, called before a first scan forks its parse workers.


def find_files(top: Path, wanted: Callable[[str], bool]) -> list[str]:
    """Files under ``top`` whose name is ``wanted``, in the order of sorted ``Path``s.

    ``os.scandir`` knows file types from the directory listing, so unlike
    ``Path.rglob`` it costs no ``stat`` per file: a rescan with nothing new is
    dominated by this walk and the one ``stat`` ingest does per log. Sorting
    each directory's listing as it is walked gives that order without a sort
    key per path. Links to directories are followed (people link projects kept
    elsewhere), except one leading back up its own path: that loop gets a
    warning (``warn``) and the rest of the walk goes on. In a scan that keeps
    listings (``listings``), a directory whose stat has not moved is not listed again.
    """
    found: list[str] = []
    # Directories still to list, each with the real paths of the directories its
    # links came from (and of the top, once a link is met); and runs of files listed already that come after an
    # earlier directory's contents: the next in order is last.
    start = os.fspath(top)
    kept = listings.active()
    pending: list[tuple[str, frozenset[str]] | list[str]] = [(start, frozenset())]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            found += item
            continue
        directory, came_through = item
        if kept is None:
            files, dirs, links, _ = _listing(directory, wanted)
        else:
            files, dirs, links = kept.listing(directory, partial(_listing, directory, wanted))
        if not dirs and not links:  # the usual case: a directory of logs
            found += files
            continue
        below = [(d, came_through) for d in dirs]
        if links:
            # The top's own real path is looked up only now: links are rare.
            came_through = came_through or frozenset((os.path.realpath(start),))
            below = sorted(below + _followed(directory, links, came_through))
        # Siblings' paths differ only in their names, so they sort as their names
        # do, and a directory's contents go where its name sorts among its files.
        after: list[tuple[str, frozenset[str]] | list[str]] = []
        i = 0
        for d in below:
            j = bisect_left(files, d[0], i)
            after += (files[i:j], d)
            i = j
        after.append(files[i:])
        pending += reversed(after)
    return found


def _listing(directory: str, wanted: Callable[[str], bool]) -> tuple[list[str], list[str], list[str], bool]:
    """The ``wanted`` files, the subdirectories and the links to directories in
    ``directory``, each sorted, and whether that went without a warning. A link
    that loops on itself is a warning; an unreadable directory is one too
    (``list_dir``)."""
    files: list[str] = []
    dirs: list[str] = []
    links: list[str] = []
    entries = _entries(directory)
    quiet = entries is not None
    for entry in entries or ():
        try:
            if entry.is_dir(follow_symlinks=False):
                dirs.append(entry.path)
            elif entry.is_symlink() and entry.is_dir():
                links.append(entry.path)
            elif wanted(entry.name) and entry.is_file():
                files.append(entry.path)
        except OSError as e:  # a link to itself, or two links to each other (ELOOP)
            warn(f"{entry.path}: {e.strerror or e}; skipped")
            quiet = False
    files.sort()
    dirs.sort()
    return files, dirs, links, quiet


def _followed(
    directory: str, links: list[str], came_through: frozenset[str]
) -> list[tuple[str, frozenset[str]]]:
    """The ``links`` (to directories) worth following from ``directory``, each with
    the real directories its walk came through: not those leading back to one of
    them or to a directory above, which would never end."""
    here = os.path.realpath(directory)
    followed = []
    for link in links:
        target = os.path.realpath(link)
        if target in came_through or here == target or here.startswith(target.rstrip(os.sep) + os.sep):
            warn(f"{link}: a symbolic link loop (it leads back to {target}); not followed")
        else:
            followed.append((link, came_through | {target}))
    return followed


def subdirs(directory: str) -> list[str]:
    """The directories in ``directory`` (links to them too), sorted; one level, so a
    link cannot loop here, but one that loops on itself is a warning."""
    found = []
    for entry in list_dir(directory):
        try:
            if entry.is_dir():
                found.append(entry.path)
        except OSError as e:
            warn(f"{entry.path}: {e.strerror or e}; skipped")
    found.sort()
    return found


def list_dir(directory: str) -> list[os.DirEntry[str]]:
    """The entries of ``directory``: none if it does not exist (the assistant is
    not installed), none and a warning if it cannot be read."""
    return _entries(directory) or []


def _entries(directory: str) -> list[os.DirEntry[str]] | None:
    """``list_dir``, but None (after the warning) for a directory that cannot be read."""
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as e:
        warn(f"cannot list {directory}: {e.strerror or e}; its logs are skipped")
        return None


@contextmanager
def warnings_into(sink: list[str]) -> Iterator[None]:
    """Collect what ``warn`` says meanwhile (in this thread) into ``sink``.

    Discovery runs deep in each source's own walk; this spares every
    ``discover`` and the helpers under it a parameter only their errors use.
    """
    token = _warnings.set(sink)
    try:
        yield
    finally:
        _warnings.reset(token)


def warn(message: str) -> None:
    """One line on something a scan skipped (an unreadable directory, a link loop):
    into the running scan's warnings, once, else logged."""
    sink = _warnings.get()
    if sink is None:
        import logging  # only here: a status line reading one log does not pay for it

        logging.getLogger(__name__).warning("%s", message)
    elif message not in sink:
        sink.append(message)


def utc_seconds(text: str) -> float:
    """Unix seconds of an ISO 8601 date-time; one without a zone is UTC, as the
    databases and exports that leave it out mean. ValueError if it is none."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def decode_replacing(decode: Callable[[str], T], line: Buffer) -> T:
    """``decode(line)`` for a line whose first decode failed: again with every byte
    that is not UTF-8 replaced (U+FFFD). One bad byte in a message's text must not
    cost the line its usage; valid lines never come here, so they stay on msgspec's
    fast path from bytes. A line that still fails raises the decoder's error."""
    return decode(str(line, "utf-8", "replace"))


def decode_lenient(decode: Callable[[Any], T], data: Buffer) -> T:
    """``decode(data)``, and if that fails, ``decode_replacing``: for a document or
    a record, where a call more than a hot loop's inline ``try`` costs nothing."""
    try:
        return decode(data)
    except DECODE_ERRORS:
        return decode_replacing(decode, data)


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
        except OSError as e:
            warn(f"cannot read {path}: {e.strerror or e}")
            continue
        if sniff(head):
            yield path
