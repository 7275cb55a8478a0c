"""Sharing this user's sessions and projects on the team server: ``share``, ``share --revoke``, ``team grants``.

The server keeps the grants and decides (its ``access`` rule); this side names
what to share and with whom, over the device token ``team join`` saved. A
session is named by its id here (a unique prefix of a local session's id is
made whole from the store first), a project by its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from ...core.errors import NotFound
from . import client
from .link import Link

if TYPE_CHECKING:
    import apsw

GRANTS_PATH = "/api/grants"


class TeamGrant(msgspec.Struct):
    id: int
    user: str  # who has access
    owner: str
    scope: str  # project | session
    resource: str
    access: str  # read | write
    effective: str  # what it allows now (a viewer only reads)
    granted_by: str | None
    created_at: str


def session_id(conn: apsw.Connection, ref: str) -> str:
    """``ref`` made whole from the local store where it names one session there; else as given (a session
    pushed from another of this user's machines)."""
    from ..sessions import resolve_id

    try:
        return resolve_id(conn, ref)
    except NotFound:
        return ref


def share(link: Link, *, user: str, session: str | None = None, project: str | None = None,
          write: bool = False) -> TeamGrant:
    """``session`` or ``project`` shared with ``user``, read-only or read-write; sharing again changes the access."""
    asked = {"user": user, "access": "write" if write else "read",
             **({"session": session} if session is not None else {"project": project})}
    return client.request(link, GRANTS_PATH, TeamGrant, body=msgspec.json.encode(asked))


def grants(link: Link) -> list[TeamGrant]:
    """The grants on this user's data and those given to them (every grant, for an admin)."""
    return client.request(link, GRANTS_PATH, list[TeamGrant])


def revoke(link: Link, *, user: str, session: str | None = None, project: str | None = None) -> TeamGrant:
    """The grant of ``session`` or ``project`` to ``user`` removed."""
    scope, name = ("session", session) if session is not None else ("project", project)
    me = client.request(link, "/auth/session", _Me).user
    found = [g for g in grants(link)
             if g.user == user and g.scope == scope and g.resource == name and g.owner == me]
    if not found:
        raise NotFound(f"no grant of {scope} {name!r} to {user!r}: 'llm-session team grants' lists them")
    return client.request(link, f"{GRANTS_PATH}/{found[0].id}", TeamGrant, method="DELETE")


class _Me(msgspec.Struct):
    user: str
