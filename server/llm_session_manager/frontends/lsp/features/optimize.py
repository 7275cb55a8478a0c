"""The ``llmSession.optimizeContext`` command: what the files a session used cost in context.

The files come from the session's report (``services.export.build_report``),
most expensive first, so an editor can show what to drop or trim.
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
    from ....services import export  # in the worker thread (see sessions.py)

    report = export.build_report(conn, config, ref)
    files = sorted(report.files, key=lambda f: (f.tokens is None, -(f.tokens or 0), f.path))
    return {
        "session_id": report.session.id,
        "files": msgspec.to_builtins(files),
        "total_tokens": sum(f.tokens or 0 for f in files),
    }
