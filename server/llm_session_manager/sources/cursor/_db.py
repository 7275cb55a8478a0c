"""Reading Cursor's SQLite files without ever getting in Cursor's way.

Cursor (a VS Code fork) keeps its state in ``state.vscdb`` files: key/value
tables ``ItemTable`` and ``cursorDiskKV`` (``key TEXT UNIQUE, value BLOB``), in WAL
mode, open in the editor the whole time it runs. We open them read-only through a
``mode=ro`` URI with a short busy timeout, so a write Cursor is making is never
blocked, and we never write. The global file can be gigabytes, so rows are fetched
by key range (the ``UNIQUE`` index on ``key``), never by scanning the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import apsw

BUSY_TIMEOUT_MS = 250

# What makes a database unreadable right now or for good: locked by a writer
# (rollback-journal mode), damaged, not a database, vanished, or not shaped like
# Cursor's (a table or column missing). The caller skips the file and counts it.
UNREADABLE = (
    apsw.BusyError,
    apsw.LockedError,
    apsw.CorruptError,
    apsw.NotADBError,
    apsw.CantOpenError,
    apsw.IOError,
    apsw.ReadOnlyError,
    apsw.ProtocolError,
    apsw.SQLError,
)

Value = str | bytes  # VS Code writes strings; some rows are BLOBs of the same JSON


def open_readonly(path: Path) -> apsw.Connection:
    """``path`` opened read-only; its reads share one snapshot until ``close``.

    The open transaction keeps a composer and its bubbles consistent while
    Cursor keeps writing; in WAL mode it never blocks the writer.
    """
    uri = path.absolute().as_uri() + "?mode=ro"
    conn = apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
    try:
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        conn.execute("BEGIN")
    except BaseException:
        conn.close()
        raise
    return conn


def tables(conn: apsw.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def get(conn: apsw.Connection, table: str, key: str) -> Value | None:
    """The value stored under exactly ``key`` (the only way ``ItemTable`` is read:
    it also holds Cursor's auth tokens, which we never select)."""
    row = conn.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def prefixed(conn: apsw.Connection, table: str, prefix: str) -> Iterator[tuple[str, Value]]:
    """Every ``(key, value)`` whose key starts with ``prefix``, in key order.

    A half-open key range rather than ``LIKE``: it walks the key index, where
    ``LIKE`` (case-insensitive) would read the whole table.
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    yield from conn.execute(
        f"SELECT key, value FROM {table} WHERE key >= ? AND key < ? AND value IS NOT NULL",
        (prefix, upper),
    )
