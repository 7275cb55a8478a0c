"""Who may do what to whose data on the team server: the one rule every route asks.

``can(conn, who, action, resource)`` decides for one resource; the ``*_sql``
functions are the same rule as SQL, for the routes that list (sessions, usage,
grants, audit entries), so a list never shows what ``can`` would refuse.

The rule:

* an admin may do anything;
* everyone else may read what their own devices pushed, and what another user
  granted them (a grant on a project covers every session of that owner's with
  that project; a grant on a session, that session);
* writing (a note on a session) needs ownership or a write grant, and the role
  of member: a viewer never writes, pushes or shares, even holding a write grant
  (the grant is kept, and works if the viewer becomes a member);
* sharing (making or revoking a grant) is the owner's or an admin's;
* what someone may not read is answered 404, as if it did not exist, so a
  refusal does not tell that it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

from ..core.errors import TeamError

if TYPE_CHECKING:
    import psycopg

    from .auth import Caller

Action = Literal["read", "write", "share", "push"]
Kind = Literal["session", "project", "device"]


class Resource(NamedTuple):
    kind: Kind
    owner_id: int
    name: str  # the session id, project name or device name
    project: str | None = None  # a session's project, which a project grant covers


class Refused(TeamError):
    """A request the server answers with ``status`` and a one-line reason."""

    status = 400


class Unauthenticated(Refused):
    status = 401


class Forbidden(Refused):
    status = 403


class Hidden(Refused):
    """Not there, or not the caller's to see: the same answer for both."""

    status = 404


class TooManyAttempts(Refused):
    status = 429


def can(conn: psycopg.Connection, who: Caller, action: Action, resource: Resource) -> bool:
    """Whether ``who`` may ``action`` ``resource`` (the module's docstring has the rule)."""
    if action == "push":  # before the admin's everything: a web sign-in has no device to push from
        return (who.role != "viewer" and resource.kind == "device" and resource.owner_id == who.user_id
                and who.device_id is not None)
    if who.role == "admin":
        return True
    if action in ("write", "share") and who.role == "viewer":
        return False
    if resource.owner_id == who.user_id:
        return True
    if action == "share" or resource.kind == "device":
        return False
    granted = granted_access(conn, who.user_id, resource)
    return granted == "write" if action == "write" else granted is not None


def require(conn: psycopg.Connection, who: Caller, action: Action, resource: Resource) -> None:
    """``can``, or the refusal: 404 for what ``who`` may not even read, 403 for a write they may not do."""
    if can(conn, who, action, resource):
        return
    if action != "read" and can(conn, who, "read", resource):
        raise Forbidden(_why(who, action, resource))
    raise Hidden(f"no {resource.kind} {resource.name!r} that you may see")


def granted_access(conn: psycopg.Connection, grantee_id: int, resource: Resource) -> str | None:
    """The best grant ``grantee_id`` holds on ``resource``: 'write', 'read' or None."""
    project = resource.name if resource.kind == "project" else resource.project
    session = resource.name if resource.kind == "session" else None
    row = conn.execute(
        "SELECT max(access) FROM grants WHERE grantee_id = %s AND owner_id = %s "
        "AND ((scope = 'session' AND resource = %s) OR (scope = 'project' AND resource = %s))",
        (grantee_id, resource.owner_id, session, project)).fetchone()
    return None if row is None else row[0]  # 'write' > 'read' as text, so max is the stronger


def readable_session_sql(who: Caller, devices: str = "d", sessions: str = "s") -> tuple[str, list[object]]:
    """A condition true for the rows of ``sessions`` (pushed by ``devices``) ``who`` may read."""
    if who.role == "admin":
        return "TRUE", []
    return (f"({devices}.user_id = %s OR EXISTS (SELECT 1 FROM grants g WHERE g.grantee_id = %s "
            f"AND g.owner_id = {devices}.user_id AND ((g.scope = 'session' AND g.resource = {sessions}.id) "
            f"OR (g.scope = 'project' AND g.resource = {sessions}.project))))", [who.user_id, who.user_id])


def readable_usage_sql(who: Caller, usage: str = "u") -> tuple[str, list[object]]:
    """A condition true for the responses in ``usage`` ``who`` may count: those one of their devices
    pushed, and those of a session they may read, as the session's owner's devices pushed them."""
    if who.role == "admin":
        return "TRUE", []
    seen_rule, params = readable_seen_sql(who, "rd", usage)
    return (f"EXISTS (SELECT 1 FROM usage_seen rseen JOIN devices rd ON rd.id = rseen.device_id "
            f"WHERE rseen.dedup_key = {usage}.dedup_key AND {seen_rule})", params)


def readable_seen_sql(who: Caller, devices: str = "d", usage: str = "u") -> tuple[str, list[object]]:
    """A condition true for a device in ``devices`` having pushed a response in ``usage`` that ``who``
    may count: their own device, or one whose user granted them the response's session or its project."""
    if who.role == "admin":
        return "TRUE", []
    return (f"({devices}.user_id = %s OR EXISTS (SELECT 1 FROM sessions rs JOIN grants g ON g.owner_id = "
            f"{devices}.user_id AND ((g.scope = 'session' AND g.resource = rs.id) OR (g.scope = 'project' "
            f"AND g.resource = rs.project)) WHERE rs.device_id = {devices}.id AND rs.id = {usage}.session_id "
            f"AND g.grantee_id = %s))", [who.user_id, who.user_id])


def visible_grants_sql(who: Caller, grants: str = "g") -> tuple[str, list[object]]:
    """Grants ``who`` may list: all for an admin, else those on their data or given to them."""
    if who.role == "admin":
        return "TRUE", []
    return f"({grants}.owner_id = %s OR {grants}.grantee_id = %s)", [who.user_id, who.user_id]


def visible_audit_sql(who: Caller, entries: str = "a") -> tuple[str, list[object]]:
    """Audit entries ``who`` may read: all for an admin, else those about their data or by them."""
    if who.role == "admin":
        return "TRUE", []
    return f"({entries}.owner_id = %s OR {entries}.actor_id = %s)", [who.user_id, who.user_id]


def _why(who: Caller, action: Action, resource: Resource) -> str:
    if action == "push" and who.device_id is None:
        return "a device pushes, with its token: a web sign-in cannot push"
    if who.role == "viewer":
        return f"user {who.user!r} is a viewer: viewers read, they do not {action}"
    if action == "share":
        return f"only the owner of {resource.kind} {resource.name!r} or an admin may share it"
    return f"you may read {resource.kind} {resource.name!r} but not {action} it: ask its owner for a write grant"
