"""Which of the report's figures are estimated: the days, projects, models, providers and
sessions holding a response whose counts are an estimate (the few logs without usage
numbers), found through the partial index ``usage_estimated`` (migration 018)."""

from __future__ import annotations

from collections.abc import Iterable

import apsw

from ...core.models import AnalyticsReport, UsageShare, provenance
from ._groups import NONE, OTHER
from ._sessions import Facts
from ._window import Window

_ESTIMATED = "SELECT ts, session_id, model FROM usage INDEXED BY usage_estimated WHERE NOT exact AND ts >= ? AND ts < ?"


def label(conn: apsw.Connection, report: AnalyticsReport, w: Window, found: dict[str, Facts]) -> None:
    """Give the report's totals and rows their ``provenance``."""
    days: set[str] = set()
    sessions: set[str] = set()
    models: set[str] = set()
    for ts, sid, model in conn.execute(_ESTIMATED, (w.start, w.end)):
        days.add(w.dates[w.day_of(ts)])
        sessions.add(sid)
        models.add(model)
    projects = {(found[s].project or NONE) if s in found else NONE for s in sessions}
    providers = {found[s].provider if s in found else NONE for s in sessions}
    report.totals.provenance = provenance(bool(sessions), report.totals.cost_complete)
    for day in report.daily:
        day.provenance = provenance(day.date in days, day.cost_complete)
    _shares(report.by_project, projects)
    _shares(report.by_model, models)
    _shares(report.by_provider, providers)
    for s in report.top_sessions:
        s.provenance = provenance(s.id in sessions, s.cost_complete)


def _shares(rows: Iterable[UsageShare], estimated: set[str]) -> None:
    """Label ranked rows; ``(other)`` is estimated when an estimated key is among those it sums."""
    rows = list(rows)
    named = {r.key for r in rows if r.key != OTHER}
    for r in rows:
        guess = bool(estimated - named) if r.key == OTHER else r.key in estimated
        r.provenance = provenance(guess, r.cost_complete)
