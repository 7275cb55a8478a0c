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

_STRETCH = """
WITH chosen(id) AS (SELECT value FROM json_each(:ids)),
times(session_id, ts) AS (
    SELECT session_id, ts FROM usage WHERE session_id IN (SELECT id FROM chosen)
    UNION
    SELECT session_id, ts FROM messages WHERE session_id IN (SELECT id FROM chosen)
),
gaps AS (
    SELECT session_id, ts, ts - lag(ts) OVER (PARTITION BY session_id ORDER BY ts) AS gap FROM times
)
SELECT session_id, max(ts) FROM gaps WHERE gap IS NULL OR gap > :pause GROUP BY session_id
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
