"""What to do about sessions: the rules a user would apply if they watched every one.

Without a session id only sessions that matter now are considered: those
running, or active within ``RECENT_S``; a week-old session is history, not a
problem to fix.

Given the store, the rules that read more than a session's own numbers run too:
``merge`` (sessions doing the same work, with the evidence: ``recommend_overlap``),
``repeat`` (a session asking what another already found, with the memory to
recall: ``recommend_repeats``) and ``archive`` (idle for
``archive_after_days``: said instead of ``idle``). An export's advice, made
without the store, stays that of the session alone.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime

import apsw

from ..core.config import Config
from ..core.models import Recommendation, Session, short_id
from . import processes
from . import sessions as listing

RECENT_S = 24 * 3600
ARCHIVED = "archived"  # the tag that says a session is done with


def considered(conn: apsw.Connection, config: Config, *, now: float | None = None) -> list[Session]:
    """The sessions ``for_sessions`` looks at without a session id: those active
    within ``RECENT_S`` and those running, without building the rest.

    A running process is matched to a session active since shortly before the
    process started (``processes.match``), so listing every session active since
    a day before the oldest running process started finds exactly the running
    ones: a store of 20,000 sessions lists a few dozen instead of all of them.
    """
    now = time.time() if now is None else now
    since = now - RECENT_S
    started = [p.started_at for p in processes.running()]
    if started:
        since = min(since, min(started) - RECENT_S)
    return listing.list_sessions(conn, config, listing.Filters(since=since), now=now)


def for_sessions(
    sessions: list[Session], config: Config, *, now: float | None = None, only_recent: bool = True,
    conn: apsw.Connection | None = None,
) -> list[Recommendation]:
    """Recommendations, most severe first; with ``conn``, also those the store's evidence gives."""
    now = time.time() if now is None else now
    if only_recent:
        sessions = [s for s in sessions if s.active or now - _ts(s.last_activity) <= RECENT_S]
    out = [r for s in sessions for r in _rules(s, config, now, archive=conn is not None)]
    merged: list[Recommendation] = []
    if conn is not None:
        from .recommend_overlap import merges
        from .recommend_repeats import repeats

        merged = merges(conn, sessions, config)
        out += merged + repeats(conn, sessions, config, now=now)
    out += _consolidate(sessions, merged)
    rank = {"critical": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda r: rank[r.severity])


def _rules(s: Session, config: Config, now: float, *, archive: bool = False) -> list[Recommendation]:
    """``archive``: a session idle for ``archive_after_days`` is told to archive, not that it is idle,
    and one tagged ``archived`` is told neither."""
    rec = config.recommendations
    out = []
    short = short_id(s.id)
    if s.context.percent > rec.context_percent:
        out.append(Recommendation(
            s.id, "context", "critical",
            f"context {s.context.percent:.0f}% full ({s.context.used:,} of {s.context.limit:,} tokens)",
            f"save what it learned (llm-session export {short} --format markdown), "
            "then /compact or start a fresh session",
        ))
    idle_min = (now - _ts(s.last_activity)) / 60
    # Only a session still at work is "running"; its clock starts after its last real pause.
    hours = (_ts(s.last_activity) - _ts(s.working_since or s.started_at)) / 3600
    if idle_min <= rec.idle_minutes and hours > rec.max_duration_hours:
        out.append(Recommendation(
            s.id, "duration", "warning",
            f"running for {hours:.1f} h (over {rec.max_duration_hours:g} h)",
            "long sessions drift; summarise and restart with a focused prompt",
        ))
    if archive and idle_min > rec.archive_after_days * 1440:
        if ARCHIVED in s.tags:
            return out  # done with: its idleness and the health that follows from it are no news
        out.append(Recommendation(
            s.id, "archive", "info",
            f"idle for {_span(idle_min)} (over {rec.archive_after_days:g} days)",
            f"archive it: keep what it learned (llm-session memorize {short}), then "
            f"llm-session tag {short} {ARCHIVED}",
        ))
    elif idle_min > rec.idle_minutes:
        out.append(Recommendation(
            s.id, "idle", "info",
            f"idle for {_span(idle_min)}",
            f"close it if the work is done, or export it first (llm-session export {short})",
        ))
    if s.health.status != "healthy" and not out:  # otherwise the rules above say why
        worst = min(s.health.components, key=s.health.components.__getitem__)
        out.append(Recommendation(
            s.id, "health", "critical" if s.health.status == "critical" else "warning",
            f"health {s.health.score:.0f} ({s.health.status}); weakest: {worst}",
            "see 'llm-session show " + short + "' for the breakdown",
        ))
    return out


def _consolidate(sessions: list[Session], merged: list[Recommendation]) -> list[Recommendation]:
    """Sessions sharing a place; a group ``merged`` already names with its evidence is not said again."""
    paired = [frozenset(r.sessions) for r in merged]
    by_place: dict[str, list[Session]] = defaultdict(list)
    for s in sessions:
        place = s.cwd or s.project
        if place:
            by_place[place].append(s)
    out = []
    for place, group in sorted(by_place.items()):
        if len(group) < 2 or any({s.id for s in group} <= ids for ids in paired):
            continue
        ids = ", ".join(short_id(s.id) for s in group)
        out.append(Recommendation(
            None, "consolidate", "info",
            f"{len(group)} sessions in {place}: {ids}",
            "finish in one of them and carry context over (llm-session recall / export)",
            sessions=[s.id for s in group],
        ))
    return out


def _ts(iso: str | None) -> float:
    return datetime.fromisoformat(iso).timestamp() if iso else 0.0


def _span(minutes: float) -> str:
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.0f} days"
