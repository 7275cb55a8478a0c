"""When a session's current stretch of work began: its "running for" clock.

A session's first and last timestamps are a poor clock. A resumed Claude Code
session repeats its predecessor's lines, with their old timestamps, under its
own id, and a session picked up again after months keeps its first day: both
read as "running for 7188 h" for a log appended today. What a person means by
running is the work since the session last stopped, so the clock starts at the
first response or message after the last gap long enough for the health score
to count the session as stopped (``health.stopped_after_s``: eight times the
idle threshold, 4 h by default). Shorter gaps (reading a diff, lunch) are part
of the run.
"""

from __future__ import annotations

import apsw

# Walk back from each session's last timestamp (of a response or a message) to
# the earliest one of the window ``pause`` before it, until a window is empty:
# the walk stops at the first timestamp after a gap longer than ``pause``. Every
# two steps go back at least ``pause``, and each reads one session's entries of
# an index led by its id, so a session costs a few steps for its latest stretch. (A window function over every timestamp of every
# session, sorted and deduplicated, took 0.5 s at 7,000 long sessions.)
_STRETCH = """
WITH RECURSIVE chosen(id) AS (SELECT value FROM json_each(:ids)),
walk(session_id, ts) AS (
    SELECT id, (SELECT max(t) FROM (SELECT max(ts) AS t FROM usage WHERE session_id = id
                                    UNION ALL SELECT max(ts) FROM messages WHERE session_id = id))
    FROM chosen
    UNION ALL
    SELECT session_id, (SELECT min(t) FROM (
        SELECT min(ts) AS t FROM usage WHERE session_id = w.session_id AND ts >= w.ts - :pause AND ts < w.ts
        UNION ALL
        SELECT min(ts) FROM messages WHERE session_id = w.session_id AND ts >= w.ts - :pause AND ts < w.ts))
    FROM walk w WHERE w.ts IS NOT NULL
)
SELECT session_id, min(ts) FROM walk WHERE ts IS NOT NULL GROUP BY session_id
"""


def since(conn: apsw.Connection, spans: dict[str, tuple[float, float]], pause_s: float,
          shortest_s: float) -> dict[str, float]:
    """The start of each session's latest stretch of work, for those that need one.

    ``spans`` maps a session id to its (first, last) timestamps; only sessions
    spanning more than ``shortest_s`` are looked at (a shorter one cannot have
    worked long enough to matter), and any other keeps its first timestamp.
    """
    import json

    long = [sid for sid, (first, last) in spans.items() if last - first > shortest_s]
    out = {sid: first for sid, (first, _) in spans.items()}
    if long:
        for sid, start in conn.execute(_STRETCH, {"ids": json.dumps(long), "pause": pause_s}):
            out[sid] = max(start, out[sid])
    return out
