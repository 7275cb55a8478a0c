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

Walking a session's timestamps back to that gap is SQL work that changes only
when its responses or messages do, so the store keeps each session's answer
(``session_facts.stretch_from``, kept with the sums in ``store/session_sums.py``)
and a listing reads it: ``start`` turns it into the clock.
"""

from __future__ import annotations

import apsw
import msgspec

from ..store import session_sums


def start(first: float | None, last: float | None, stretch_from: float | None, shortest_s: float) -> float:
    """The clock of a session spanning ``first`` to ``last`` whose latest stretch began at
    ``stretch_from`` (None: it has no timestamps): the stretch, for a session spanning more
    than ``shortest_s`` (a shorter one cannot have worked long enough to matter), never
    before its first timestamp; else its first timestamp (0 when it has none)."""
    first = first or 0.0
    if stretch_from is not None and (last or 0.0) - first > shortest_s:
        return max(stretch_from, first)
    return first


def since(conn: apsw.Connection, spans: dict[str, tuple[float, float]], pause_s: float,
          shortest_s: float) -> dict[str, float]:
    """``start`` for each session of ``spans`` (id: (first, last) timestamps), the
    stretches walked with ``pause_s``."""
    session_sums.refresh(conn, pause_s)
    long = [sid for sid, (first, last) in spans.items() if last - first > shortest_s]
    stretches: dict[str, float] = {}
    if long:
        stretches = dict(conn.execute(
            "SELECT session_id, stretch_from FROM session_facts "
            "WHERE session_id IN (SELECT value FROM json_each(?)) AND stretch_from IS NOT NULL",
            (msgspec.json.encode(long).decode(),),  # msgspec: a status line imports no json (2 ms)
        ))
    return {sid: start(first, last, stretches.get(sid), shortest_s) for sid, (first, last) in spans.items()}
