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
from . import access, audit

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
# A column of the most recently active device's row. One aggregate of whole rows, however many columns
# read it (PostgreSQL computes identical aggregates once): one per column cost a third more at 50,000 sessions.
_LAST = "((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).{0}"
_SELECT = (
    "SELECT s.id, u.name, " + ", ".join(_LAST.format(c) for c in ("provider", "project", "cwd", "title", "model"))
    + ", min(s.started_at), max(s.last_activity), array_agg(DISTINCT d.name ORDER BY d.name), d.user_id, "
    "max((SELECT max(g.access) FROM grants g WHERE g.grantee_id = %s AND g.owner_id = d.user_id "
    "AND ((g.scope = 'session' AND g.resource = s.id) OR (g.scope = 'project' AND g.resource = s.project)))), "
    + ", ".join(_LAST.format(c) for c in _HEALTH) + " "
    "FROM sessions s JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = d.user_id ")


def listing(conn: psycopg.Connection, who: Caller, *, owner: str | None = None,
            project: str | None = None, limit: int | None = None) -> list[TeamSession]:
    """The sessions ``who`` may read, newest activity first (the first ``limit`` of them)."""
    rule, params = access.readable_session_sql(who)
    where, more = [rule], [who.user_id, *params]
    if owner is not None:
        where.append("u.name = %s")
        more.append(owner)
    if project is not None:
        where.append("s.project = %s")
        more.append(project)
    first = "" if limit is None else f" LIMIT {int(limit)}"
    rows = conn.execute(f"{_SELECT} WHERE {' AND '.join(where)} GROUP BY d.user_id, u.name, s.id "
                        f"ORDER BY max(s.last_activity) DESC NULLS LAST, s.id{first}".encode(), more).fetchall()
    return [_session(who, row) for row in rows]


def locate(conn: psycopg.Connection, who: Caller, session_id: str, owner: str | None = None) -> TeamSession:
    """The session ``session_id`` ``who`` may read: their own first, else the one other owner's."""
    found = listing(conn, who, owner=owner)
    mine = [s for s in found if s.id == session_id and s.owner == who.user]
    candidates = mine or [s for s in found if s.id == session_id]
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
    sums = conn.execute(
        "SELECT coalesce(sum(u.input_tokens), 0), coalesce(sum(u.output_tokens), 0), "
        "coalesce(sum(u.cache_creation_tokens), 0), coalesce(sum(u.cache_read_tokens), 0), "
        "coalesce(sum(u.cost_usd), 0) FROM usage u WHERE u.session_id = %s AND EXISTS (SELECT 1 FROM usage_seen x "
        "JOIN devices d ON d.id = x.device_id WHERE x.dedup_key = u.dedup_key AND d.user_id = %s)",
        (session_id, resource.owner_id)).fetchone()
    i, o, cc, cr, cost = sums if sums else (0, 0, 0, 0, 0.0)
    notes = [Note(*row) for row in conn.execute(
        "SELECT n.id, a.name, n.text, to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM session_notes n LEFT JOIN users a ON a.id = n.author_id WHERE n.owner_id = %s AND n.session_id = %s "
        "ORDER BY n.id", (resource.owner_id, session_id))]
    audit.record(conn, who, "session.view", resource)
    return SessionDetail(found, SessionTokens(int(i), int(o), int(cc), int(cr), int(i + o + cc + cr), float(cost)),
                         notes)


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


def _session(who: Caller, row: tuple) -> TeamSession:
    sid, owner, provider, project, cwd, title, model, started, last, devices, owner_id, granted, *health = row
    writes = who.role != "viewer" and (who.role == "admin" or owner_id == who.user_id or granted == "write")
    return TeamSession(sid, owner, provider, project, cwd, title, model, started, last, list(devices),
                       "write" if writes else "read", *health)
