"""Handing a session to another user, and what the team knows of one session.

Every act here goes through the one access rule (``access``): handing a
session off is sharing it (its owner or an admin), and the handoff makes a
read grant of that session to the receiver (``grants``, kept if one is there
already), so the receiver reads it everywhere a grant counts (the web, usage,
chat) and its owner can revoke it like any grant. Taking is the receiver's
alone; a session's history, anyone's who may read it. Each is audited
(``session.handoff``, ``session.take``, ``session.history``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import BadArgument, NotFound
from ..core.team_share_wire import (
    Handoff,
    HandoffRequest,
    History,
    HistoryDevice,
    Pack,
    PackFile,
    PackMemory,
    PackMessage,
    PackSession,
)
from . import access, audit, shared_sessions
from .auth import Caller

if TYPE_CHECKING:
    import psycopg

_HANDOFF = """
SELECT h.id, h.session_id, s.name, r.name, h.note, extract(epoch FROM h.created_at)::float8,
       extract(epoch FROM h.taken_at)::float8
FROM handoffs h JOIN users s ON s.id = h.sender JOIN users r ON r.id = h.receiver
"""


def hand_off(conn: psycopg.Connection, who: Caller, asked: HandoffRequest) -> Handoff:
    """Record that ``who`` hands ``asked.session_id`` to ``asked.to``, with a read grant of it to them."""
    session = _located(conn, who, asked.session_id)
    resource = _resource(conn, session)
    access.require(conn, who, "share", resource)
    row = conn.execute("SELECT id FROM users WHERE name = %s", (asked.to,)).fetchone()
    if row is None:
        raise NotFound(f"the team has no user {asked.to!r}")
    receiver = int(row[0])
    if receiver == who.user_id:
        raise BadArgument("to", "hand a session to someone else")
    with conn.transaction():
        made = conn.execute("INSERT INTO handoffs (session_id, sender, receiver, note) VALUES (%s, %s, %s, %s) "
                            "RETURNING id", (asked.session_id, who.user_id, receiver, asked.note)).fetchone()
        assert made is not None
        if receiver != resource.owner_id:  # the receiver's read grant; a stronger one already there stays
            conn.execute("INSERT INTO grants (grantee_id, owner_id, scope, resource, access, granted_by) "
                         "VALUES (%s, %s, 'session', %s, 'read', %s) ON CONFLICT DO NOTHING",
                         (receiver, resource.owner_id, asked.session_id, who.user_id))
        audit.record(conn, who, "session.handoff", resource, {"handoff": made[0], "to": asked.to})
    return _handoffs(conn, "WHERE h.id = %s", made[0])[0]


def take(conn: psycopg.Connection, who: Caller, session_id: str) -> Pack:
    """The session's resume pack for the receiver of a handoff of it, that handoff marked taken."""
    mine = _handoffs(conn, "WHERE h.session_id = %s AND h.receiver = %s ORDER BY h.created_at DESC LIMIT 1",
                     session_id, who.user_id)
    session = _located(conn, who, session_id, mine[0].sender if mine else None)
    resource = _resource(conn, session)
    access.require(conn, who, "read", resource)  # a revoked handoff grant ends the take too
    if not mine:
        raise access.Forbidden(f"session {session_id} was not handed to {who.user!r}: only its receiver takes it")
    with conn.transaction():
        conn.execute("UPDATE handoffs SET taken_at = now() WHERE id = %s AND taken_at IS NULL", (mine[0].id,))
        audit.record(conn, who, "session.take", resource, {"handoff": mine[0].id})
    handoff = _handoffs(conn, "WHERE h.id = %s", mine[0].id)[0]
    return _pack(conn, who, resource, handoff)


def history(conn: psycopg.Connection, who: Caller, session_id: str) -> History:
    """Who worked on the session: each device whose copy ``who`` may read, and the session's handoffs."""
    resource = _resource(conn, _located(conn, who, session_id))
    access.require(conn, who, "read", resource)
    rule, params = access.readable_session_sql(who)
    rows = conn.execute(
        "SELECT u.name, d.name, s.started_at, s.last_activity, "
        "(SELECT count(*) FROM messages m WHERE m.device_id = d.id AND m.session_id = s.id), "
        "(SELECT count(*) FROM usage_seen us JOIN usage x ON x.dedup_key = us.dedup_key "
        " WHERE us.device_id = d.id AND x.session_id = s.id) "
        "FROM sessions s JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = d.user_id "
        f"WHERE s.id = %s AND {rule} ORDER BY s.started_at NULLS LAST, u.name, d.name".encode(),
        [session_id, *params]).fetchall()
    devices = [HistoryDevice(user, device, first, last, int(m), int(r)) for user, device, first, last, m, r in rows]
    audit.record(conn, who, "session.history", resource)
    return History(session_id, devices, _handoffs(conn, "WHERE h.session_id = %s ORDER BY h.created_at", session_id))


def _located(conn: psycopg.Connection, who: Caller, session_id: str,
             owner: str | None = None) -> shared_sessions.TeamSession:
    """The copy of the session ``who`` may read: ``owner``'s if there is one (a handoff's sender), else as
    ``shared_sessions.locate`` picks; 404 when there is none."""
    if owner is not None:
        try:
            return shared_sessions.locate(conn, who, session_id, owner)
        except access.Hidden:
            pass  # the sender (an admin, say) has no copy of their own: the owner's, as locate picks
    return shared_sessions.locate(conn, who, session_id)


def _resource(conn: psycopg.Connection, session: shared_sessions.TeamSession) -> access.Resource:
    row = conn.execute("SELECT id FROM users WHERE name = %s", (session.owner,)).fetchone()
    assert row is not None  # locate found the owner's session
    return access.Resource("session", int(row[0]), session.id, session.project)


def _pack(conn: psycopg.Connection, who: Caller, owner: access.Resource, handoff: Handoff) -> Pack:
    """The owner's copy of the session: its conversation, files and memories but others' personal ones."""
    row = conn.execute(
        "SELECT s.id, s.provider, s.project, s.cwd, s.title, s.model, s.started_at, s.last_activity, u.name, d.name "
        "FROM sessions s JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = d.user_id "
        "WHERE s.id = %s AND d.user_id = %s ORDER BY s.last_activity DESC NULLS LAST LIMIT 1",
        (owner.name, owner.owner_id)).fetchone()
    assert row is not None  # located above
    params = (owner.name, owner.owner_id)
    messages = [PackMessage(*r) for r in conn.execute(
        "SELECT DISTINCT ON (m.ts, m.key) m.key, m.ts, m.role, m.kind, m.text FROM messages m "
        "JOIN devices d ON d.id = m.device_id WHERE m.session_id = %s AND d.user_id = %s ORDER BY m.ts, m.key",
        params)]
    files = [PackFile(path, list(actions), last) for path, actions, last in conn.execute(
        "SELECT f.path, array_agg(DISTINCT f.action ORDER BY f.action), max(f.ts) FROM file_refs f "
        "JOIN devices d ON d.id = f.device_id WHERE f.session_id = %s AND d.user_id = %s "
        "GROUP BY f.path ORDER BY max(f.ts) DESC, f.path", params)]
    memories = [PackMemory(i, text, scope, list(tags), created) for i, text, scope, tags, created in conn.execute(
        "SELECT DISTINCT ON (m.created_at, m.id) m.id, m.text, m.scope, m.tags, m.created_at FROM memories m "
        "JOIN devices d ON d.id = m.device_id WHERE m.session_id = %s AND (m.scope <> 'personal' OR d.user_id = %s) "
        "ORDER BY m.created_at, m.id", (owner.name, who.user_id))]
    return Pack(PackSession(*row), handoff, memories, files, messages)


def _handoffs(conn: psycopg.Connection, where: str, *params: object) -> list[Handoff]:
    return [Handoff(*r) for r in conn.execute((_HANDOFF + where).encode(), params)]
