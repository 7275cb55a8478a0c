"""The ``optimize_context`` tool: what the files a session used cost in its context window."""

from __future__ import annotations

import os
from typing import Annotated

import msgspec
from msgspec import Meta

from ....core.models import Context
from ..tool import Args, NonEmpty, tool
from .sessions import Cwd, SessionId, find_session


class OptimizeArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: SessionId | None = None
    cwd: Cwd | None = None
    query: Annotated[NonEmpty | None, Meta(description="Only files whose path contains one of these words.")] = None
    limit: Annotated[int, Meta(ge=1, le=500, description="At most this many files, costliest first.")] = 10


class FileCost(msgspec.Struct):
    path: str
    actions: list[str]  # read | edit | write | search | list
    uses: int
    tokens: int | None  # what the file would cost in context now; null when it cannot be read (see state)
    token_source: str | None  # exact | estimated
    state: str  # counted | gone | directory | too large | unreadable


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
    from ....services import export

    session = find_session(conn, config, a.session_id, a.cwd)
    report = export.build_report(conn, config, session.id)
    files = report.files
    if a.query:
        words = [w.lower() for w in a.query.split()]
        files = [f for f in files if any(w in f.path.lower() for w in words)]
    files = sorted(files, key=lambda f: (f.tokens is None, -(f.tokens or 0), f.path))
    costs = [FileCost(f.path, f.actions, f.uses, f.tokens, f.token_source, _state(f.path, f.tokens)) for f in files]
    return ContextPlan(
        session_id=session.id,
        context=session.context,
        files=costs[: a.limit],
        total_tokens=sum(f.tokens or 0 for f in files),
        count=len(costs),
        gone=sum(f.state == "gone" for f in costs),
        truncated=len(costs) > a.limit,
    )


def _state(path: str, tokens: int | None) -> str:
    """Why a file has a token count or not: counted, or what stood in the way."""
    from ....services.export import MAX_FILE_BYTES

    if tokens is not None:
        return "counted"
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return "gone"
    except OSError:
        return "unreadable"
    if os.path.isdir(path):
        return "directory"
    return "too large" if stat.st_size > MAX_FILE_BYTES else "unreadable"
