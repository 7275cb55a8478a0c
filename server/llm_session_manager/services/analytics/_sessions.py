"""The window's sessions: what they are, how long they ran, how healthy they are,
and which of them hit a limit.

Health is ``health.score`` over the very signals ``list`` gives it (context fill,
duration, idle time, errors per billed response), gathered by a few grouped
queries: building 20,000 full session objects would cost more than the whole
report may.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping
from typing import NamedTuple, cast

import apsw

from ...core.config import Config
from ...core.models import LimitHit, LimitHits, SessionStats
from .. import health
from ..sessions import context_limit, is_long
from ..working import since as working_since
from ._usage import RESPONSES, Rollup
from ._window import Window


class Facts(NamedTuple):
    id: str
    provider: str
    project: str | None
    title: str | None
    model: str | None
    started_at: float | None
    last_activity: float | None
    context_tokens: int | None
    context_window: int | None
    context_peak: int | None


_FACTS = """
SELECT id, provider, project, title, model, started_at, last_activity, context_tokens, context_window, context_peak
FROM sessions
"""
_IN_WINDOW = _FACTS + "WHERE last_activity >= :start AND started_at < :end"
_BY_ID = _FACTS + "WHERE id IN (SELECT value FROM json_each(:ids))"

# All of a session's errors count towards its health, as in ``list``; API errors
# (and those about a usage or rate limit) are counted within the window.
_ERRORS = """
SELECT session_id, count(*),
       total(kind = 'api_error' AND ts >= :start AND ts < :end),
       total(kind = 'api_error' AND ts >= :start AND ts < :end AND lsm_peek(text) LIKE '%limit%')
FROM messages
WHERE kind IN ('api_error', 'tool_error')
GROUP BY session_id
"""
_RESPONSES = """
SELECT session_id, count(*) FROM usage
WHERE session_id IN (SELECT value FROM json_each(:ids))
GROUP BY session_id
"""


def facts(conn: apsw.Connection, w: Window, billed: Mapping[str, object]) -> dict[str, Facts]:
    """Sessions active within the window, and any other session billed in it."""
    bounds = {"start": w.start, "end": w.end}
    found = {row[0]: Facts(*row) for row in conn.execute(_IN_WINDOW, bounds)}
    missing = [sid for sid in billed if sid not in found]
    if missing:
        found.update((row[0], Facts(*row)) for row in conn.execute(_BY_ID, {"ids": json.dumps(missing)}))
    return found


def stats(
    conn: apsw.Connection, config: Config, w: Window, found: dict[str, Facts], usage: Rollup, now: float, top: int
) -> tuple[SessionStats, LimitHits]:
    """How many of the sessions in ``found`` are healthy, how long they ran, which hit a limit."""
    bounds = {"start": w.start, "end": w.end}
    errors, api, limit = {}, {}, {}
    for sid, n, in_window, about_limits in conn.execute(_ERRORS, bounds):
        errors[sid] = n
        if in_window:
            api[sid], limit[sid] = int(in_window), int(about_limits)
    responses = _responses(conn, w, found, usage)
    limits: dict[tuple[str | None, int | None, bool], int] = {}
    threshold = config.recommendations.context_percent
    statuses = {"healthy": 0, "warning": 0, "critical": 0}
    durations, hits = [], []
    rec = config.recommendations
    working = working_since(  # the health clock ``list`` uses
        conn, {f.id: (f.started_at or 0.0, f.last_activity or 0.0) for f in found.values()},
        pause_s=health.stopped_after_s(config), shortest_s=rec.max_duration_hours * 3600 / 2,
    )
    for f in found.values():
        used = f.context_tokens or 0
        key = (f.model, f.context_window, is_long(f.context_peak, used))
        if key not in limits:
            limits[key] = context_limit(f.model, f.context_window, config, long_context=key[2])
        window = limits[key]
        signals = health.Signals(
            context_percent=round(100.0 * used / window, 1) if window else 0.0,
            duration_s=max(0.0, (f.last_activity or 0) - working[f.id]),
            idle_s=max(0.0, now - (f.last_activity or now)),
            errors=errors.get(f.id, 0),
            turns=responses.get(f.id, 0),
        )
        statuses[health.score(signals, config).status] += 1
        if f.started_at is not None and f.last_activity is not None:
            durations.append(f.last_activity - f.started_at)
        peak = max(used, usage.peak_prompt.get(f.id, 0))
        if window and 100.0 * peak / window >= threshold:
            hits.append(LimitHit(f.id, f.project, peak, window, round(100.0 * peak / window, 1)))
    hits.sort(key=lambda h: (-h.context_percent, h.session_id))
    count = len(found)
    return (
        SessionStats(
            count=count,
            average_duration_s=round(statistics.fmean(durations), 1) if durations else 0.0,
            median_duration_s=round(statistics.median(durations), 1) if durations else 0.0,
            **statuses,
            healthy_share=round(statuses["healthy"] / count, 4) if count else 0.0,
        ),
        LimitHits(
            context_percent=threshold,
            sessions=len(hits),
            top=hits[:top],
            api_errors=sum(api.values()),
            limit_errors=sum(limit.values()),
            sessions_with_api_errors=len(api),
        ),
    )


def _responses(conn: apsw.Connection, w: Window, found: dict[str, Facts], usage: Rollup) -> dict[str, int]:
    """Billed responses per session over its whole life, as ``list`` counts them for health.

    A session that lies inside the window had all of them in it; only those that
    began before it (or run past its end) are counted again.
    """
    counts = {sid: sums[RESPONSES] for sid, sums in usage.sessions.items()}
    straddling = [
        f.id for f in found.values()
        if f.started_at is None or f.last_activity is None or f.started_at < w.start or f.last_activity >= w.end
    ]
    if straddling:
        counts.update(cast("list[tuple[str, int]]", conn.execute(_RESPONSES, {"ids": json.dumps(straddling)}).fetchall()))
    return counts
