"""The ``optimize_context`` tool: what the files a session used cost in its context window."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ....core.models import Context, FileCost
from ..tool import Args, NonEmpty, tool
from .sessions import Cwd, SessionId, find_session


class OptimizeArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: SessionId | None = None
    cwd: Cwd | None = None
    query: Annotated[NonEmpty | None, Meta(description="Only files whose path contains one of these words.")] = None
    limit: Annotated[int, Meta(ge=1, le=500, description="At most this many files, costliest first.")] = 10


class ContextPlan(msgspec.Struct):
    session_id: str
    context: Context
    files: list[FileCost]
    total_tokens: int  # of every file that matched, listed or not
    count: int  # files that matched, before ``limit``
    gone: int  # of those, no longer on disk
    truncated: bool


@tool(OptimizeArgs, ContextPlan, title="Files by context cost", fresh=True)
def optimize_context(conn, config, a: OptimizeArgs) -> ContextPlan:
    """The files a session read, edited or searched, costliest in tokens first, with its context fill.

    The session is found as in `session_status`. Decide what to leave out or
    summarise before the context fills up. A file no longer on disk has `state: gone`.
    """
    from ....services import context_plan

    session = find_session(conn, config, a.session_id, a.cwd)
    ranked = context_plan.rank_files(conn, config, session.id, query=a.query)
    return ContextPlan(
        session_id=session.id,
        context=session.context,
        files=ranked.files[: a.limit],
        total_tokens=ranked.total_tokens,
        count=len(ranked.files),
        gone=ranked.gone,
        truncated=len(ranked.files) > a.limit,
    )


def own_tools_cost() -> tuple[int, int]:
    """(tools, o200k tokens) of this server's ``tools/list``: what listing us costs an assistant every turn."""
    import json

    from ....core.encoding import count_o200k
    from . import TOOLS

    listed = [{"name": t.name, "title": t.title, "description": t.description, "inputSchema": t.input_schema,
               "outputSchema": t.output_schema} for t in TOOLS.values()]
    return len(listed), count_o200k(json.dumps(listed))
