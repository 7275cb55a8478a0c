"""``llmSession/recall`` and the ``llmSession.recall`` command: search what sessions learned.

Memory (the store's ``memories`` table and its search) is not in this version,
so both answer with no memories and a message saying so; clients can show the
message and keep the call as it is for when memory arrives.
"""

from __future__ import annotations

from typing import Any

from .. import params as p
from ..feature import Feature

METHOD = "llmSession/recall"
COMMAND = "llmSession.recall"
UNAVAILABLE = (
    "Memory is not available in this version of llm-session-manager: "
    "no memories are stored yet, so there is nothing to recall."
)


class Recall(Feature):
    def register(self) -> None:
        self.on(METHOD, self.recall)
        self.command(COMMAND, self.recall_command)

    async def recall(self, params: Any) -> dict[str, Any]:
        """Params ``{query, limit?, project?}`` -> ``{memories: [], message}``."""
        f = p.fields(params, METHOD)
        return self._answer(f.get("query"), f.get("limit"), f.get("project"))

    async def recall_command(self, *args: Any) -> dict[str, Any]:
        """Arguments ``[query, limit?, project?]``."""
        p.arguments(args, COMMAND, at_least=1, at_most=3)
        query, limit, project = (*args, None, None)[:3]
        return self._answer(query, limit, project)

    def _answer(self, query: Any, limit: Any, project: Any) -> dict[str, Any]:
        p.text(query, "query", required=True)
        p.count(limit, "limit", 5)
        p.text(project, "project")
        return {"memories": [], "message": UNAVAILABLE}
