"""Storing and reading the conversation's tool calls (migration 033).

A call's input summary is body-like text: sealed like a message body while the
store is encrypted (``sealed``), opened with ``lsm_open`` when read, emptied
with the message bodies by retention. A result read in a later chunk than its
call fills in the call's size; one read in the same chunk came with the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apsw

from . import sealed

_USE = """
INSERT INTO tool_uses (session_id, id, ts, seq, name, input, result_bytes, message_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (session_id, id) DO UPDATE SET result_bytes = coalesce(result_bytes, excluded.result_bytes),
    message_key = coalesce(message_key, excluded.message_key)
"""
_OUTPUT = "UPDATE tool_uses SET result_bytes = ? WHERE session_id = ? AND id = ? AND result_bytes IS NULL"
_OF_SESSION = """SELECT ts, seq, id, name, lsm_open(input), result_bytes, message_key FROM tool_uses
                 WHERE session_id = ? ORDER BY ts, seq, id"""


def record(conn: apsw.Connection, uses: list[tuple], outputs: list[tuple]) -> None:
    """Store one chunk's tool calls and the results of earlier ones, in the transaction open."""
    if uses:
        if (seal := sealed.sealer(conn)) is not None:
            uses = [(*u[:5], seal(u[5]) if u[5] else u[5], *u[6:]) for u in uses]
        conn.executemany(_USE, uses)
    if outputs:
        conn.executemany(_OUTPUT, outputs)


def of_session(conn: apsw.Connection, session_id: str) -> list[tuple[float, int, str, str, str | None, int | None, str | None]]:
    """A session's calls in order: (ts, seq, id, name, input, result_bytes, message_key)."""
    return conn.execute(_OF_SESSION, (session_id,)).fetchall()  # type: ignore[return-value]


def rewrite_inputs(conn: apsw.Connection, where: str, change: Callable[[Any], Any], batch: int) -> int:
    """``encrypt`` / ``decrypt`` of the input summaries matching ``where``, ``batch`` rows a
    transaction; how many."""
    from .connection import write_transaction

    after, done = ("", ""), 0
    while True:
        with write_transaction(conn):
            rows: list[Any] = conn.execute(
                f"""SELECT session_id, id, input FROM tool_uses WHERE (session_id, id) > (?, ?) AND {where}
                    ORDER BY session_id, id LIMIT ?""", (*after, batch)).fetchall()
            conn.executemany("UPDATE tool_uses SET input = ?3 WHERE session_id = ?1 AND id = ?2",
                             [(sid, call, change(text)) for sid, call, text in rows])
        if not rows:
            return done
        after, done = (rows[-1][0], rows[-1][1]), done + len(rows)
