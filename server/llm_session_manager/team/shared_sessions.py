"""Sessions on the team server, as the caller may see them: listed, read in detail, annotated.

A session is one owner's: the same id pushed by two of a user's devices (a
synced ``~/.claude``) is one session with both devices listed. Reading one in
detail is an audited view (``session.view``); a note on it (``note.add``) is
the write a write grant allows. ``locate`` finds which owner's session an id
means for the caller, for any route that acts on one session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from ..core.errors import BadArgument
from . import access, audit, rollups

if TYPE_CHECKING:
    import psycopg

    from .auth import Caller

MAX_NOTE = 10_000


class AmbiguousSession(access.Refused):
    status = 409


class TeamSession(msgspec.Struct):
    id: str
    owner: str
    provider: str
    project: str | None
    cwd: str | None
    title: str | None
    model: str | None
    started_at: float | None
    last_activity: float | None
    devices: list[str]
    access: str  # what the caller may do with it: 'read' or 'write'
    # As its most recently active device pushed them (docs/team.md#health); None from an older client.
    health_status: str | None = None  # healthy | warning | critical
    health_score: float | None = None
    context_used: int | None = None
    context_limit: int | None = None
    context_percent: float | None = None
    context_source: str | None = None  # exact | estimated | unknown


class Note(msgspec.Struct):
    id: int
    author: str | None
    text: str
    created_at: str


class SessionTokens(msgspec.Struct):
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    total_tokens: int
    cost_usd: float


class SessionDetail(msgspec.Struct):
    session: TeamSession
    tokens: SessionTokens
    notes: list[Note]


_HEALTH = ("health_status", "health_score", "context_used", "context_limit", "context_percent", "context_source")
_FIELDS = ("provider", "project", "cwd", "title", "model")
# An owner's own sessions, and an admin's view of everyone's, are the owners' views kept by the push
# (``owner_sessions``, team migration 9), one row each: grouping every device's row on each request took
# most of a second at 50,000 sessions. A session granted to someone else is grouped from the rows the
# grant covers (a project grant covers the devices' rows with that project), as few as the grants name.
_OWN = ("SELECT o.id, u.name, " + ", ".join(f"o.{c}" for c in _FIELDS) + ", o.started_at, o.last_activity, "
        "o.devices, o.user_id, NULL::text AS granted, " + ", ".join(f"o.{c}" for c in _HEALTH) + " "
        "FROM owner_sessions o LEFT JOIN users u ON u.id = o.user_id")  # always there; LEFT: left out where unread
# A column of the most recently active device's row. One aggregate of whole rows, however many columns
# read it (PostgreSQL computes identical aggregates once).
_LAST = "((array_agg(s.row ORDER BY s.last_activity DESC NULLS LAST))[1]).{0}"
_GRANTED = (
    "SELECT s.id, u.name, " + ", ".join(_LAST.format(c) for c in _FIELDS)
    + ", min(s.started_at), max(s.last_activity), array_agg(DISTINCT s.device ORDER BY s.device), s.user_id, "
    "max(s.granted), " + ", ".join(_LAST.format(c) for c in _HEALTH) + " "
    "FROM (SELECT DISTINCT ON (s.device_id, s.id) s AS row, s.id, s.started_at, s.last_activity, d.user_id, "
    "d.name AS device, g.access AS granted FROM grants g "
    "JOIN devices d ON d.user_id = g.owner_id JOIN sessions s ON s.device_id = d.id "
    "AND ((g.scope = 'session' AND s.id = g.resource) OR (g.scope = 'project' AND s.project = g.resource)) "
    "WHERE g.grantee_id = %s AND g.owner_id <> %s{rows} ORDER BY s.device_id, s.id, g.access DESC) s "
    "JOIN users u ON u.id = s.user_id")


def readable_sql(who: Caller, *, owner: str | None = None, project: str | None = None,
                 session_id: str | None = None) -> tuple[str, list[object]]:
    """The sessions ``who`` may read (of ``owner``, with ``project``, the one ``session_id``), as
    rows ``_session`` makes ``TeamSession`` of: a statement to select from, and its parameters."""
    own: list[str] = []
    own_params: list[object] = []
    if who.role != "admin":
        own.append("o.user_id = %s")
        own_params.append(who.user_id)
    rows: list[str] = []
    row_params: list[object] = []
    if owner is not None:
        own.append("u.name = %s")
        own_params.append(owner)
    if project is not None:  # a session any of whose devices gave it the project
        own.append("%s = ANY(o.projects)")
        rows.append("s.project = %s")
    if session_id is not None:
        own.append("o.id = %s")
        rows.append("s.id = %s")
    for value in (project, session_id):
        if value is not None:
            own_params.append(value)
            row_params.append(value)
    mine = f"{_OWN} WHERE {' AND '.join(own) or 'TRUE'}"
    if who.role == "admin":
        return mine, own_params
    granted = _GRANTED.format(rows="".join(f" AND {r}" for r in rows)) + " GROUP BY s.user_id, u.name, s.id"
    named = [] if owner is None else [owner]
    if owner is not None:
        granted += " HAVING u.name = %s"
    return f"{mine} UNION ALL {granted}", [*own_params, who.user_id, who.user_id, *row_params, *named]


def listing(conn: psycopg.Connection, who: Caller, *, owner: str | None = None,
            project: str | None = None, limit: int | None = None, session_id: str | None = None) -> list[TeamSession]:
    """The sessions ``who`` may read, newest activity first (the first ``limit`` of them)."""
    readable, params = readable_sql(who, owner=owner, project=project, session_id=session_id)
    first = "" if limit is None else f" LIMIT {int(limit)}"
    rows = conn.execute(f"SELECT * FROM ({readable}) r ORDER BY r.last_activity DESC NULLS LAST, r.id{first}"
                        .encode(), params).fetchall()
    return [from_row(who, row) for row in rows]


def locate(conn: psycopg.Connection, who: Caller, session_id: str, owner: str | None = None) -> TeamSession:
    """The session ``session_id`` ``who`` may read: their own first, else the one other owner's."""
    found = listing(conn, who, owner=owner, session_id=session_id)
    mine = [s for s in found if s.owner == who.user]
    candidates = mine or found
    if not candidates:
        raise access.Hidden(f"no session {session_id!r} that you may see")
    if len(candidates) > 1:
        raise AmbiguousSession(f"several users have a session {session_id!r}: name its owner (?owner=NAME)")
    return candidates[0]


def detail(conn: psycopg.Connection, who: Caller, session_id: str, owner: str | None = None) -> SessionDetail:
    """One session with its token sums and notes; the view is audited."""
    found = locate(conn, who, session_id, owner)
    resource = _resource(conn, found)
    access.require(conn, who, "read", resource)
    i, o, cc, cr, cost, _, _ = sums(conn, resource.owner_id, found.id)
    notes = [Note(*row) for row in conn.execute(
        "SELECT n.id, a.name, n.text, to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM session_notes n LEFT JOIN users a ON a.id = n.author_id WHERE n.owner_id = %s AND n.session_id = %s "
        "ORDER BY n.id", (resource.owner_id, session_id))]
    audit.record(conn, who, "session.view", resource)
    return SessionDetail(found, SessionTokens(int(i), int(o), int(cc), int(cr), int(i + o + cc + cr), float(cost)),
                         notes)


def sums(conn: psycopg.Connection, owner_id: int, session_id: str) -> tuple[int, int, int, int, float, bool, bool]:
    """The session's tokens (input, output, cache creation, cache read), cost, whether every count is
    exact and every response priced: the responses its owner's devices pushed, each once, from the
    owner's rollup (``rollups.SESSION_DAYS``)."""
    row = conn.execute(
        f"SELECT coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), "
        f"coalesce(sum(cache_creation_tokens), 0), coalesce(sum(cache_read_tokens), 0), "
        f"coalesce(sum(cost_usd), 0)::float8, coalesce(sum(estimated), 0) = 0, coalesce(sum(unpriced), 0) = 0 "
        f"FROM {rollups.SESSION_DAYS} WHERE user_id = %s AND session_id = %s".encode(),
        (owner_id, session_id)).fetchone()
    assert row is not None
    i, o, cc, cr, cost, exact, priced = row
    return int(i), int(o), int(cc), int(cr), float(cost), bool(exact), bool(priced)


def add_note(conn: psycopg.Connection, who: Caller, session_id: str, text: str, owner: str | None = None) -> Note:
    """A note on a session: the owner's, an admin's, or a write grant's holder's (never a viewer's)."""
    if not text.strip() or len(text) > MAX_NOTE:
        raise BadArgument("text", f"must be 1 to {MAX_NOTE} characters")
    found = locate(conn, who, session_id, owner)
    resource = _resource(conn, found)
    access.require(conn, who, "write", resource)
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO session_notes (owner_id, session_id, author_id, text) VALUES (%s, %s, %s, %s) "
            "RETURNING id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            (resource.owner_id, session_id, who.user_id, text)).fetchone()
        audit.record(conn, who, "note.add", resource, {"note": row[0] if row else None})
    assert row is not None
    return Note(row[0], who.user, text, row[1])


def _resource(conn: psycopg.Connection, found: TeamSession) -> access.Resource:
    row = conn.execute("SELECT id FROM users WHERE name = %s", (found.owner,)).fetchone()
    assert row is not None
    return access.Resource("session", int(row[0]), found.id, found.project)


def from_row(who: Caller, row: tuple) -> TeamSession:
    """A row of ``readable_sql`` as the ``TeamSession`` ``who`` sees."""
    sid, owner, provider, project, cwd, title, model, started, last, devices, owner_id, granted, *health = row
    writes = who.role != "viewer" and (who.role == "admin" or owner_id == who.user_id or granted == "write")
    return TeamSession(sid, owner, provider, project, cwd, title, model, started, last, list(devices),
                       "write" if writes else "read", *health)
