"""Handing a session to another user, and what the team knows of one session.

A handoff row is the receiver's permission to read that session: its pushed
conversation, files and memories (``pack``) and who worked on it (``history``).
Otherwise a session is readable by the users whose devices pushed it, and by
admins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import NotFound
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
from .auth import Caller
from .push import NotAllowed

if TYPE_CHECKING:
    import psycopg

_HANDOFF = """
SELECT h.id, h.session_id, s.name, r.name, h.note, extract(epoch FROM h.created_at)::float8,
       extract(epoch FROM h.taken_at)::float8
FROM handoffs h JOIN users s ON s.id = h.sender JOIN users r ON r.id = h.receiver
"""


def hand_off(conn: psycopg.Connection, who: Caller, asked: HandoffRequest) -> Handoff:
    """Record that ``who`` hands ``asked.session_id`` to ``asked.to``; they must have pushed it (or be admin)."""
    if not _pushed_by(conn, asked.session_id, who.user_id) and who.role != "admin":
        if not _seen(conn, asked.session_id):
            raise NotFound(f"the team server has no session {asked.session_id}: push it first ('llm-session team push')")
        raise NotAllowed(f"session {asked.session_id} was not pushed by {who.user!r}: only its owner hands it off")
    row = conn.execute("SELECT id FROM users WHERE name = %s", (asked.to,)).fetchone()
    if row is None:
        raise NotFound(f"the team has no user {asked.to!r}")
    with conn.transaction():
        made = conn.execute("INSERT INTO handoffs (session_id, sender, receiver, note) VALUES (%s, %s, %s, %s) "
                            "RETURNING id", (asked.session_id, who.user_id, row[0], asked.note)).fetchone()
    assert made is not None
    return _handoffs(conn, "WHERE h.id = %s", made[0])[0]


def take(conn: psycopg.Connection, who: Caller, session_id: str) -> Pack:
    """The session's resume pack for ``who``, the handoff to them marked taken."""
    handoff = may_read(conn, who, session_id)
    if handoff is not None and handoff.receiver == who.user:
        with conn.transaction():
            conn.execute("UPDATE handoffs SET taken_at = now() WHERE id = %s AND taken_at IS NULL", (handoff.id,))
        handoff = _handoffs(conn, "WHERE h.id = %s", handoff.id)[0]
    return _pack(conn, who, session_id, handoff)


def history(conn: psycopg.Connection, who: Caller, session_id: str) -> History:
    """Who worked on the session (each device that pushed it, with its time range) and its handoffs."""
    may_read(conn, who, session_id)
    rows = conn.execute(
        "SELECT u.name, d.name, s.started_at, s.last_activity, "
        "(SELECT count(*) FROM messages m WHERE m.device_id = d.id AND m.session_id = s.id), "
        "(SELECT count(*) FROM usage_seen us JOIN usage x ON x.dedup_key = us.dedup_key "
        " WHERE us.device_id = d.id AND x.session_id = s.id) "
        "FROM sessions s JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = d.user_id "
        "WHERE s.id = %s ORDER BY s.started_at NULLS LAST, u.name, d.name", (session_id,)).fetchall()
    devices = [HistoryDevice(user, device, first, last, int(m), int(r)) for user, device, first, last, m, r in rows]
    return History(session_id, devices, _handoffs(conn, "WHERE h.session_id = %s ORDER BY h.created_at", session_id))


def may_read(conn: psycopg.Connection, who: Caller, session_id: str) -> Handoff | None:
    """Refuse unless ``who`` may read the session; the latest handoff of it to them, if any."""
    mine = _handoffs(conn, "WHERE h.session_id = %s AND h.receiver = %s ORDER BY h.created_at DESC LIMIT 1",
                     session_id, who.user_id)
    if mine or who.role == "admin" or _pushed_by(conn, session_id, who.user_id):
        if not _seen(conn, session_id):
            raise NotFound(f"the team server has no session {session_id}")
        return mine[0] if mine else None
    if not _seen(conn, session_id):
        raise NotFound(f"the team server has no session {session_id}")
    raise NotAllowed(f"session {session_id} was not handed to {who.user!r}")


def _pack(conn: psycopg.Connection, who: Caller, session_id: str, handoff: Handoff | None) -> Pack:
    """The session as the team has it; its memories but others' personal ones, which a handoff does not share."""
    sender = handoff.sender if handoff is not None else None
    # The sender's copy of the session where there is a handoff, else the copy last active.
    row = conn.execute(
        "SELECT s.id, s.provider, s.project, s.cwd, s.title, s.model, s.started_at, s.last_activity, u.name, d.name "
        "FROM sessions s JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = d.user_id WHERE s.id = %s "
        "ORDER BY (u.name = %s) DESC, s.last_activity DESC NULLS LAST LIMIT 1", (session_id, sender)).fetchone()
    assert row is not None  # may_read saw it
    messages = [PackMessage(*r) for r in conn.execute(
        "SELECT DISTINCT ON (ts, key) key, ts, role, kind, text FROM messages WHERE session_id = %s "
        "ORDER BY ts, key", (session_id,))]
    files = [PackFile(path, list(actions), last) for path, actions, last in conn.execute(
        "SELECT path, array_agg(DISTINCT action ORDER BY action), max(ts) FROM file_refs WHERE session_id = %s "
        "GROUP BY path ORDER BY max(ts) DESC, path", (session_id,))]
    memories = [PackMemory(i, text, scope, list(tags), created) for i, text, scope, tags, created in conn.execute(
        "SELECT DISTINCT ON (m.created_at, m.id) m.id, m.text, m.scope, m.tags, m.created_at FROM memories m "
        "JOIN devices d ON d.id = m.device_id WHERE m.session_id = %s AND (m.scope <> 'personal' OR d.user_id = %s) "
        "ORDER BY m.created_at, m.id", (session_id, who.user_id))]
    return Pack(PackSession(*row), handoff, memories, files, messages)


def _handoffs(conn: psycopg.Connection, where: str, *params: object) -> list[Handoff]:
    return [Handoff(*r) for r in conn.execute((_HANDOFF + where).encode(), params)]


def _pushed_by(conn: psycopg.Connection, session_id: str, user_id: int) -> bool:
    return conn.execute("SELECT 1 FROM sessions s JOIN devices d ON d.id = s.device_id "
                        "WHERE s.id = %s AND d.user_id = %s", (session_id, user_id)).fetchone() is not None


def _seen(conn: psycopg.Connection, session_id: str) -> bool:
    return conn.execute("SELECT 1 FROM sessions WHERE id = %s", (session_id,)).fetchone() is not None
