"""Analytics over the last N days: trend, where the money went, session health,
limits hit, the Claude 5-hour block now.

One report for people (``llm-session analytics``) and scripts (``--json``).
Every number is summed by SQL over the store (``_usage``), so a year of history
(a million responses) takes well under a second; Python only regroups the
per-session sums. Days are local and follow ``TZ``, cut exactly as ``usage
--by day`` cuts them, so the two reports agree day by day.
"""

from __future__ import annotations

import time

import apsw

from ...core import args
from ...core.config import Config
from ...core.models import AnalyticsReport, BillingBlock, DailyUsage, UsageTotals
from .. import blocks, unpriced_models
from ..sessions import iso
from . import _provenance
from ._groups import ranked, regroup, top_sessions
from ._sessions import facts, stats
from ._usage import COST, UNPRICED, rollup, token_fields
from ._window import parse_count, window

__all__ = ["blocks_report", "parse_count", "report"]


def report(
    conn: apsw.Connection, config: Config, *, days: int = 30, top: int = 10, now: float | None = None
) -> AnalyticsReport:
    """The analytics of the ``days`` local days up to today; lists cut at ``top`` entries."""
    now = time.time() if now is None else now
    w = window(days, now)
    args.check(top, args.Top, "top")
    usage = rollup(conn, w)
    found = facts(conn, w, usage.sessions)
    session_stats, limit_hits = stats(conn, config, w, found, usage, now, top)
    daily = [
        DailyUsage(date=date, sessions=0, **token_fields(s))
        for date, s in zip(w.dates, usage.days, strict=True)
    ]
    for days_of_session in usage.session_days.values():
        for day in days_of_session:
            daily[day].sessions += 1
    groups = regroup(usage, found, top)
    block = blocks.current_block(conn, now)
    unpriced = sum(s[UNPRICED] for s in usage.days)
    out = AnalyticsReport(
        days=w.days,
        since=w.dates[0],
        until=w.dates[-1],
        generated_at=iso(now),
        totals=UsageTotals(
            input_tokens=sum(d.input_tokens for d in daily),
            output_tokens=sum(d.output_tokens for d in daily),
            cache_creation_tokens=sum(d.cache_creation_tokens for d in daily),
            cache_read_tokens=sum(d.cache_read_tokens for d in daily),
            total_tokens=sum(d.total_tokens for d in daily),
            cost_usd=unpriced_models.known_cost(sum(s[COST] for s in usage.days), unpriced),
            cost_complete=not unpriced,
        ),
        daily=daily,
        by_project=groups.by_project,
        by_model=ranked(usage.models, usage.model_sessions, None),
        by_provider=groups.by_provider,
        top_sessions=top_sessions(conn, usage, found, top),
        sessions=session_stats,
        limit_hits=limit_hits,
        claude_block=blocks.to_public(block, now) if block else None,
        most_active_projects=groups.most_active,
        unpriced_models=unpriced_models.in_range(conn, w.start, w.end, None) if unpriced else [],
    )
    _provenance.label(conn, out, w, found)
    return out


def blocks_report(
    conn: apsw.Connection, *, days: int | None = None, active: bool = False, now: float | None = None
) -> list[BillingBlock]:
    """Claude's 5-hour blocks: all, those begun in the last ``days`` local days (and the active
    one), or with ``active`` only the one running now."""
    now = time.time() if now is None else now
    since = window(days, now).start if days is not None else None
    found = blocks.blocks(conn, since=since, now=now)
    return [blocks.to_public(b, now) for b in found if b.active or not active]
