"""``llmSession/recall`` and the ``llmSession.recall`` command: search what sessions learned.

The same hybrid search as ``llm-session recall``; memories come back as the
CLI's ``--json`` prints them. The memory service (and numpy under it) is
imported in the worker thread on the first recall, never at start-up.
"""

from __future__ import annotations

from typing import Any

import apsw
import msgspec

from ....core.args import RecallQuery
from ....core.config import Config
from .. import params as p
from ..feature import Feature

METHOD = "llmSession/recall"
COMMAND = "llmSession.recall"


class Recall(Feature):
    def register(self) -> None:
        self.on(METHOD, self.recall)
        self.command(COMMAND, self.recall_command)

    async def recall(self, params: Any) -> dict[str, Any]:
        """Params ``{query, limit?, project?}`` -> ``{memories: [...]}``."""
        return await self._answer(p.query(p.fields(params, METHOD), RecallQuery))

    async def recall_command(self, *args: Any) -> dict[str, Any]:
        """Arguments ``[query, limit?, project?]``."""
        p.arguments(args, COMMAND, at_least=1, at_most=3)
        return await self._answer(p.query(dict(zip(("query", "limit", "project"), args, strict=False)), RecallQuery))

    async def _answer(self, asked: RecallQuery) -> dict[str, Any]:
        query, limit, project = asked.query, asked.limit, asked.project
        return await self.server.engine.call(_recall, query, limit, project)


def _recall(conn: apsw.Connection, config: Config, query: str, limit: int, project: str | None) -> dict[str, Any]:
    from ....services import memory

    found = memory.recall(conn, query, limit=limit, project=project, config=config)
    return {"memories": msgspec.to_builtins(found), "tokens": sum(m.tokens for m in found)}
