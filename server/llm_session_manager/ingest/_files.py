"""Which logs changed since the last scan, and reading what changed in each.

For each log file the store remembers (inode, size, mtime, ctime, byte offset,
the first bytes, a checksum of the last bytes read, the parser's state). A file
whose stat is unchanged costs one ``stat``; a grown file is read from its offset
up to its last complete line, so a line the assistant is still writing waits for
the next scan. A file that shrank, was replaced (new inode) or rewritten
(different first bytes, or different bytes just before the offset) is read
again from the start. Documents and databases are read whole (``Source.layout``).

A log rewritten in place with the same size and mtime (a sync or restore tool
that keeps times) still changes its ctime, which nothing can set back: only then
are the first and last bytes compared, so a rescan with nothing new stays at one
``stat`` per file. A file read within ``RACY_NS`` of its last write could be
rewritten again within the same clock tick, leaving even its ctime as it was; a
log of lines read so is stored with ctime 0, so the next scan compares its bytes
once (what git does for its "racily clean" index entries).
"""


import fnmatch
import os
import sys
import time
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from .. import sources
from ..core import whole_file
from ..core.config import Config
from ..core.models import Batch
from ..sources import Source, listings, plugins
from ..sources.base import warn, warnings_into
from ._redact import state_without_secrets

if TYPE_CHECKING:
    import logging

    from ..sources.listings import Listings

HEAD_BYTES = 64
TAIL_BYTES = 4096  # the bytes before the offset whose checksum tells a rewrite
RACY_NS = 2_000_000_000  # coarser than any file system's clock tick but FAT's
LISTINGS_FILE = "scan-listings.msgpack"  # beside the store: directory listings kept between scans



def _log() -> "logging.Logger":
    """This module's logger. ``logging`` is imported only when something is logged:
    a status line storing one response does not pay for it (4 ms)."""
    import logging

    return logging.getLogger(__name__)


def _logs_skipped() -> bool:
    """Whether the lines a parser skipped are logged (at INFO): never when nothing imported
    ``logging``, since nothing can have set it up."""
    logging = sys.modules.get("logging")
    return logging is not None and logging.getLogger(__name__).isEnabledFor(logging.INFO)


class Known(NamedTuple):
    inode: int
    size: int
    mtime_ns: int
    offset: int
    head: bytes | None
    state: bytes | None
    tail: bytes | None  # checksum of the TAIL_BYTES before offset (None: a store from before v8)
    ctime_ns: int | None


class Stat(NamedTuple):
    """What decides whether a log changed since the last scan: ``os.stat_result``'s
    fields of that name, so a plain ``os.stat`` answers for a log that is not a database."""

    st_ino: int
    st_size: int
    st_mtime_ns: int
    st_ctime_ns: int


class Work(NamedTuple):
    source: Source
    path: str  # a ``Path`` only where the file is read: a first scan has thousands to hand out
    stat: Stat
    offset: int
    state: bytes | None


def roots(
    config: Config, env: Mapping[str, str], home: Path, warnings: list[str] | None = None
) -> Iterator[tuple[Source, list[Path]]]:
    """Every enabled source with the directories it reads: its standard ones
    (which may not exist yet) and those the config adds (which must). Plugin
    sources are looked up here, when a scan runs, not when the program starts."""
    found_plugins = plugins.active()
    if warnings is not None:
        warnings += [w for w in found_plugins.warnings if w not in warnings]
    for source in sources.SOURCES + found_plugins.sources:
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
    config: Config, env: Mapping[str, str], home: Path, warnings: list[str], kept: "Listings | None" = None
) -> list[tuple[Source, list[str]]]:
    """Every log of every enabled source, once, unless an ignore pattern matches its
    path: each source with its logs.

    What cannot be read (a directory, a link loop, a source's walk that fails)
    is a line in ``warnings``, and the other logs are still found. ``kept``: the
    directory listings the last scan kept, reused where a directory has not
    changed, and this scan's to keep (``sources.listings``).
    """
    _check_home(env, home, warnings)
    ignore = config.session_discovery.ignore_patterns
    found: list[tuple[Source, list[str]]] = []
    with warnings_into(warnings), listings.kept_in(kept):
        for source, source_roots in roots(config, env, home, warnings):
            if kept is not None:
                kept.scope = f"{source.provider}/{type(source).__qualname__}"
            got: list[str] = []
            for root in source_roots:
                try:
                    got.extend(source.discover(root))  # what a walk found before it failed is kept
                except OSError as e:  # Path.is_dir raises PermissionError, for one
                    warn(f"cannot look for {source.provider} logs in {root}: {e.strerror or e}")
            paths = list(dict.fromkeys(got))  # in the order found, once
            if ignore:
                paths = [p for p in paths if not any(fnmatch.fnmatch(p, i) for i in ignore)]
            found.append((source, paths))
    return found


def kept_listings(db: str) -> "Listings | None":
    """The directory listings the last scan of the store at ``db`` kept (``sources.listings``);
    None for a store in memory, which keeps none."""
    if not db:
        return None
    try:
        with open(_listings_file(db), "rb") as f:
            return listings.Listings.decode(f.read())
    except OSError:
        return listings.Listings()


def keep_listings(db: str, kept: "Listings") -> None:
    """Keep this scan's listings for the next one (one that cannot be written is made again)."""
    whole_file.write_cache(_listings_file(db), (kept.encode(),))


def _listings_file(db: str) -> Path:
    return Path(db).with_name(LISTINGS_FILE)


def _check_home(env: Mapping[str, str], home: Path, warnings: list[str]) -> None:
    """Say so when HOME cannot be where the logs are: a scan finding nothing
    should tell where it looked."""
    if env.get("HOME") == "":
        warnings.append(f"HOME is empty: looking for logs under {home}")
    elif not home.is_dir():
        warnings.append(f"HOME {home} does not exist: no logs read from it")


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
        return Stat(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if not wal.st_size:  # an empty log, which any reader (ours too) may leave behind, holds nothing
        return Stat(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return Stat(st.st_ino, st.st_size + wal.st_size, max(st.st_mtime_ns, wal.st_mtime_ns),
                max(st.st_ctime_ns, wal.st_ctime_ns))


def start(source: Source, path: str, st: Stat, old: Known | None) -> tuple[int, bytes | None]:
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


def _resume_point(path: str, st: Stat, old: Known | None) -> tuple[int, bytes | None]:
    """Where to continue reading ``path``: its old offset, or 0 if it was replaced
    or rewritten (its first bytes, or those just before the offset, differ)."""
    if old is None or st.st_ino != old.inode or st.st_size < old.offset:
        return 0, None
    if old.head or old.tail:
        with open(path, "rb") as f:
            if (old.head and f.read(len(old.head)) != old.head) or \
                    (old.tail and _checksum(f, old.offset) != old.tail):
                _log().info("%s: rewritten since the last scan, reading it again from the start", path)
                return 0, None
    return old.offset, old.state


def _checksum(f: BinaryIO, end: int, data: bytes = b"", data_end: int = 0) -> bytes:
    """CRC-32 of the ``TAIL_BYTES`` of ``f`` before ``end``, the last ``data_end``
    of them taken from ``data`` when given (what was just read).

    Only a rewrite has to be told from an append, not an adversary: CRC-32 does
    that, and zlib is loaded already (hashlib costs a scan 17 ms to import).
    """
    want = min(TAIL_BYTES, end)
    if data_end >= want:
        piece = data[data_end - want:data_end]
    else:
        f.seek(end - want)
        piece = f.read(want - data_end) + data[:data_end]
    return zlib.crc32(piece).to_bytes(4, "big")


class ParseFailed(OSError):
    """A source's reader failed on a log (a bug, or a shape it cannot take): the
    scan names the file in a warning, stores nothing of it and tries it again next
    scan, and every other log is read."""


def read(item: Work, usage_only: bool = False) -> tuple[Batch, tuple]:
    """Parse what changed in one file: the lines appended since its offset,
    or the whole of a document or database (see ``Source.layout``).

    ``usage_only``: the sessions and usage are all that will be stored (the
    usage-first pass of ``_conversation``), so a source that can leave the
    conversation out (an optional ``parse_usage``) is asked to: a fifth of a
    first ``usage``'s parsing, and the redaction of every message, saved.
    """
    layout = item.source.layout
    read_at = time.time_ns()
    head = tail = None
    path = Path(item.path)
    if layout == "sqlite":
        end = item.stat.st_size
        batch = _parse(item, path, b"", usage_only)
    else:
        with open(item.path, "rb") as f:
            head = f.read(HEAD_BYTES)
            f.seek(item.offset)
            data = f.read(item.stat.st_size - item.offset)
            # A half-written last line waits for the next scan; a document is
            # rewritten whole, and one caught mid-write fails to parse and is
            # read again when its stat changes.
            end = data.rfind(b"\n") + 1 if layout == "lines" else len(data)
            if layout == "lines":
                tail = _checksum(f, item.offset + end, data, end)
        batch = _parse(item, path, data[:end], usage_only) if end else Batch(item.state)
        if batch.skipped and _logs_skipped():
            _log_skipped(item, data[:end], batch.skipped)
    if batch.state:  # stored with the file's row, here; the text is redacted by the caller (``_redact``)
        batch.state = state_without_secrets(batch.state)
    if batch.warnings:
        batch.warnings = [f"{item.path}: {w}" for w in batch.warnings]
    st = item.stat
    # A log may change again within the clock tick of its last write; its bytes are
    # compared next scan. (Documents and databases are rewritten with new times.)
    racy = layout == "lines" and st.st_mtime_ns >= read_at - RACY_NS
    file_row = (
        item.path,
        item.source.provider,
        st.st_ino,
        st.st_size,
        st.st_mtime_ns,
        item.offset + end,
        head,
        batch.state,
        tail,
        0 if racy else st.st_ctime_ns,
    )
    return batch, file_row


def _parse(item: Work, path: Path, data: bytes, usage_only: bool = False) -> Batch:
    parse = (usage_only and getattr(item.source, "parse_usage", None)) or item.source.parse
    try:
        return parse(path, data, item.state)
    except OSError:
        raise  # a database that is locked: read again next scan
    except Exception as e:  # one log's failure must not stop the scan of all the others
        _log().info("%s: %s reader failed", item.path, item.source.provider, exc_info=True)
        raise ParseFailed(None, f"the {item.source.provider} reader failed ({type(e).__name__}: {e});"
                                " skipped, please report it") from e


def _log_skipped(item: Work, data: bytes, skipped: list[tuple[int, str]]) -> None:
    """``path:line: reason`` for each line a source skipped (``scan --verbose``).

    Line numbers count from the start of the file: a read from an offset counts
    the lines before it, which costs a read of them, made only here.
    """
    before = 0
    if item.offset:
        with open(item.path, "rb") as f:
            for at in range(0, item.offset, 1 << 20):
                before += f.read(min(1 << 20, item.offset - at)).count(b"\n")
    for line, reason in skipped:
        _log().info("%s:%d: skipped: %s", item.path, before + line + 1, reason)
