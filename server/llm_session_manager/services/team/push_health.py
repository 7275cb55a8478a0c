"""Each pushed session's health and context fill, as ``list`` shows them on this machine now.

The team server has no logs to score a session from, so the client sends the
figures its own store computes (``sessions.by_ids``: the same listing ``list``
and the local dashboard read), at the end of ``PushSession`` where an older
server or client ignores or lacks them. A session is pushed again when its last
activity moves, so the server holds its health as of its latest activity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from ...core.models import Provenance
from ...core.team_wire import PushSession
from .. import sessions

if TYPE_CHECKING:
    import apsw

    from ...core.config import Config


def with_health(conn: apsw.Connection, config: Config, rows: list[Any]) -> list[PushSession]:
    """A ``PushSession`` of each row (its first eight fields, id first), with the session's health and fill."""
    found = {s.id: s for s in sessions.by_ids(conn, config, [row[0] for row in rows])} if rows else {}
    out = []
    for row in rows:
        s = found.get(row[0])
        if s is None:  # gone from the store since the row was read: push what is known
            out.append(PushSession(*row))
            continue
        source = s.provenance.context if isinstance(s.provenance, Provenance) else None
        out.append(msgspec.structs.replace(
            PushSession(*row), health_status=s.health.status, health_score=s.health.score,
            context_used=s.context.used, context_limit=s.context.limit, context_percent=s.context.percent,
            context_source=source if isinstance(source, str) else None))
    return out
