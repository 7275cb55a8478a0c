"""Conversation retention: pinned sessions, and emptying old message bodies.

``retention.conversation_days`` lets a user keep the store small: message
bodies older than that are emptied, except in sessions the user pinned. Only
the text goes; each message row (time, role, kind) stays, as do usage rows and
file references, so dollars, health (its error count) and analytics read the
same before and after. Here is the SQL; ``services/retention.py`` is the API
and ``ingest.scan`` calls :func:`prune_if_due` after a scan.
"""

import time
from typing import NamedTuple

import apsw

from .connection import write_transaction

# A scan prunes at most this often: a rescan with nothing new must stay a stat per log.
PRUNE_EVERY_S = 3600.0
_CHECKED = "retention_checked_at"

# The bodies older than the cutoff, outside pinned sessions, not emptied yet.
_DUE = """FROM messages WHERE ts < :before AND text != ''
          AND session_id NOT IN (SELECT session_id FROM pinned_sessions)"""

_PRUNE_INPUTS = """UPDATE tool_uses SET input = NULL WHERE ts < :before AND input IS NOT NULL
                   AND session_id NOT IN (SELECT session_id FROM pinned_sessions)"""


class Pruning(NamedTuple):
    """What pruning before ``before`` empties (or, in a dry run, would)."""

    before: float  # unix seconds
    sessions: int  # sessions losing message bodies
    messages: int
    chars: int  # characters of text removed
    pinned_kept: int  # pinned sessions that have messages older than the cutoff, kept whole


def pin(conn: apsw.Connection, session_id: str) -> bool:
    """Pin ``session_id``; False if it was pinned already."""
    with write_transaction(conn):
        conn.execute("INSERT OR IGNORE INTO pinned_sessions (session_id, pinned_at) VALUES (?, ?)",
                     (session_id, time.time()))
        return conn.changes() > 0


def unpin(conn: apsw.Connection, session_id: str) -> bool:
    """Unpin ``session_id``; False if it was not pinned."""
    with write_transaction(conn):
        conn.execute("DELETE FROM pinned_sessions WHERE session_id = ?", (session_id,))
        return conn.changes() > 0


def pinned(conn: apsw.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT session_id FROM pinned_sessions")}


def plan(conn: apsw.Connection, before: float) -> Pruning:
    """What :func:`prune` would empty, changing nothing."""
    sessions, messages, chars = conn.execute(
        f"SELECT count(DISTINCT session_id), count(*), coalesce(sum(length(text)), 0) {_DUE}", {"before": before}
    ).fetchone()  # type: ignore[misc]
    kept = conn.execute(
        """SELECT count(*) FROM pinned_sessions p WHERE EXISTS
           (SELECT 1 FROM messages m WHERE m.session_id = p.session_id AND m.ts < ? AND m.text != '')""",
        (before,),
    ).fetchone()[0]  # type: ignore[index]
    return Pruning(before, sessions, messages, chars, kept)


def prune(conn: apsw.Connection, before: float) -> Pruning:
    """Empty the bodies of messages older than ``before`` outside pinned sessions."""
    with write_transaction(conn):
        done = plan(conn, before)
        if done.messages:
            conn.execute(f"UPDATE messages SET text = '' WHERE rowid IN (SELECT rowid {_DUE})", {"before": before})
        conn.execute(_PRUNE_INPUTS, {"before": before})  # tool calls' input summaries are bodies too
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_CHECKED, time.time()))
    return done


def prune_if_due(conn: apsw.Connection, days: float, now: float | None = None) -> Pruning | None:
    """:func:`prune` for a scan: at most once per ``PRUNE_EVERY_S``; None when not due."""
    now = time.time() if now is None else now
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_CHECKED,)).fetchone()
    if row is not None and now - float(row[0]) < PRUNE_EVERY_S:
        return None
    return prune(conn, now - days * 86400)
