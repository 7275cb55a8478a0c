"""The audit log: who viewed, shared, revoked, annotated or took over whose data, and when.

``record`` is the one way in, called in the same transaction as the act it
records where there is one, so an act and its entry stand or fall together.
Other parts of the server (handing a session over, taking it) call it too:
``record(conn, who, "session.take", Resource("session", owner_id, sid), {...})``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from . import access

if TYPE_CHECKING:
    import psycopg

    from .auth import Caller


class Entry(msgspec.Struct):
    id: int
    at: str  # ISO 8601, UTC
    actor: str
    action: str
    owner: str | None
    resource: str
    detail: dict[str, object]


def record(conn: psycopg.Connection, actor: Caller, action: str, resource: access.Resource | None,
           detail: dict[str, object] | None = None) -> None:
    """One entry: ``actor`` did ``action`` (``session.view``, ``grant.create`` ...) to ``resource``."""
    from psycopg.types.json import Jsonb

    owner = resource.owner_id if resource else None
    name = f"{resource.kind}:{resource.name}" if resource else ""
    conn.execute("INSERT INTO audit_log (actor_id, actor, action, owner_id, resource, detail) "
                 "VALUES (%s, %s, %s, %s, %s, %s)", (actor.user_id, actor.user, action, owner, name,
                                                     Jsonb(detail or {})))


def entries(conn: psycopg.Connection, who: Caller, *, limit: int = 100, before: int | None = None) -> list[Entry]:
    """The newest entries ``who`` may read (``access.visible_audit_sql``), before entry id ``before``."""
    rule, params = access.visible_audit_sql(who)
    page = " AND a.id < %s" if before is not None else ""
    rows = conn.execute(
        "SELECT a.id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), a.actor, a.action, "
        f"o.name, a.resource, a.detail FROM audit_log a LEFT JOIN users o ON o.id = a.owner_id WHERE {rule}{page} "
        "ORDER BY a.id DESC LIMIT %s", [*params, *([before] if before is not None else []), limit]).fetchall()
    return [Entry(*row) for row in rows]
