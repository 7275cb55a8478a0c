"""The web dashboard's data from the team database, as the signed-in member may see it.

``TeamSource`` is a ``services.dashboard.DashboardSource``: the same pages that
``serve`` shows for one person show, on the team server, every session the
caller may read (``access``: their own, what was granted to them, everything
for an admin), with users and devices to filter by, the session's notes as
annotations and who else has its page open (``presence``).

The pages know nothing of callers, so the one ``TeamSource`` learns whose
request it answers from ``CALLER``, set by the dashboard's sign-in gate
(``dashboard_routes``) before the request reaches the pages. A session's
health and context fill are those its most recently active device pushed
(``PushSession``); a session pushed by an older client, which sends none, shows
health ``unknown`` and context 0 with ``provenance.context`` ``unknown``. Days are UTC days.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..core import when
from ..core.models import Context, Health, Session, Tokens, session_provenance
from ..services.conversation import Conversation, Entry
from ..services.dashboard import (
    GRID_ROWS,
    TOP,
    Bucket,
    DayPoint,
    Facets,
    Note,
    Overview,
    Query,
    SessionPage,
    Share,
    View,
    fill,
)
from . import access, shared_sessions
from .presence import Presence

if TYPE_CHECKING:
    import psycopg

    from .auth import Caller

InThread = Callable[[Callable[[Any], Any]], Awaitable[Any]]
CALLER: ContextVar[Caller] = ContextVar("dashboard_caller")
ACTIVE_S = 300  # a session with activity this recent shows as active
_ISO = "%Y-%m-%dT%H:%M:%SZ"
_UTC = dt.UTC
_NO_HEALTH = Health(score=0.0, status="unknown", components={})
_NO_CONTEXT = Context(used=0, limit=0, percent=0.0)

# A response's sums once per owner whose devices pushed it (two devices of one owner see it once).
_USAGE = """
SELECT o.name, u.session_id, u.provider, u.model, to_char(to_timestamp(u.ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens), sum(u.cache_read_tokens),
       sum(u.cost_usd), bool_and(u.exact), count(*), bool_and(u.priced <> 2)
FROM usage u JOIN LATERAL (SELECT DISTINCT du.name FROM usage_seen x JOIN devices d ON d.id = x.device_id
                           JOIN users du ON du.id = d.user_id WHERE x.dedup_key = u.dedup_key) o ON TRUE
WHERE u.session_id = ANY(%s)
GROUP BY 1, 2, 3, 4, 5
"""
_TOOLS = """
SELECT du.name, f.session_id, f.action, count(DISTINCT f.key) FROM file_refs f JOIN devices d ON d.id = f.device_id
JOIN users du ON du.id = d.user_id WHERE f.session_id = ANY(%s) AND f.ts >= %s AND f.ts < %s GROUP BY 1, 2, 3
"""


class TeamSource:
    """The dashboard over the team database; each answer is for ``CALLER``'s member."""

    def __init__(self, in_thread: InThread, presence: Presence) -> None:
        self._in_thread = in_thread
        self.presence = presence

    async def view(self, query: Query) -> View:
        who = CALLER.get()
        return await self._in_thread(lambda conn: _view(conn, who, query))

    async def session_page(self, ref: str) -> SessionPage:
        who = CALLER.get()
        page, owner = await self._in_thread(lambda conn: _page(conn, who, ref))
        page.presence = [v for v in self.presence.viewers((owner, page.conversation.session.id)) if v.name != who.user]
        return page

    async def facets(self) -> Facets:
        who = CALLER.get()
        return await self._in_thread(lambda conn: _facets(conn, who))

    async def version(self) -> int:
        """Moves with any push, note or grant, and whenever someone opens or leaves a session page."""
        stamp = await self._in_thread(_stamp)
        return hash((stamp, self.presence.generation())) & 0x7FFF_FFFF_FFFF


def _stamp(conn: psycopg.Connection) -> tuple[object, ...]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM usage), (SELECT max(received_at) FROM usage), "
        "(SELECT max(last_activity) FROM sessions), (SELECT count(*) FROM sessions), "
        "(SELECT max(id) FROM session_notes), (SELECT max(id) FROM grants), (SELECT count(*) FROM grants), "
        "(SELECT count(*) FROM messages)").fetchone()
    return tuple(row or ())


def visible(conn: psycopg.Connection, who: Caller, query: Query) -> list[shared_sessions.TeamSession]:
    """The sessions ``who`` may read that the query's filters keep, most recently active first."""
    start, end = _range(query)
    kept = []
    for s in shared_sessions.listing(conn, who, owner=query.user or None, project=query.project or None):
        if query.provider and s.provider != query.provider:
            continue
        if query.device and query.device not in s.devices:
            continue
        if start is not None and (s.last_activity or s.started_at or 0) < start:
            continue
        if end is not None and s.started_at is not None and s.started_at >= end:
            continue
        kept.append(s)
    return kept


def _view(conn: psycopg.Connection, who: Caller, query: Query) -> View:
    found = visible(conn, who, query)
    keys = {(s.owner, s.id): s for s in found}
    start, end = _range(query)
    lo, hi = start if start is not None else float("-inf"), end if end is not None else float("inf")
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 1, 1])
    days: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    models: dict[str, Share] = {}
    projects: dict[str, Share] = {}
    providers: dict[str, Share] = {}
    ids = sorted({s.id for s in found})  # only their responses are read; the owner is checked below
    for owner, sid, provider, model, day, i, o, cc, cr, cost, exact, n, priced in conn.execute(_USAGE, (ids,)):
        s = keys.get((owner, sid))
        if s is None:
            continue
        t = totals[(owner, sid)]
        t[0], t[1], t[2], t[3], t[4] = t[0] + i, t[1] + o, t[2] + cc, t[3] + cr, t[4] + cost
        t[5], t[6] = t[5] and exact, t[6] and priced
        if not (lo <= when.start(day, tz=_UTC) < hi):
            continue
        tokens = int(i + o + cc + cr)
        days[day][0] += tokens
        days[day][1] += cost
        for shares, key in ((models, model), (providers, provider), (projects, s.project or "(none)")):
            share = shares.setdefault(key, Share(key=key, cost_usd=0.0))
            share.total_tokens += tokens
            share.cost_usd = (share.cost_usd or 0.0) + cost
            share.count += int(n)
    grid = [_session(s, totals.get((s.owner, s.id))) for s in found]
    tools: dict[str, int] = defaultdict(int)
    for owner, sid, action, n in conn.execute(_TOOLS, (ids, lo, hi)):
        if (owner, sid) in keys:
            tools[action] += int(n)
    overview = Overview(
        days=[DayPoint(day, int(v[0]), v[1]) for day, v in sorted(days.items())],
        health=[Bucket(status, sum(s.health.status == status for s in grid))
                for status in ("healthy", "warning", "critical")],
        context_fill=fill(grid),
        top_models=_top(models), top_projects=_top(projects), top_providers=_top(providers),
        top_tools=[Share(key=k, count=n) for k, n in sorted(tools.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]],
        total_tokens=sum(int(v[0]) for v in days.values()),
        cost_usd=sum(v[1] for v in days.values()),
        sessions=len(found),
    )
    return View(sessions=grid[:GRID_ROWS], overview=overview)


def _page(conn: psycopg.Connection, who: Caller, ref: str) -> tuple[SessionPage, str]:
    """The session ``ref`` (its notes as annotations, its pushed conversation) and its owner; the
    caller adds presence, which lives in this process rather than the database."""
    found = shared_sessions.locate(conn, who, ref)
    owner = conn.execute("SELECT id FROM users WHERE name = %s", (found.owner,)).fetchone()
    assert owner is not None
    access.require(conn, who, "read", access.Resource("session", int(owner[0]), found.id, found.project))
    sums = conn.execute(
        "SELECT coalesce(sum(u.input_tokens), 0), coalesce(sum(u.output_tokens), 0), "
        "coalesce(sum(u.cache_creation_tokens), 0), coalesce(sum(u.cache_read_tokens), 0), "
        "coalesce(sum(u.cost_usd), 0), coalesce(bool_and(u.exact), true), coalesce(bool_and(u.priced <> 2), true) "
        "FROM usage u WHERE u.session_id = %s "
        "AND EXISTS (SELECT 1 FROM usage_seen x JOIN devices d ON d.id = x.device_id "
        "WHERE x.dedup_key = u.dedup_key AND d.user_id = %s)", (found.id, owner[0])).fetchone()
    entries: list[tuple[float, str, str, str, str | None, str | None]] = []
    for ts, role, kind, text in conn.execute(
            "SELECT DISTINCT ON (m.key) m.ts, m.role, m.kind, m.text FROM messages m JOIN devices d "
            "ON d.id = m.device_id WHERE d.user_id = %s AND m.session_id = %s ORDER BY m.key", (owner[0], found.id)):
        entries.append((ts, role, kind, text, None, None))
    for ts, action, path in conn.execute(
            "SELECT DISTINCT ON (f.key) f.ts, f.action, f.path FROM file_refs f JOIN devices d "
            "ON d.id = f.device_id WHERE d.user_id = %s AND f.session_id = %s ORDER BY f.key", (owner[0], found.id)):
        entries.append((ts, "assistant", "tool_use", f"{action} {path}", action, path))
    entries.sort(key=lambda e: e[0])
    messages = [Entry(n=n, ts=_iso(ts) or "", role=role, kind=kind, text=text, at=ts, tool=tool, path=path)
                for n, (ts, role, kind, text, tool, path) in enumerate(entries, 1)]
    notes = [Note(author=author or "(gone)", at=at, text=text) for author, at, text in conn.execute(
        "SELECT a.name, to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), n.text "
        "FROM session_notes n LEFT JOIN users a ON a.id = n.author_id WHERE n.owner_id = %s AND n.session_id = %s "
        "ORDER BY n.id", (owner[0], found.id))]
    session = _session(found, list(sums) if sums else None)
    conversation = Conversation(session=session, messages=messages, pruned=0, exported_at=_iso(time.time()) or "")
    return SessionPage(conversation=conversation, annotations=notes, presence=[]), found.owner


def _facets(conn: psycopg.Connection, who: Caller) -> Facets:
    found = shared_sessions.listing(conn, who)
    return Facets(projects=sorted({s.project for s in found if s.project}),
                  providers=sorted({s.provider for s in found}),
                  users=sorted({s.owner for s in found}),
                  devices=sorted({d for s in found for d in s.devices}), team=True)


def _session(s: shared_sessions.TeamSession, sums: list[Any] | None) -> Session:
    i, o, cc, cr, cost, exact, complete = sums if sums else (0, 0, 0, 0, 0.0, True, True)
    tokens = Tokens(input=int(i), output=int(o), cache_creation=int(cc), cache_read=int(cr),
                    total=int(i + o + cc + cr), source="exact" if exact else "estimated")
    last = s.last_activity
    return Session(id=s.id, provider=s.provider, project=s.project, cwd=s.cwd, title=s.title, model=s.model,
                   started_at=_iso(s.started_at), last_activity=_iso(last),
                   active=last is not None and time.time() - last < ACTIVE_S, tokens=tokens, context=_context(s),
                   cost_usd=float(cost), health=_health(s), tags=[f"owner:{s.owner}", *(f"device:{d}" for d in s.devices)],
                   cost_complete=bool(complete), provenance=session_provenance(bool(exact), bool(complete), s.context_source or "unknown"))


def _health(s: shared_sessions.TeamSession) -> Health:
    """As pushed: status and score (the components stay on the member's machine)."""
    if s.health_status is None or s.health_score is None:
        return _NO_HEALTH
    return Health(score=s.health_score, status=s.health_status, components={})


def _context(s: shared_sessions.TeamSession) -> Context:
    if s.context_percent is None:
        return _NO_CONTEXT
    return Context(used=s.context_used or 0, limit=s.context_limit or 0, percent=s.context_percent)


def _top(shares: dict[str, Share]) -> list[Share]:
    return sorted(shares.values(), key=lambda s: (-s.total_tokens, s.key))[:TOP]


def _range(query: Query) -> tuple[float | None, float | None]:
    start = None if not query.since else when.start(query.since, name="since", tz=_UTC)
    end = None if not query.until else when.end(query.until, name="until", tz=_UTC)
    return start, end


def _iso(at: float | None) -> str | None:
    return None if at is None else time.strftime(_ISO, time.gmtime(at))
