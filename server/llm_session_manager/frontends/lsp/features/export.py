"""The ``llmSession.export`` command: a session's report as text, as ``llm-session export``."""

from __future__ import annotations

from typing import Any

import apsw

from ....core.config import Config
from .. import params as p
from ..feature import Feature

COMMAND = "llmSession.export"


class Export(Feature):
    def register(self) -> None:
        self.command(COMMAND, self.export)

    async def export(self, *args: Any) -> str:
        """Arguments ``[sessionId, format?]``; format is json, yaml, markdown (default) or csv."""
        p.arguments(args, COMMAND, at_least=1, at_most=2)
        sid = p.text(args[0], "sessionId", required=True)
        fmt = p.text(args[1], "format") if len(args) > 1 else None
        return await self.server.engine.call(render, sid, fmt or "markdown")


def render(conn: apsw.Connection, config: Config, ref: str, fmt: str) -> str:
    from ....services import export  # in the worker thread (see sessions.py)

    return export.render(conn, config, ref, fmt)
