"""What the web dashboard shows, for any store: its query, its shapes and the local answers.

The pages (``frontends/web``) ask a ``DashboardSource`` for four things: the
session grid with the charts' figures (one ``View``), one session's page, the
values the filters offer and whether anything changed. ``DashboardSource`` is a protocol so that two servers can feed
the same pages: ``serve`` answers from this machine's SQLite store through the
functions below (``frontends/web/local_source.py``), the team server answers
from PostgreSQL with the same structs, and adds what only a team has (users,
devices, annotations, presence). The structs live here, in the services layer,
because the team server may import services but not frontends.

Every figure comes from a service the CLI uses too (``list``, ``usage``,
``export-conversation``), so the dashboard and ``--json`` never disagree.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import msgspec

from ..core import when
from ..core.models import Session, UsageReport, UsageReportRow
from . import sessions, usage
from .conversation import Conversation

if TYPE_CHECKING:
    import apsw

    from ..core.config import Config

GRID_ROWS = 500  # the grid shows the most recently active sessions, at most this many
TOP = 8  # entries in each "top" chart
FILL_EDGES = (25, 50, 75, 90)  # context fill buckets: 0-25 %, 25-50 %, ..., 90 % and over


class Query(msgspec.Struct, frozen=True, omit_defaults=True):
    """The filters of a dashboard page; every field is optional.

    ``since`` and ``until`` take what ``usage --since/--until`` take (a date is a
    whole local day). ``user`` and ``device`` mean something on the team server
    only; a local source ignores them and its facets offer none.
    """

    project: str | None = None
    provider: str | None = None
    since: str | None = None
    until: str | None = None
    user: str | None = None
    device: str | None = None


class Share(msgspec.Struct):
    """One bar of a "top" chart: a model, project, provider or tool."""

    key: str
    total_tokens: int = 0
    cost_usd: float | None = None
    count: int = 0  # tools: how many times it was used


class DayPoint(msgspec.Struct):
    day: str  # YYYY-MM-DD, local
    total_tokens: int
    cost_usd: float | None


class Bucket(msgspec.Struct):
    label: str
    count: int


class Overview(msgspec.Struct):
    """The charts' figures for one query."""

    days: list[DayPoint]
    health: list[Bucket]  # healthy, warning, critical
    context_fill: list[Bucket]
    top_models: list[Share]
    top_projects: list[Share]
    top_providers: list[Share]
    top_tools: list[Share]
    total_tokens: int
    cost_usd: float | None
    sessions: int


class View(msgspec.Struct):
    """The dashboard for one query: the grid (at most ``GRID_ROWS``) and the charts (over every session in range)."""

    sessions: list[Session]
    overview: Overview


class Facets(msgspec.Struct):
    """What the filters offer; ``team`` says whether user and device mean anything."""

    projects: list[str]
    providers: list[str]
    users: list[str] = []
    devices: list[str] = []
    team: bool = False


class Note(msgspec.Struct):
    """An annotation on a session (team server)."""

    author: str
    at: str
    text: str


class Viewer(msgspec.Struct):
    """Someone looking at a session page now (team server)."""

    name: str


class SessionPage(msgspec.Struct):
    """One session's page; ``annotations`` and ``presence`` are None where the source has none (local)."""

    conversation: Conversation
    annotations: list[Note] | None = None
    presence: list[Viewer] | None = None


class DashboardSource(Protocol):
    """Where the pages get their data. Every method may raise ``LlmSessionError``
    (``NotFound`` for an unknown session), which the pages turn into an answer."""

    async def view(self, query: Query) -> View: ...

    async def session_page(self, ref: str) -> SessionPage: ...

    async def facets(self) -> Facets: ...

    async def version(self) -> int:
        """A number that moves when the data may have changed (the live grid refreshes then)."""
        ...


# --- the local store's answers (run in a worker thread) ------------------------------------------

def view(conn: apsw.Connection, config: Config, query: Query, *, now: float | None = None) -> View:
    """The grid and the charts of ``query``, from one listing of the sessions."""
    found = in_range(conn, config, query, now=now)
    return View(sessions=found[:GRID_ROWS], overview=overview(conn, query, found))


def in_range(conn: apsw.Connection, config: Config, query: Query, *, now: float | None = None) -> list[Session]:
    """The sessions active within the query's range, most recently active first."""
    start, end = _range(query)
    found = sessions.list_sessions(conn, config, _filters(query, start), now=now)
    if end is not None:
        found = [s for s in found if s.started_at is None or _unix(s.started_at) < end]
    return found


def overview(conn: apsw.Connection, query: Query, found: Sequence[Session]) -> Overview:
    """The charts: tokens and cost per day, health and context fill of ``found``, the top lists."""
    start, end = _range(query)
    days = _usage(conn, "day", query)
    return Overview(
        days=[DayPoint(r.key, r.total_tokens, r.cost_usd) for r in days.rows],
        health=[Bucket(status, sum(s.health.status == status for s in found))
                for status in ("healthy", "warning", "critical")],
        context_fill=fill(found),
        top_models=_top(_usage(conn, "model", query).rows),
        top_projects=_top(_usage(conn, "project", query).rows),
        top_providers=_top(_usage(conn, "provider", query).rows),
        top_tools=tools(conn, query, start, end),
        total_tokens=days.totals.total_tokens,
        cost_usd=days.totals.cost_usd,
        sessions=len(found),
    )


def facets(conn: apsw.Connection) -> Facets:
    """The projects and providers that have sessions, for the filters' choices."""
    projects = [r[0] for r in conn.execute(
        "SELECT DISTINCT project FROM sessions WHERE project IS NOT NULL AND project != '' ORDER BY project")]
    providers = [r[0] for r in conn.execute("SELECT DISTINCT provider FROM sessions ORDER BY provider")]
    return Facets(projects=projects, providers=providers)


def tools(conn: apsw.Connection, query: Query, start: float | None, end: float | None) -> list[Share]:
    """The tools sessions used on files (read, edit, write, search, list), most used first."""
    clauses, params = sessions.where(sessions.Filters(provider=query.provider, project=query.project))
    if start is not None:
        clauses.append("f.ts >= :start")
        params["start"] = start
    if end is not None:
        clauses.append("f.ts < :end")
        params["end"] = end
    sql = ("SELECT f.action, count(*) FROM file_refs f JOIN sessions s ON s.id = f.session_id"
           + (" WHERE " + " AND ".join(clauses) if clauses else "")
           + " GROUP BY f.action ORDER BY count(*) DESC, f.action LIMIT :top")
    return [Share(key=action, count=n) for action, n in conn.execute(sql, {**params, "top": TOP})]


def _usage(conn: apsw.Connection, by: str, query: Query) -> UsageReport:
    return usage.report(conn, by, since=query.since, until=query.until, provider=query.provider, project=query.project)


def _range(query: Query) -> tuple[float | None, float | None]:
    start = None if not query.since else when.start(query.since, name="since")
    end = None if not query.until else when.end(query.until, name="until")
    return start, end


def _filters(query: Query, start: float | None) -> sessions.Filters:
    return sessions.Filters(provider=query.provider or None, project=query.project or None, since=start)


def _unix(iso: str) -> float:
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def fill(found: Sequence[Session]) -> list[Bucket]:
    """Sessions counted by context fill, in ``FILL_EDGES``' buckets (the team server's dashboard too)."""
    edges = (0, *FILL_EDGES)
    labels = [f"{lo}–{hi} %" for lo, hi in zip(edges, FILL_EDGES)] + [f"{FILL_EDGES[-1]} % +"]
    counts = [0] * len(labels)
    for s in found:
        counts[sum(s.context.percent >= edge for edge in FILL_EDGES)] += 1
    return [Bucket(label, n) for label, n in zip(labels, counts)]


def _top(rows: Sequence[UsageReportRow]) -> list[Share]:
    return [Share(key=r.key, total_tokens=r.total_tokens, cost_usd=r.cost_usd) for r in rows[:TOP]]
