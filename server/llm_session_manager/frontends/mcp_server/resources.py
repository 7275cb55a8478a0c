"""Resources: ``session://{id}`` (a session as the contract's JSON) and ``memory://{id}``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    import apsw

    from ...core.config import Config
    from ...core.models import Memory, Session

TEMPLATES = (
    ("session://{id}", "session", "A session as JSON: tokens, context fill, cost, health, tags (as `llm-session show --json`)."),
    ("memory://{id}", "memory", "One stored memory as JSON: text, project, originating session, tags."),
)
LISTED_SESSIONS = 50  # the most recent sessions are listed as concrete resources


def list_sessions(conn: apsw.Connection, config: Config) -> list[dict[str, Any]]:
    from ...services import sessions

    return [
        {"uri": f"session://{s.id}", "name": s.title or s.id, "description": f"{s.provider} session in {s.cwd or '?'}"}
        for s in sessions.list_sessions(conn, config)[:LISTED_SESSIONS]
    ]


def read(conn: apsw.Connection, config: Config, uri: str) -> str:
    """The JSON text of the resource at ``uri``; ``NotFound``/``BadInput`` for a bad one."""
    from ...core.errors import BadInput

    scheme, sep, ref = uri.partition("://")
    if not sep or not ref:
        raise BadInput(f"not a resource of this server: {uri!r} (session://ID or memory://ID)")
    if scheme == "session":
        from ...services import sessions

        value: Session | Memory = sessions.get_session(conn, config, ref)
    elif scheme == "memory":
        from ...services import memory

        value = memory.get_memory(conn, ref)
    else:
        raise BadInput(f"unknown resource scheme {scheme!r}: this server has session:// and memory://")
    return msgspec.json.encode(value).decode()
