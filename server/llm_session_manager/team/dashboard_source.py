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
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ..core import when
from ..core.models import Context, Health, Session, Tokens, session_provenance
from ..services.conversation import Conversation, Entry
from ..services.dashboard import (
    FILL_EDGES,
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
from . import access, rollups, shared_sessions
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
_EPOCH = dt.date(1970, 1, 1)

_SUMS = ("sum(q.input_tokens), sum(q.output_tokens), sum(q.cache_creation_tokens), sum(q.cache_read_tokens), "
         "sum(q.cost_usd)::float8")
# The charts: the owners' rollup (``rollups.SESSION_DAYS``: each response once per owner whose devices
# pushed it) of the sessions shown, summed per UTC day, model, provider and project in one pass.
_CHARTS = """
SELECT GROUPING(q.day, q.model, q.provider), q.day, q.model, q.provider, coalesce(r.project, '(none)'),
       sum(q.tokens), sum(q.cost)::float8, sum(q.responses)
FROM {rows} {days}
GROUP BY GROUPING SETS ((q.day), (q.model), (q.provider), (coalesce(r.project, '(none)')))
HAVING sum(q.responses) > 0
"""
_BY_DAY, _BY_MODEL, _BY_PROVIDER = 0b011, 0b101, 0b110  # GROUPING's bits: 1 for each key a row is not of
_TOKENS = "q.input_tokens + q.output_tokens + q.cache_creation_tokens + q.cache_read_tokens"
# The rollup's rows of the sessions shown: for the whole team (an admin's) a join PostgreSQL hashes;
# for a member's few thousand sessions, each session's rows looked up by its key (an aggregate, which
# PostgreSQL keeps as a lookup: hashing the whole rollup for them took a third of the view's time).
_ALL_ROWS = (f"(SELECT q.user_id, q.session_id, q.day, q.model, q.provider, {_TOKENS} AS tokens, q.cost_usd AS cost, "
             f"q.responses FROM {rollups.SESSION_DAYS} q) q JOIN ({{shown}}) r "
             "ON r.user_id = q.user_id AND r.id = q.session_id")
_FEW_ROWS = (f"({{shown}}) r CROSS JOIN LATERAL (SELECT q.day, q.model, q.provider, sum({_TOKENS}) AS tokens, "
             f"sum(q.cost_usd) AS cost, sum(q.responses) AS responses FROM {rollups.SESSION_DAYS} q "
             "WHERE q.user_id = r.user_id AND q.session_id = r.id GROUP BY 1, 2, 3) q")
# Every session's sums in the grid (all time, as its page shows them).
_TOTALS = f"""
SELECT k.user_id, k.id, t.* FROM unnest(%s::bigint[], %s::text[]) k(user_id, id)
CROSS JOIN LATERAL (SELECT {_SUMS}, sum(q.estimated) = 0, sum(q.unpriced) = 0 FROM {rollups.SESSION_DAYS} q
                    WHERE q.user_id = k.user_id AND q.session_id = k.id HAVING count(*) > 0) t
"""
_TOOLS = """
SELECT x.action, count(*) FROM (
    SELECT DISTINCT d.user_id, f.session_id, f.action, f.key FROM file_refs f JOIN devices d ON d.id = f.device_id
    JOIN ({shown}) r ON r.user_id = d.user_id AND r.id = f.session_id {window}) x
GROUP BY 1
"""
_FILL = " + ".join(f"(coalesce(r.context_percent, 0) >= {edge})::int" for edge in FILL_EDGES)
_HEALTHS = ("healthy", "warning", "critical")
# Sessions counted by health (as pushed; none where the score is missing) and by context fill bucket.
_SUMMARY = ("SELECT CASE WHEN r.health_score IS NOT NULL THEN r.health_status END, " + _FILL + ", count(*) "
            "FROM ({shown}) r GROUP BY 1, 2")
# The change stamp: every push bumps its device's count of pushes, and whatever a device stores (usage,
# OTLP, messages, file references) its count of changes (team migration 9); notes and grants by their
# ids and number. A few hundred rows read, where count(*) over the responses took 400 ms at 10 M.
_STAMP = ("SELECT (SELECT row(count(*), sum(pushes), sum(changes), max(last_push_at)) FROM devices), "
          "(SELECT max(id) FROM session_notes), (SELECT row(max(id), count(*)) FROM grants)")


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
    row = conn.execute(_STAMP).fetchone()
    return tuple(str(v) for v in row or ())


def shown_sql(who: Caller, query: Query) -> tuple[str, list[object]]:
    """The sessions ``who`` may read that the query's filters keep (``shared_sessions.readable_sql``'s
    rows, ``user_id`` naming their owner), and its parameters."""
    readable, params = shared_sessions.readable_sql(who, owner=query.user or None, project=query.project or None)
    start, end = _range(query)
    where: list[str] = []
    more: list[object] = []
    if query.provider:
        where.append("r.provider = %s")
        more.append(query.provider)
    if query.device:
        where.append("%s = ANY(r.devices)")
        more.append(query.device)
    if start is not None:  # active since: its last activity (its start where it has none) in range
        where.append("coalesce(nullif(r.last_activity, 0), nullif(r.started_at, 0), 0) >= %s")
        more.append(start)
    if end is not None:
        where.append("(r.started_at IS NULL OR r.started_at < %s)")
        more.append(end)
    return f"SELECT * FROM ({readable}) r WHERE {' AND '.join(where) or 'TRUE'}", [*params, *more]


def visible(conn: psycopg.Connection, who: Caller, query: Query, limit: int | None = None
            ) -> list[shared_sessions.TeamSession]:
    """The sessions ``who`` may read that the query's filters keep, most recently active first."""
    shown, params = shown_sql(who, query)
    first = "" if limit is None else f" LIMIT {int(limit)}"
    rows = conn.execute(f"SELECT * FROM ({shown}) r ORDER BY r.last_activity DESC NULLS LAST, r.id{first}".encode(),
                        params).fetchall()
    return [shared_sessions.from_row(who, row) for row in rows]


_OWNER_ID = 10  # the column of a readable row that holds its owner's id


def _view(conn: psycopg.Connection, who: Caller, query: Query) -> View:
    shown, params = shown_sql(who, query)
    rows = conn.execute(f"SELECT * FROM ({shown}) r ORDER BY r.last_activity DESC NULLS LAST, r.id "
                        f"LIMIT {GRID_ROWS}".encode(), params).fetchall()
    keys = [(row[_OWNER_ID], row[0]) for row in rows]
    totals = {(owner, sid): sums for owner, sid, *sums in conn.execute(
        _TOTALS, ([owner for owner, _ in keys], [sid for _, sid in keys]))}
    grid = [_session(shared_sessions.from_row(who, row), totals.get(key)) for row, key in zip(rows, keys, strict=True)]
    health = dict.fromkeys(_HEALTHS, 0)
    filled = [0] * (len(FILL_EDGES) + 1)
    for status, bucket, n in conn.execute(_SUMMARY.format(shown=shown).encode(), params):
        if status in health:
            health[status] += n
        filled[bucket] += n
    start, end = _range(query)
    days_in, window, bounds = [], [], []
    if start is not None:
        days_in.append("q.day * 86400 >= %s")
        window.append("f.ts >= %s")
        bounds.append(start)
    if end is not None:
        days_in.append("q.day * 86400 < %s")
        window.append("f.ts < %s")
        bounds.append(end)
    days: dict[str, DayPoint] = {}
    models: list[Share] = []
    providers: list[Share] = []
    projects: list[Share] = []
    rows_of = (_ALL_ROWS if who.role == "admin" else _FEW_ROWS).format(shown=shown)
    charts = _CHARTS.format(rows=rows_of, days="WHERE " + " AND ".join(days_in) if days_in else "")
    for keys, day, model, provider, project, tokens, cost, n in conn.execute(
            charts.encode(), [*params, *bounds]).fetchall():
        if keys == _BY_DAY:
            at = (_EPOCH + dt.timedelta(days=int(day))).isoformat()
            days[at] = DayPoint(at, int(tokens), cost)
            continue
        shares, key = ((models, model) if keys == _BY_MODEL else (providers, provider) if keys == _BY_PROVIDER
                       else (projects, project))
        shares.append(Share(key=key, total_tokens=int(tokens), cost_usd=cost, count=int(n)))
    tools = conn.execute(_TOOLS.format(shown=shown, window="WHERE " + " AND ".join(window) if window else "")
                         .encode(), [*params, *bounds]).fetchall()
    fill_buckets = fill([])
    for bucket, n in zip(fill_buckets, filled, strict=True):
        bucket.count = int(n)
    overview = Overview(
        days=[days[d] for d in sorted(days)],
        health=[Bucket(status, n) for status, n in health.items()],
        context_fill=fill_buckets,
        top_models=_top(models), top_projects=_top(projects), top_providers=_top(providers),
        top_tools=[Share(key=k, count=int(n)) for k, n in sorted(tools, key=lambda kv: (-kv[1], kv[0]))[:TOP]],
        total_tokens=sum(d.total_tokens for d in days.values()),
        cost_usd=sum(d.cost_usd or 0.0 for d in days.values()),
        sessions=sum(filled),
    )
    return View(sessions=grid, overview=overview)


def _page(conn: psycopg.Connection, who: Caller, ref: str) -> tuple[SessionPage, str]:
    """The session ``ref`` (its notes as annotations, its pushed conversation) and its owner; the
    caller adds presence, which lives in this process rather than the database."""
    found = shared_sessions.locate(conn, who, ref)
    owner = conn.execute("SELECT id FROM users WHERE name = %s", (found.owner,)).fetchone()
    assert owner is not None
    access.require(conn, who, "read", access.Resource("session", int(owner[0]), found.id, found.project))
    sums = shared_sessions.sums(conn, int(owner[0]), found.id)
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
    session = _session(found, list(sums))
    conversation = Conversation(session=session, messages=messages, pruned=0, exported_at=_iso(time.time()) or "")
    return SessionPage(conversation=conversation, annotations=notes, presence=[]), found.owner


def _facets(conn: psycopg.Connection, who: Caller) -> Facets:
    readable, params = shared_sessions.readable_sql(who)
    found: tuple[set[str], set[str], set[str], set[str]] = (set(), set(), set(), set())
    for *unset, project, provider, owner, device in conn.execute(
            f"SELECT GROUPING(r.project), GROUPING(r.provider), GROUPING(r.name), r.project, r.provider, r.name, "
            f"d.name FROM ({readable}) r CROSS JOIN LATERAL unnest(r.devices) d(name) "
            f"GROUP BY GROUPING SETS ((r.project), (r.provider), (r.name), (d.name))".encode(), params):
        which = unset.index(0) if 0 in unset else 3  # the one grouped by (GROUPING is 1 for the others)
        value = (project, provider, owner, device)[which]
        if value is not None:
            found[which].add(value)
    projects, providers, users, devices = (sorted(values) for values in found)
    return Facets(projects=projects, providers=providers, users=users, devices=devices, team=True)


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


def _top(shares: list[Share]) -> list[Share]:
    return sorted(shares, key=lambda s: (-s.total_tokens, s.key))[:TOP]


def _range(query: Query) -> tuple[float | None, float | None]:
    start = None if not query.since else when.start(query.since, name="since", tz=_UTC)
    end = None if not query.until else when.end(query.until, name="until", tz=_UTC)
    return start, end


def _iso(at: float | None) -> str | None:
    return None if at is None else time.strftime(_ISO, time.gmtime(at))
