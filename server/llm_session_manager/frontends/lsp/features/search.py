"""``llmSession/search``: where something was said in past conversations.

The same search as ``llm-session search`` and the MCP ``search_history`` tool;
the result is the CLI's ``--json`` (``{matches, truncated, sort, complete}``).
"""

from __future__ import annotations

from typing import Any

import apsw
import msgspec

from ....core.args import SearchQuery
from ....core.config import Config
from .. import params as p
from ..feature import Feature

METHOD = "llmSession/search"


class Search(Feature):
    def register(self) -> None:
        self.on(METHOD, self.search)

    async def search(self, params: Any) -> dict[str, Any]:
        """Params ``{query, session_id?, provider?, project?, since?, role?, sort?, limit?}``."""
        asked = p.query(p.fields(params, METHOD), SearchQuery)
        return await self.server.engine.call(_search, asked, fresh=True)


def _search(conn: apsw.Connection, config: Config, asked: SearchQuery) -> dict[str, Any]:
    from ....services import history

    found = history.search(conn, asked.query, session_id=asked.session_id, provider=asked.provider,
                           project=asked.project, since=asked.since_time(), role=asked.role, sort=asked.sort,
                           limit=asked.limit)
    return msgspec.to_builtins(found)
