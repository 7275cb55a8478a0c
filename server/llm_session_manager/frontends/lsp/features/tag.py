"""The ``llmSession.tag`` command: add tags to a session, as ``llm-session tag``."""

from __future__ import annotations

from typing import Any

import apsw

from ....core.config import Config
from .. import params as p
from ..feature import Feature

COMMAND = "llmSession.tag"


class Tag(Feature):
    def register(self) -> None:
        self.command(COMMAND, self.tag)

    async def tag(self, *args: Any) -> dict[str, Any]:
        """Arguments ``[sessionId, tag, ...]`` -> ``{id, tags}`` (all the session's tags)."""
        p.arguments(args, COMMAND, at_least=2, at_most=None)
        sid = p.text(args[0], "sessionId", required=True)
        tags = [p.text(t, "tag", required=True) for t in args[1:]]
        return await self.server.engine.call(_tag, sid, tags)


def _tag(conn: apsw.Connection, config: Config, ref: str, tags: list[str]) -> dict[str, Any]:
    from ....services import sessions  # in the worker thread (see sessions.py)

    sid = sessions.tag(conn, ref, tags)
    return {"id": sid, "tags": sessions.get_session(conn, config, sid).tags}
