"""Usage summed per session, kept up to date lazily, as ``quarters`` does per quarter hour.

``list``, ``recommend`` and ``usage --by session|project`` summed every response
of every session on each call: 0.8 s at 20,000 sessions and a million responses.
They read ``usage_sessions`` instead, one row per session. It is maintained the
way ``usage_quarters`` is, and for the same reason (a trigger per inserted row
would slow a cold scan): a small write notes the sessions it touches, the new
and, for a response moved to another session, the old (``usage_sessions_dirty``);
a big one moves ``usage_version`` and the table is rebuilt on the next read.

Beside the sums, and from the same marks, ``session_facts`` keeps what else
``list`` worked out again for every session on every call (0.1 s at that size):
where its latest stretch of work began (``services/working.py`` says what that
is, and reads it from here) and how many API and tool errors it logged. Both
change only when the session's responses or messages do: they are worked out
again for the sessions whose sums are, and for those writers of messages noted
in ``session_facts_dirty`` (``messages_writing``; its own table, so that a
conversation stored after its usage costs no sums). The stretch depends on
the pause that ends one (``health.stopped_after_s``, from the config): the
table was walked with the pause ``session_facts_pause`` in ``meta`` names, and
a reader asking for another walks every session again (not the sums: the facts
have their own ``session_facts_version``).
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

# The pause to walk with: the reader's (:pause), else the one the table was walked with.
_PAUSE = "coalesce(:pause, (SELECT CAST(value AS REAL) FROM meta WHERE key = 'session_facts_pause'))"

# For each of the sessions ``chosen`` names: the earliest timestamp (of a
# response or a message) of its latest stretch, and its errors. The walk goes
# back from the session's last timestamp to the earliest one of the window
# ``pause`` before it, until a window is empty: it stops at the first timestamp
# after a gap longer than the pause. Every two steps go back at least the
# pause, and each reads one session's entries of an index led by its id, so a
# session costs a few steps for its latest stretch. (A window function over
# every timestamp of every session, sorted and deduplicated, took 0.5 s at
# 7,000 long sessions.)
_FACTS = f"""
INSERT INTO session_facts (session_id, stretch_from, errors)
WITH RECURSIVE chosen(id) AS ({{chosen}}),
walk(session_id, ts) AS (
    SELECT id, (SELECT max(t) FROM (SELECT max(ts) AS t FROM usage WHERE session_id = id
                                    UNION ALL SELECT max(ts) FROM messages WHERE session_id = id))
    FROM chosen
    UNION ALL
    SELECT session_id, (SELECT min(t) FROM (
        SELECT min(ts) AS t FROM usage WHERE session_id = w.session_id AND ts >= w.ts - {_PAUSE} AND ts < w.ts
        UNION ALL
        SELECT min(ts) FROM messages WHERE session_id = w.session_id AND ts >= w.ts - {_PAUSE} AND ts < w.ts))
    FROM walk w WHERE w.ts IS NOT NULL
)
SELECT session_id, min(ts),
       (SELECT count(*) FROM messages m
        WHERE m.session_id = walk.session_id AND m.kind IN ('api_error', 'tool_error'))
FROM walk GROUP BY session_id;
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

# The facts have a version and a pause of their own, so that another pause walks the
# sessions again without summing a million responses again. They are brought up to
# date before the sums, whose marks (``usage_sessions_dirty``) they read too.
_FACTS_STATE = """
SELECT (SELECT value FROM meta WHERE key = 'usage_version')
           IS (SELECT value FROM meta WHERE key = 'session_facts_version')
       AND (:pause IS NULL OR (SELECT CAST(value AS REAL) FROM meta WHERE key = 'session_facts_pause') IS :pause),
       EXISTS (SELECT 1 FROM usage_sessions_dirty UNION ALL SELECT 1 FROM session_facts_dirty)
"""

_FACTS_REBUILD = f"""
DELETE FROM session_facts;
{_FACTS.format(chosen="SELECT id FROM sessions")}
UPDATE meta SET value = {_PAUSE} WHERE key = 'session_facts_pause';
DELETE FROM session_facts_dirty;
UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'usage_version') WHERE key = 'session_facts_version';
"""

# The sessions whose facts may have changed: their responses did, or their messages.
_FACTS_NOTED = "SELECT session_id FROM usage_sessions_dirty UNION SELECT session_id FROM session_facts_dirty"

_FACTS_UPDATE_NOTED = f"""
DELETE FROM session_facts WHERE session_id IN ({_FACTS_NOTED});
{_FACTS.format(chosen=_FACTS_NOTED)}
DELETE FROM session_facts_dirty;
"""

_NOTE_FACTS = "INSERT OR IGNORE INTO session_facts_dirty (session_id) VALUES (?)"


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


def messages_writing(conn: apsw.Connection, rows: Sequence[tuple]) -> None:
    """Note, in the transaction writing them, the sessions of the messages ``rows``
    (``(key, session_id, ...)``, as ``messages`` holds them): their stretch and
    errors may change. One mark per session, however many messages: never too many."""
    conn.executemany(_NOTE_FACTS, [(sid,) for sid in {row[1] for row in rows}])


def refresh(conn: apsw.Connection, pause_s: float | None = None) -> None:
    """Bring ``usage_sessions`` and ``session_facts`` up to date with ``usage`` and
    ``messages``, if they are not; the stretches walked with ``pause_s`` if given
    (else with the pause they were walked with)."""
    _derived.refresh(conn, _FACTS_STATE, _FACTS_REBUILD, _FACTS_UPDATE_NOTED, {"pause": pause_s})
    _derived.refresh(conn, _STATE, _REBUILD, _UPDATE_NOTED)
