"""The conversation of a first scan, stored after the report it was holding up.

A first ``usage`` over a big history needs only the usage of every response; the
conversation (messages, file references: what ``list``, ``search``, ``export``
and memory read) is most of what a scan writes. So when ``usage`` finds much to
read, it stores usage and sessions first, prints its report, and leaves the
conversation to a continuation: a detached process (``python -c ... main()``, in
a session of its own, at a lower priority) that reads those logs again and
stores only their conversation, as git's auto-gc does its work after the
command that started it.

* ``source_files.conversation_offset`` says, per log, where its conversation is
  stored up to (NULL: up to ``offset``), with the parser's state there. Every
  transaction moves it with the rows it stores, so a continuation killed (even
  by ``kill -9``) is resumed where it stopped; messages are keyed, so storing
  one twice keeps one.
* One continuation at a time: each holds an exclusive ``flock`` on
  ``conversation.lock`` next to the store while it works, which the kernel
  releases when its process dies, however it dies. A second one that finds the
  lock taken leaves.
* Every other scan first finishes what is left (``finish``): it waits for a
  running continuation, or does the rest itself under the lock. So a command
  that reads the conversation never sees half of it; a ``usage`` that finds
  some left starts a continuation again.

``LLM_SESSION_CONVERSATION`` chooses: ``later`` (the default, detached),
``inline`` (in two passes, both in the ``usage`` process before its report:
deterministic, for tests) or ``now`` (one pass: a first ``usage`` stores
everything before reporting, as any other scan does).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import apsw

from .. import sources
from ..sources import Source, plugins
from ..store.bulk import restore_indexes
from ._files import Stat, Work

if TYPE_CHECKING:
    import subprocess

try:
    import fcntl
except ImportError:  # Windows: no flock, so nothing is deferred
    fcntl = None  # type: ignore[assignment]

ENV = "LLM_SESSION_CONVERSATION"
LOCK_NAME = "conversation.lock"
# A usage-first scan pays only from this much new data on (a scan of a few
# appended lines stores their conversation at once: no process to start).
DEFER_BYTES = 16 << 20
# New bytes per conversation transaction: a continuation killed loses little.
CHUNK_BYTES = 4 << 20
NICE = 10
# Pages of write-ahead log a first usage may leave for its continuation to copy
# into the store (SQLite's default: 1,000); 256 MB at our page size. A first usage
# over 1 GB of logs writes 91 MB: with 64 MB it copied the log into the store at its
# last commit, 0.15 s after its last chunk was parsed and before its report.
WAL_PAGES = 16384

_PENDING = "SELECT path, provider, inode, offset, conversation_offset, conversation_state FROM source_files" \
           " WHERE conversation_offset IS NOT NULL ORDER BY path"
_FORGET = "UPDATE source_files SET conversation_offset = NULL, conversation_state = NULL WHERE path = ?"


def behind(conn: apsw.Connection) -> bool:
    """Whether any log's conversation is still to be stored (a look for one row)."""
    return conn.execute("SELECT 1 FROM source_files WHERE conversation_offset IS NOT NULL LIMIT 1").fetchone() \
        is not None


def mode() -> str:
    """``later``, ``inline`` or ``now`` (see the module's docstring)."""
    chosen = os.environ.get(ENV, "later")
    if fcntl is None or chosen not in ("later", "inline", "now"):
        return "now"
    return chosen


def pending(conn: apsw.Connection) -> dict[str, tuple[int, bytes | None]]:
    """Logs whose conversation is stored only up to an offset: path -> (offset, parser state)."""
    return {row[0]: (row[4], row[5]) for row in conn.execute(_PENDING)}


def finish(conn: apsw.Connection) -> int:
    """Store whatever conversation is left, waiting for a continuation that is at it.

    Returns how many messages and file references this process stored.
    """
    with _locked(conn, wait=True):
        return store_pending(conn)


def store_pending(conn: apsw.Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """The conversation of every log that is behind on it, chunk by chunk; the caller holds the lock.

    ``progress(chunks stored, chunks)`` is called after each chunk's transaction.
    """
    work: list[Work] = []
    rows: list[Any] = conn.execute(_PENDING).fetchall()  # (path, provider, inode, offset, start, state)
    for path, provider, inode, offset, start, state in rows:
        source = _lines_source(provider)
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if source is None or st is None or st.st_ino != inode or st.st_size < offset:
            # Gone or replaced: the next scan reads it afresh, conversation and all.
            conn.execute(_FORGET, (path,))
            continue
        work.append(Work(source, path, Stat(inode, offset, st.st_mtime_ns, st.st_ctime_ns), start, state))
    from ._rows import chunks as chunks_of
    from ._rows import ingest
    from ._store import Part

    stored = 0
    chunks = chunks_of(work, CHUNK_BYTES)  # smaller than a scan's: the messages are the bulk
    for done, outcome in enumerate(ingest(conn, chunks, Part.CONVERSATION), 1):
        stored += outcome.records
        if progress:
            progress(done, len(chunks))
    restore_indexes(conn)  # a first usage leaves them to be built once the messages are in
    return stored


def leave_checkpoints(conn: apsw.Connection) -> None:
    """Leave copying the write-ahead log into the store to the continuation, which
    writes much more right after (its commits and its close checkpoint): a first
    ``usage`` then neither copies its pages twice nor waits for the disk (an
    ``fsync`` per checkpoint) before its report. SQLite reads the log as the store.
    The log may grow to ``WAL_PAGES`` first (22 MB for 200 MB of Claude Code logs, 91 MB for 1 GB)."""
    if mode() == "later":
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        conn.config(apsw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1)


def continue_later(conn: apsw.Connection) -> None:
    """Have the conversation left for later stored: by a continuation started once this
    process has printed its answer, or (``inline``) here and now."""
    if mode() == "inline":
        finish(conn)
    elif not _continuing:
        _continuing.append(conn.filename)
        atexit.register(_continue, conn.filename)


_continuing: list[str] = []


def _continue(db: str) -> None:
    """At exit, after the report: start a continuation unless one is running.

    Then the objects of this exiting process are left out of the interpreter's
    last cycle collection (``gc.freeze``), which walks them all: 15-20 ms after
    a first scan, between the report and the prompt.
    """
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    try:
        with contextlib.suppress(OSError):
            with _lock_file(db) as f:
                if not _try_lock(f):
                    return  # one is running: it will find what this scan left too
            start(db)
    finally:
        gc.freeze()


def start(db: str) -> subprocess.Popen:
    """A detached continuation for the store at ``db``: its own session, no terminal, no pipes
    (a caller reading this process' output must not wait for it)."""
    import subprocess  # only when there is one to start

    code = "from llm_session_manager.ingest._conversation import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, db],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True,
    )


def main() -> None:
    """The continuation: store what is left, unless another continuation already is."""
    from ..store import connect

    with contextlib.suppress(OSError):
        os.nice(NICE)  # the user's next command comes first
    conn = connect(Path(sys.argv[1]))
    try:
        with _locked(conn, wait=False) as held:
            if held:
                store_pending(conn)
                # What the first usage left to rebuild, so that the next report need not (its
                # own report summed the responses: services/usage.py).
                from ..store import quarters, session_sums

                quarters.refresh(conn)
                session_sums.refresh(conn)
    finally:
        conn.close()


@contextlib.contextmanager
def _locked(conn: apsw.Connection, *, wait: bool) -> Iterator[bool]:
    """Hold the continuation lock of ``conn``'s store; yields False if ``wait`` is
    False and another process holds it."""
    if fcntl is None:  # nothing is deferred where there is no flock: nobody to exclude
        yield True
        return
    with _lock_file(conn.filename) as f:
        if wait:
            _wait_for_lock(f)
        elif not _try_lock(f):
            yield False
            return
        f.truncate(0)
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield True
        finally:  # explicitly: a forked worker may still hold the file open
            with contextlib.suppress(OSError):
                fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def _lock_file(db: str) -> Iterator:
    with open(Path(db).with_name(LOCK_NAME), "a+") as f:
        yield f


def _try_lock(f) -> bool:
    """Take the lock if it is free; a file system without locks counts as free."""
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # no locks here (some network file systems): go on without
        return True
    return True


def _wait_for_lock(f) -> None:
    try:
        fcntl.flock(f, fcntl.LOCK_EX)
    except OSError:  # no locks here: go on without
        pass


def _lines_source(provider: str) -> Source | None:
    """The source that reads ``provider``'s logs line by line: the only kind deferred."""
    found = (s for s in sources.SOURCES if s.provider == provider and s.layout == "lines")
    return next(found, None) or next((s for s in plugins.active().sources
                                      if s.provider == provider and s.layout == "lines"), None)
