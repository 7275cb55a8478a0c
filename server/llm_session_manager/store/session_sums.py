"""Usage summed per session, kept up to date lazily, as ``quarters`` does per quarter hour.

``list``, ``recommend`` and ``usage --by session|project`` summed every response
of every session on each call: 0.8 s at 20,000 sessions and a million responses.
They read ``usage_sessions`` instead, one row per session. It is maintained the
way ``usage_quarters`` is, and for the same reason (a trigger per inserted row
would slow a cold scan): a small write notes the sessions it touches, the new
and, for a response moved to another session, the old (``usage_sessions_dirty``);
a big one moves ``usage_version`` and the table is rebuilt on the next read.
"""

from __future__ import annotations

from collections.abc import Sequence

import apsw

from . import _derived
from ._derived import NOTED_LIMIT, usage_changed

_SUMS = """
SELECT u.session_id, sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens),
       sum(u.cache_read_tokens), sum(u.cost_usd), count(*), min(u.exact),
       sum(u.priced = 2)  -- responses without a price (services.pricing.UNKNOWN)
"""

_STATE = """
SELECT (SELECT value FROM meta WHERE key = 'usage_version')
           IS (SELECT value FROM meta WHERE key = 'usage_sessions_version'),
       EXISTS (SELECT 1 FROM usage_sessions_dirty)
"""

_REBUILD = f"""
DELETE FROM usage_sessions;
INSERT INTO usage_sessions
{_SUMS}
FROM usage u GROUP BY u.session_id;
DELETE FROM usage_sessions_dirty;
UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'usage_version') WHERE key = 'usage_sessions_version';
"""

_NOTE = """
INSERT OR IGNORE INTO usage_sessions_dirty (session_id)
SELECT session_id FROM usage WHERE dedup_key = ?1
UNION SELECT ?2
"""

# CROSS JOIN: walk the noted sessions and find each one's responses by index.
_UPDATE_NOTED = f"""
DELETE FROM usage_sessions WHERE session_id IN (SELECT session_id FROM usage_sessions_dirty);
INSERT INTO usage_sessions
{_SUMS}
FROM usage_sessions_dirty d CROSS JOIN usage u ON u.session_id = d.session_id
GROUP BY u.session_id;
DELETE FROM usage_sessions_dirty;
"""


def usage_writing(conn: apsw.Connection, rows: Sequence[tuple]) -> None:
    """Note, in the transaction about to write them, the usage rows ``rows``
    (``(dedup_key, session_id, ...)``, as ``usage`` holds them).

    Before the write: a response already stored under another session (a copy
    in a resumed session's log that wins) leaves that session's sum too.
    """
    if len(rows) > NOTED_LIMIT:
        usage_changed(conn)
    else:
        conn.executemany(_NOTE, [row[:2] for row in rows])


def refresh(conn: apsw.Connection) -> None:
    """Bring ``usage_sessions`` up to date with ``usage``, if it is not."""
    _derived.refresh(conn, _STATE, _REBUILD, _UPDATE_NOTED)
