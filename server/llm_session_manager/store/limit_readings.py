"""The assistants' own plan-limit meters as a time series (``limit_readings``, v15).

Claude Code hands its status line ``rate_limits`` (services/statusline.py);
Codex writes them into its rollout logs (sources/codex). Both arrive many
times a minute with the same value, so a reading unchanged since the latest
one only moves that row's ``seen_at``: one row per change, and the age of the
value is known. Readings from logs read out of order (an older file read
after a newer one) are kept as they are, without merging.
"""

from collections.abc import Iterable
from typing import NamedTuple

import apsw


class Reading(NamedTuple):
    """One official reading: ``used_percent`` of ``window`` at ``observed_at``, seen until ``seen_at``."""

    provider: str
    window: str
    used_percent: float
    resets_at: float | None
    observed_at: float
    seen_at: float
    session_id: str | None


_LATEST = """
SELECT provider, window_name, used_percent, resets_at, observed_at, seen_at, session_id
FROM limit_readings WHERE provider = ? AND window_name = ?
ORDER BY observed_at DESC LIMIT 1
"""
_SINCE = """
SELECT provider, window_name, used_percent, resets_at, observed_at, seen_at, session_id
FROM limit_readings WHERE provider = ? AND window_name = ? AND seen_at >= ?
ORDER BY observed_at
"""
_INSERT = """
INSERT OR IGNORE INTO limit_readings (provider, window_name, observed_at, seen_at, used_percent, resets_at, session_id)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
_SEEN = "UPDATE limit_readings SET seen_at = max(seen_at, ?) WHERE provider = ? AND window_name = ? AND observed_at = ?"


def record(conn: apsw.Connection, readings: Iterable[Reading]) -> None:
    """Add ``readings`` to the series, oldest first: a value unchanged since the latest
    reading only moves its ``seen_at``. Call inside a write transaction.

    A cold scan of a long Codex history hands over a reading per response, nearly
    all repeats: each series is looked up once, and only changes are written.
    """
    last: dict[tuple[str, str], Reading | None] = {}
    moved: dict[tuple[str, str], Reading] = {}  # latest readings whose seen_at moved, to write once
    for r in sorted(readings, key=lambda r: r.observed_at):
        key = (r.provider, r.window)
        prev = last[key] if key in last else latest(conn, *key)
        if (prev is not None and r.observed_at >= prev.observed_at and prev.used_percent == r.used_percent
                and same_reset(prev.resets_at, r.resets_at)):
            if r.seen_at > prev.seen_at:
                last[key] = moved[key] = prev._replace(seen_at=r.seen_at)
            continue
        if key in moved and prev is not None and r.observed_at >= prev.observed_at:
            _seen(conn, moved.pop(key))  # the value it repeated changes now
        conn.execute(_INSERT, (r.provider, r.window, r.observed_at, r.seen_at, r.used_percent, r.resets_at,
                               r.session_id))
        if prev is None or r.observed_at >= prev.observed_at:
            last[key] = r  # an older reading (a log read late) joins the series without becoming its latest
        else:
            last[key] = prev
    for reading in moved.values():
        _seen(conn, reading)


def _seen(conn: apsw.Connection, r: Reading) -> None:
    conn.execute(_SEEN, (r.seen_at, r.provider, r.window, r.observed_at))


def same_reset(a: float | None, b: float | None) -> bool:
    """Resets a minute apart are the same (Codex rounds its seconds-to-reset)."""
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 60)


def latest(conn: apsw.Connection, provider: str, window: str) -> Reading | None:
    row = conn.execute(_LATEST, (provider, window)).fetchone()
    return Reading(*row) if row else None


def since(conn: apsw.Connection, provider: str, window: str, start: float) -> list[Reading]:
    return [Reading(*row) for row in conn.execute(_SINCE, (provider, window, start))]
