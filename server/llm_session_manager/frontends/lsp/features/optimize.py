"""The ``llmSession.optimizeContext`` command: what the files a session used cost in context.

The files come ranked from ``services.context_plan`` (as in the MCP
``optimize_context`` tool), most expensive first, so an editor can show what
to drop or trim.
"""

from __future__ import annotations

from typing import Any

import apsw
import msgspec

from ....core.config import Config
from .. import params as p
from ..feature import Feature

COMMAND = "llmSession.optimizeContext"


class OptimizeContext(Feature):
    def register(self) -> None:
        self.command(COMMAND, self.optimize)

    async def optimize(self, *args: Any) -> dict[str, Any]:
        """Arguments ``[sessionId]`` -> ``{session_id, files, total_tokens}``."""
        p.arguments(args, COMMAND, at_least=1, at_most=1)
        sid = p.text(args[0], "sessionId", required=True)
        return await self.server.engine.call(files_by_cost, sid)


def files_by_cost(conn: apsw.Connection, config: Config, ref: str) -> dict[str, Any]:
    from ....services import context_plan  # in the worker thread (see sessions.py)

    ranked = context_plan.rank_files(conn, config, ref)
    return {
        "session_id": ranked.session.id,
        # Each file as the report has it: this answer predates the ``state`` the MCP tool shows.
        "files": [{k: v for k, v in f.items() if k != "state"} for f in msgspec.to_builtins(ranked.files)],
        "total_tokens": ranked.total_tokens,
    }
