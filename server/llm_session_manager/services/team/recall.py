"""The team's memory pool searched from this machine, for ``recall`` over MCP.

Where this data dir has joined a team server, the query is embedded here (with
the model local memories use; the server compares only vectors of that model)
and sent to ``/api/memories/search``, which answers within the scopes the
caller may read. A server that is down or refuses leaves the local results as
they are, with a note saying why; a data dir that joined none asks nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from ...core.errors import TeamError
from ...core.team_share_wire import MEMORY_SEARCH_PATH, MemorySearch, TeamMemory
from . import client, link

if TYPE_CHECKING:
    from ...core.config import Config

TIMEOUT = 5.0  # recall is asked mid-task: a slow server must not hold the assistant up for long


class TeamRecall(msgspec.Struct):
    memories: list[TeamMemory]
    note: str | None = None  # why there are none from the team, when it could not be asked


def joined() -> bool:
    return link.path().is_file()


def team_recall(query: str, *, limit: int = 5, project: str | None = None, config: Config | None = None,
                exclude: frozenset[str] = frozenset()) -> TeamRecall:
    """The team's memories nearest ``query`` that this user may read, minus the ids in ``exclude``."""
    import base64

    import numpy as np

    from ..memory.remember import resolve_embedder

    try:
        joined_link = link.load()
    except TeamError as e:
        return TeamRecall([], f"team memories not searched: {e}")
    embedder = resolve_embedder(config=config)
    vector = np.asarray(embedder.embed([query])[0], dtype="<f4")
    query_args = {"q": query, "limit": str(limit + len(exclude)), "embedder": embedder.name,
                  "vector": base64.b64encode(vector.tobytes()).decode()}
    if project:
        query_args["project"] = project
    try:
        found = client.request(joined_link, MEMORY_SEARCH_PATH, MemorySearch, query=query_args, timeout=TIMEOUT)
    except TeamError as e:
        return TeamRecall([], f"team memories not searched: {e}")
    return TeamRecall([m for m in found.memories if m.id not in exclude][:limit])
