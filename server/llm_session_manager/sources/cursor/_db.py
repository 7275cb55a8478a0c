"""Cursor's key/value tables, read by key.

Cursor (a VS Code fork) keeps its state in ``state.vscdb`` files: key/value
tables ``ItemTable`` and ``cursorDiskKV`` (``key TEXT UNIQUE ON CONFLICT REPLACE,
value BLOB``), in WAL mode, open in the editor the whole time it runs; they are
opened with ``sqlite_readonly``. The global file can be gigabytes, so rows are
fetched by key or key range (the ``UNIQUE`` index on ``key``), never by scanning
the table.
"""

from __future__ import annotations

from collections.abc import Iterator

import apsw

OWNER = "Cursor"  # names the program in "…'s database is locked"
Value = str | bytes  # VS Code writes strings; some rows are BLOBs of the same JSON


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
