"""The ``optimize_context`` tool: what the files a session used cost in its context window."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ...models import Context
from ..tool import Args, NonEmpty, tool
from .sessions import Cwd, SessionId, find_session


class OptimizeArgs(Args):
    session_id: SessionId | None = None
    cwd: Cwd | None = None
    query: Annotated[NonEmpty | None, Meta(
        description="What you are about to work on: only files whose path contains one of its words are listed.",
    )] = None


class FileCost(msgspec.Struct):
    path: str
    actions: list[str]  # read | edit | write | search | list
    uses: int
    tokens: int | None  # what the file would cost in context now; null if it is gone
    token_source: str | None  # exact | estimated


class ContextPlan(msgspec.Struct):
    session_id: str
    context: Context
    files: list[FileCost]
    total_tokens: int


@tool(OptimizeArgs, ContextPlan, title="Files by context cost", fresh=True)
def optimize_context(conn, config, a: OptimizeArgs) -> ContextPlan:
    """The files a session read, edited or searched, most expensive in tokens first, with the session's context fill.

    The session is found as in `session_status` (id, else cwd, else the latest).
    Use it to decide what to leave out or summarise before the context fills up.
    This first version ranks by token cost only; `query` filters by path.
    """
    from ...services import export

    session = find_session(conn, config, a.session_id, a.cwd)
    report = export.build_report(conn, config, session.id)
    files = report.files
    if a.query:
        words = [w.lower() for w in a.query.split()]
        files = [f for f in files if any(w in f.path.lower() for w in words)]
    files = sorted(files, key=lambda f: (f.tokens is None, -(f.tokens or 0), f.path))
    return ContextPlan(
        session_id=session.id,
        context=session.context,
        files=[FileCost(f.path, f.actions, f.uses, f.tokens, f.token_source) for f in files],
        total_tokens=sum(f.tokens or 0 for f in files),
    )
