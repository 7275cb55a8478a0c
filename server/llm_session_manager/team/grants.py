"""Grants: one user's project or session shared with another, read-only or read-write.

A grant names the owner (whose devices pushed the data), a scope (``project``:
every session of the owner's with that project; ``session``: one session id)
and the access (``read`` or ``write``). Granting again changes the access of the
grant already there. Only the owner or an admin grants and revokes
(``access.can(..., "share", ...)``); each act is in the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import msgspec

from ..core.errors import BadArgument, NotFound
from . import access, audit

if TYPE_CHECKING:
    import psycopg

    from .auth import Caller

Scope = Literal["project", "session"]
Access = Literal["read", "write"]


class GrantRequest(msgspec.Struct, forbid_unknown_fields=True):
    user: str  # who gets access
    session: str | None = None
    project: str | None = None
    access: Access = "read"
    owner: str | None = None  # whose data; the caller's own unless an admin says otherwise


class Grant(msgspec.Struct):
    id: int
    user: str
    owner: str
    scope: str
    resource: str
    access: str
    effective: str  # what it allows now: 'read' for a viewer holding a write grant
    granted_by: str | None
    created_at: str


_SELECT = (
    "SELECT g.id, ge.name, o.name, g.scope, g.resource, g.access, "
    "CASE WHEN ge.role = 'viewer' THEN 'read' ELSE g.access END, gb.name, "
    "to_char(g.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
    "FROM grants g JOIN users ge ON ge.id = g.grantee_id JOIN users o ON o.id = g.owner_id "
    "LEFT JOIN users gb ON gb.id = g.granted_by ")


def create(conn: psycopg.Connection, who: Caller, asked: GrantRequest) -> Grant:
    """The grant ``asked`` made (or its access changed), if ``who`` may share that resource."""
    if (asked.session is None) == (asked.project is None):
        raise BadArgument("grant", "name exactly one of 'session' or 'project'")
    scope: Scope = "session" if asked.session is not None else "project"
    name = asked.session if asked.session is not None else asked.project
    assert name is not None
    owner_id = _user_id(conn, asked.owner) if asked.owner else who.user_id
    grantee_id = _user_id(conn, asked.user)
    resource = access.Resource(scope, owner_id, name)
    access.require(conn, who, "share", resource)
    if grantee_id == owner_id:
        raise BadArgument("user", f"{asked.user!r} owns this {scope} already")
    column = "id" if scope == "session" else "project"
    held = conn.execute(f"SELECT 1 FROM sessions s JOIN devices d ON d.id = s.device_id "
                        f"WHERE d.user_id = %s AND s.{column} = %s LIMIT 1".encode(), (owner_id, name)).fetchone()
    if held is None:
        raise NotFound(f"no {scope} {name!r} among the sessions the owner's devices pushed")
    with conn.transaction():
        (grant_id,) = conn.execute(
            "INSERT INTO grants (grantee_id, owner_id, scope, resource, access, granted_by) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (grantee_id, owner_id, scope, resource) "
            "DO UPDATE SET access = excluded.access, granted_by = excluded.granted_by RETURNING id",
            (grantee_id, owner_id, scope, name, asked.access, who.user_id)).fetchone() or (0,)
        audit.record(conn, who, "grant.create", resource, {"grant": grant_id, "to": asked.user,
                                                           "access": asked.access})
    return _one(conn, grant_id)


def revoke(conn: psycopg.Connection, who: Caller, grant_id: int) -> Grant:
    """Grant ``grant_id`` removed, if ``who`` owns what it shares or is an admin."""
    found = _visible(conn, who, grant_id)
    owner_id = conn.execute("SELECT owner_id FROM grants WHERE id = %s", (grant_id,)).fetchone()
    assert owner_id is not None
    resource = access.Resource("session" if found.scope == "session" else "project", owner_id[0], found.resource)
    access.require(conn, who, "share", resource)
    with conn.transaction():
        conn.execute("DELETE FROM grants WHERE id = %s", (grant_id,))
        audit.record(conn, who, "grant.revoke", resource, {"grant": grant_id, "to": found.user,
                                                           "access": found.access})
    return found


def listing(conn: psycopg.Connection, who: Caller) -> list[Grant]:
    """Every grant for an admin; for anyone else those on their data and those given to them."""
    rule, params = access.visible_grants_sql(who)
    rows = conn.execute(f"{_SELECT} WHERE {rule} ORDER BY g.id".encode(), params).fetchall()
    return [Grant(*row) for row in rows]


def _visible(conn: psycopg.Connection, who: Caller, grant_id: int) -> Grant:
    rule, params = access.visible_grants_sql(who)
    row = conn.execute(f"{_SELECT} WHERE g.id = %s AND {rule}".encode(), [grant_id, *params]).fetchone()
    if row is None:
        raise access.Hidden(f"no grant {grant_id} that you may see")
    return Grant(*row)


def _one(conn: psycopg.Connection, grant_id: int) -> Grant:
    row = conn.execute(f"{_SELECT} WHERE g.id = %s".encode(), (grant_id,)).fetchone()
    assert row is not None
    return Grant(*row)


def _user_id(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM users WHERE name = %s", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r} on this team server")
    return int(row[0])
