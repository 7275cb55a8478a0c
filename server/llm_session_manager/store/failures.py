"""What a failed read or write of the store means, in words a user can act on.

SQLite reports a page damaged in the middle of the file only when a statement
reads that page, so the failure can surface deep inside any service. Every
edge (the CLI, the MCP and LSP servers) passes what it caught through
``explain``, so they all say the same thing: which file, what is at stake and
what to run.
"""

from __future__ import annotations

import errno
from pathlib import Path

import apsw

from ..core.errors import DiskFull, LlmSessionError, StoreCorrupt

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_MISSING = ("no such table", "no such column")  # SQLite's words for a schema that lacks a part


def corrupt(path: Path | str, detail: object) -> StoreCorrupt:
    """The damaged-database error: memories, tags and projects are only in this file."""
    return StoreCorrupt(
        f"the database {path} is damaged ({detail}); your memories, tags and projects live only "
        "in that file, so do not delete it: run 'llm-session doctor --recover' to copy out what "
        "SQLite can still read (the damaged file is kept beside it)"
    )


def incomplete(path: Path | str, detail: object) -> StoreCorrupt:
    """A table or column every store of this version has is not there: the file was
    changed by another program, or by another version of this one."""
    return StoreCorrupt(
        f"the database {path} lacks part of its schema ({detail}); your memories, tags and projects "
        "live only in that file, so do not delete it: run 'llm-session doctor --recover' to copy "
        "what it holds into a complete store (the old file is kept beside it)"
    )


def disk_full(path: Path | str | None) -> DiskFull:
    """A write refused for want of space; SQLite rolled back, so the store is as it was."""
    where = f" to write {path}" if path else ""
    return DiskFull(
        f"disk full: no space left on the device{where}; nothing stored before was lost, "
        "free some space and run the command again"
    )


def explain(error: BaseException, path: Path | str, system_errno: int | None = None) -> LlmSessionError | None:
    """``error`` as a one-line store error, or None if it is not about the store's file.

    ``system_errno`` is the connection's ``system_errno`` where the caller has it:
    SQLite reports some writes refused for want of space (growing the ``-shm``
    file, a quota) as a plain I/O error, and only the errno says why.
    """
    if isinstance(error, (apsw.CorruptError, apsw.NotADBError)):
        return corrupt(path, error)
    if isinstance(error, apsw.SQLError) and str(error).startswith(_MISSING):
        return incomplete(path, error)
    if isinstance(error, apsw.FullError):
        return disk_full(path)
    if isinstance(error, apsw.IOError) and system_errno in _NO_SPACE:
        return disk_full(path)
    if isinstance(error, OSError) and error.errno in _NO_SPACE:
        return disk_full(error.filename)  # not necessarily the store: whatever was being written
    return None


def explain_on(error: BaseException, conn: apsw.Connection | None, default: Path) -> LlmSessionError | None:
    """``explain`` for an error met on ``conn`` (if still open): its file and errno."""
    path: Path | str = default
    system_errno = None
    if conn is not None:
        try:
            path = conn.filename or default
            system_errno = conn.system_errno
        except apsw.ConnectionClosedError:
            pass
    return explain(error, path, system_errno)
