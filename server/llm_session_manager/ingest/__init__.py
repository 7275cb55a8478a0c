"""Incremental scan of every source into the store.

``_files`` decides which logs changed since the last scan and reads what
changed in each (only appended lines, for most); ``_rows`` turns a chunk of
files into rows; ``_store`` writes them. Rows are keyed so re-reading never
counts twice, and they go to the store in a few large transactions, each also
advancing the offsets of the files it holds, so a scan killed half-way
resumes cleanly.

A ``usage`` that finds a big history to read stores its usage first and the
conversation after its report (``_conversation``); every other scan first
finishes what such a scan left.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import apsw

from ..core.config import Config
from ..core.errors import EncryptionKeyMissing
from ..core.models import ScanResult
from ..sources import Source
from ..store import repricing, sealed
from ..store.bulk import bulk_load
from . import _conversation
from ._files import Known, Stat, Work, discover, keep_listings, kept_listings, roots, start, stat
from ._gone import note_gone
from ._known_kept import KnownLogs, stamp, unstamped
from ._moved import moved
from ._scrub import scrub_if_marked

if TYPE_CHECKING:
    from ._store import Outcome

__all__ = ["BULK_BYTES", "Progress", "conversation_behind", "import_files", "roots", "scan"]

# A first scan of at least this much is loaded with secondary indexes off.
BULK_BYTES = 64 << 20

Progress = Callable[[int, int], None]  # (bytes done, bytes to do)


def scan(
    conn: apsw.Connection,
    config: Config,
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    progress: Progress | None = None,
    conversation_later: bool = False,
) -> ScanResult:
    """Read everything new in every enabled source into the store.

    ``conversation_later``: for a report that reads only usage. When there is
    much to read, the conversation is stored after this process printed its
    answer (``_conversation``). Otherwise, any conversation a scan left for later
    is stored first.
    """
    started = time.perf_counter()
    scrub_if_marked(conn)  # once, after the upgrade that began redacting at ingest
    if config.privacy.encrypt_conversations:  # new bodies sealed from now on (docs/privacy.md)
        sealed.enable(conn)
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    later = conversation_later and _conversation.mode() != "now"
    behind = _conversation.pending(conn) if later else _caught_up(conn)
    warnings: list[str] = []
    listings = kept_listings(conn.filename)
    found = discover(config, env, home, warnings, listings)
    if listings is not None and listings.changed:
        keep_listings(conn.filename, listings)
    known = KnownLogs(conn)
    work = _changed(conn, found, known.stamps, warnings, behind)
    note_gone(conn, known.stamps, set().union(*(paths for _, paths in found)))
    first_big_load = (sum(w.stat.st_size - w.offset for w in work) >= BULK_BYTES
                      and conn.execute("SELECT 1 FROM usage LIMIT 1").fetchone() is None)
    deferred: list[Work] = []  # logs read line by line: the only ones whose conversation waits
    lines = [w for w in work if w.source.layout == "lines"]
    if later and sum(w.stat.st_size - w.offset for w in lines) >= _conversation.DEFER_BYTES:
        deferred = lines
        work = [w for w in work if w.source.layout != "lines"]
        _conversation.leave_checkpoints(conn)
    with bulk_load(conn, first_big_load, restore=not deferred):
        result = _run(conn, work, sum(len(paths) for _, paths in found), warnings, started, progress, deferred,
                      known)
    known.keep()
    if later and (deferred or behind):
        _conversation.continue_later(conn)
    if config.retention.conversation_days is not None:  # docs/conversations.md#retention
        with contextlib.suppress(EncryptionKeyMissing):  # encrypted, and no key here: the next scan prunes
            from ..store import retention

            retention.prune_if_due(conn, config.retention.conversation_days)
    return result


def import_files(
    conn: apsw.Connection,
    source: Source | None,
    paths: list[Path],
    progress: Progress | None = None,
) -> ScanResult:
    """Read exactly ``paths`` as ``source`` (None: each as its content says).

    For exports the user downloads (``llm-session import``). They are remembered
    like logs, so importing an unchanged file again reads nothing and a grown
    one adds only the rows it did not have. Every file is checked before any is
    read: a missing or unrecognised one raises ``BadInput``. Files named
    explicitly are read whatever ``sources:`` says.
    """
    from ..sources.exports import source_for

    started = time.perf_counter()
    plan: dict[Path, Source] = {}
    for path in map(Path, map(os.path.abspath, paths)):
        plan.setdefault(path, source_for(path, source))
    warnings: list[str] = []
    work = _changed(conn, [(src, [str(path)]) for path, src in plan.items()], _known(conn, plan), warnings,
                    _caught_up(conn))
    return _run(conn, work, len(plan), warnings, started, progress)


def conversation_behind(conn: apsw.Connection) -> bool:
    """Whether a usage-first scan left conversation to store: the next ``import_files``
    stores it first, waiting for a continuation at it (a hook must not wait)."""
    return _conversation.behind(conn)


def _caught_up(conn: apsw.Connection) -> dict[str, tuple[int, bytes | None]]:
    """Store any conversation a usage-first scan left for later (waiting for a
    continuation at it); what is still behind after that (nothing, unless a
    scan has just left more)."""
    if _conversation.pending(conn):
        _conversation.finish(conn)
        return _conversation.pending(conn)
    return {}


def _known(conn: apsw.Connection, paths: Iterable[Path]) -> dict[str, bytes]:
    """What the store remembers of ``paths``, by path: enough to tell whether each
    changed, (provider, inode, size, mtime_ns, ctime_ns) ``stamp``ed. A scan has all of
    it (``_known_kept``); the rest of ``Known`` (the head, parser state and tail blobs)
    is read by ``_known_whole`` for the logs that changed only."""
    sql = "SELECT provider, inode, size, mtime_ns, ctime_ns FROM source_files WHERE path = ?"
    return {str(path): stamp(*row) for path in paths for row in conn.execute(sql, (str(path),))}


def _known_whole(conn: apsw.Connection, path: str) -> Known | None:
    """All the store remembers of one log (None: another process has just forgotten it)."""
    row = conn.execute("SELECT inode, size, mtime_ns, offset, head, state, tail, ctime_ns FROM source_files "
                       "WHERE path = ?", (path,)).fetchone()
    return Known(*row) if row else None


def _changed(
    conn: apsw.Connection, found: Iterable[tuple[Source, list[str]]], known: dict[str, bytes], warnings: list[str],
    behind: Mapping[str, tuple[int, bytes | None]] | None = None,
) -> list[Work]:
    """The logs whose stat moved since the store last read them, with where to resume.

    A file the store read as another provider's (an export imported with the
    wrong ``--as``) is read afresh. A log ``behind`` on its conversation
    (path -> offset and parser state it is stored up to) resumes from there.
    """
    work = []
    for source, paths in found:
        provider = source.provider
        db = source.layout == "sqlite"  # its stat holds its -wal's
        # Most are unchanged: one stat and one look-up each (``_moved``); a closer look at the rest
        # (at every log of a first scan, which has nothing to compare).
        for path in moved(paths, provider, known) if known and not db else paths:
            try:
                st = stat(source, path) if db else os.stat(path)
            except OSError as e:
                warnings.append(f"cannot read {path}: {e.strerror or e}")
                continue
            old = None
            kept = known.get(path)
            row = None if kept is None else unstamped(kept)  # (provider, inode, size, mtime_ns, ctime_ns)
            if row is not None and row[0] == provider:
                # A ctime that moved alone is a rewrite in place that kept the size and mtime, or
                # a chmod: ``start`` compares bytes to tell. None: a row from before the store had it.
                if row[1] == st.st_ino and row[2] == st.st_size and row[3] == st.st_mtime_ns \
                        and (row[4] == st.st_ctime_ns or row[4] is None):
                    continue
                old = _known_whole(conn, path)
                if old and behind and path in behind:
                    offset, state = behind[path]
                    # Its tail checksum is of the bytes before the usage's offset, not this one.
                    old = old._replace(offset=offset, state=state, tail=None)
            changed = Stat(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            offset, state = start(source, path, changed, old)
            work.append(Work(source, path, changed, offset, state))
    return work


def _outcomes(conn: apsw.Connection, work: list[Work], usage_first: list[Work]) -> Iterator[Outcome]:
    """Each chunk of ``work`` stored whole, then each of ``usage_first`` for reports only. The
    parsing and storing modules are imported only here: a rescan with nothing new needs neither."""
    if not work and not usage_first:
        return
    from ._rows import chunks, ingest
    from ._store import Part

    yield from ingest(conn, chunks(work))
    if usage_first:
        yield from ingest(conn, chunks(usage_first), Part.USAGE)


def _run(conn: apsw.Connection, work: list[Work], files: int, warnings: list[str], started: float,
         progress: Progress | None, usage_first: list[Work] | None = None, known: KnownLogs | None = None) -> ScanResult:
    """Store ``work`` whole, and of ``usage_first`` only what reports need (``Part.USAGE``);
    ``known`` follows what is stored."""
    usage_first = usage_first or []
    repricing.reprice_if_stale(conn)  # stored costs follow the table in force
    total = sum(w.stat.st_size - w.offset for w in work + usage_first)
    done = records = malformed = 0
    touched: set[str] = set()
    for outcome in _outcomes(conn, work, usage_first):
        done += outcome.nbytes
        records += outcome.records
        malformed += outcome.malformed
        touched.update(outcome.sessions)
        warnings += outcome.warnings
        if known is not None:
            known.stored(outcome.generations, outcome.files)
        if progress:
            progress(done, total)
    if touched:
        from ..store import template_plans

        template_plans.adopt(conn, touched)  # sessions a template planned get its tags (docs/templates.md)
    return ScanResult(
        files=files,
        records=records,
        sessions=len(touched),
        malformed=malformed,
        seconds=round(time.perf_counter() - started, 3),
        files_read=len(work),
        warnings=warnings,
    )
