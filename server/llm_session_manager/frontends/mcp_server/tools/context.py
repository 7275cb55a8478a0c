"""The ``optimize_context`` tool: what a session's context holds, what it costs, and what to cut.

The answer is structured and small (``max_tokens``, 2,000 by default, counted
in o200k tokens): asking must cost less than it saves. When the full answer is
bigger, the longest lists lose their least costly or least relevant entries
first, the suggestions last, and ``truncated`` says so.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ....core.models import Context, FileCost
from ..tool import Args, NonEmpty, tool
from .sessions import Cwd, SessionId, find_session

MAX_TOKENS = 2_000


class OptimizeArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: SessionId | None = None
    cwd: Cwd | None = None
    query: Annotated[NonEmpty | None, Meta(
        description="Only files whose path contains one of these words in `files`; "
                    "`relevant` ranks all the session's files by it (words and meaning).")] = None
    limit: Annotated[int, Meta(ge=1, le=500, description="At most this many files, costliest first.")] = 10
    max_tokens: Annotated[int, Meta(ge=300, le=100_000, description="Cut the answer to about this many tokens.")] = \
        MAX_TOKENS


class PlanFile(FileCost):
    tokens_then: int | None  # what its reads put in context, from the transcript; None: unknown
    referred_again: bool | None  # after its first read; None: never read


class Relevant(msgspec.Struct):
    path: str
    score: float
    tokens: int | None
    loaded: bool  # read, edited or searched in the session; False: only named


class PlanInstruction(msgspec.Struct):
    path: str
    tokens_per_turn: int
    token_source: str
    never_relevant: list[str]  # section headings whose words the session never used


class ContextPlan(msgspec.Struct):
    session_id: str
    context: Context
    files: list[PlanFile]
    total_tokens: int  # of every file that matched, listed or not
    count: int  # files that matched, before ``limit``
    gone: int  # of those, no longer on disk
    truncated: bool  # something was left out: by ``limit`` or to fit ``max_tokens``
    suggestions: list[dict]
    mentioned: list[dict]  # named in the conversation, never loaded
    instructions: list[PlanInstruction]
    mcp_servers: list[dict]
    relevant: list[Relevant]  # with a query: most relevant first
    turns: int
    answer_tokens: int  # this answer, o200k


@tool(OptimizeArgs, ContextPlan, title="What the context holds and what to cut", fresh=True)
def optimize_context(conn, config, a: OptimizeArgs) -> ContextPlan:
    """A session's context measured: files by token cost (then and now, and whether used again), files asked
    about but never loaded, instruction-file sections never relevant, MCP tool costs, and suggestions with the
    tokens each saves.

    The session is found as in `session_status`. Token figures are estimated unless marked exact.
    """
    from ....core.encoding import count_o200k
    from ....services import context_plan, context_report

    session = find_session(conn, config, a.session_id, a.cwd)
    ranked = context_plan.rank_files(conn, config, session.id, query=a.query)
    report = context_report.build(conn, config, session.id, query=a.query, own_tools=own_tools_cost())
    facts = {f.path: f for f in report.files}
    files = [PlanFile(f.path, f.actions, f.uses, f.tokens, f.token_source, f.state,
                      facts[f.path].tokens_then if f.path in facts else None,
                      facts[f.path].referred_again if f.path in facts else None) for f in ranked.files]
    relevant = []
    if a.query:
        relevant = [Relevant(f.path, f.score or 0.0, f.tokens_then if f.tokens_then is not None else f.tokens_now,
                             True) for f in report.files]
        relevant += [Relevant(m.path or m.name, m.score or 0.0, m.tokens_now, False) for m in report.mentioned]
        relevant.sort(key=lambda r: -r.score)
    plan = ContextPlan(
        session_id=session.id,
        context=session.context,
        files=files[: a.limit],
        total_tokens=ranked.total_tokens,
        count=len(files),
        gone=ranked.gone,
        truncated=len(files) > a.limit,
        suggestions=[_bare(s) for s in report.suggestions],
        mentioned=[_bare(m) for m in report.mentioned],
        instructions=[PlanInstruction(d.path, d.tokens_per_turn, d.token_source,
                                      [s.heading or "(top)" for s in d.sections if not s.relevant])
                      for d in report.instructions if d.applies],
        mcp_servers=[_bare(m) for m in report.mcp_servers],
        relevant=relevant[:10],
        turns=report.turns,
        answer_tokens=0,
    )
    return _fit(plan, a.max_tokens, count_o200k)


def _bare(value: object) -> dict:
    """A struct as JSON values, without the fields that are null (they say nothing, and cost tokens)."""
    return {k: v for k, v in msgspec.to_builtins(value).items() if v is not None}


def _fit(plan: ContextPlan, budget: int, count) -> ContextPlan:
    """``plan`` cut to about ``budget`` tokens: one entry at a time off the longest list, suggestions last."""
    def size() -> int:
        return count(msgspec.json.encode(plan).decode())

    lists = ("relevant", "mentioned", "files", "mcp_servers", "instructions", "suggestions")
    n = size()
    while n > budget:
        longest = max(lists[:-1], key=lambda name: len(getattr(plan, name)))
        name = longest if len(getattr(plan, longest)) > 1 else next(
            (x for x in lists if getattr(plan, x)), None)
        if name is None:
            break
        getattr(plan, name).pop()
        plan.truncated = True
        n = size()
    plan.answer_tokens = n
    return plan


def own_tools_cost() -> tuple[int, int]:
    """(tools, o200k tokens) of this server's ``tools/list``: what listing us costs an assistant every turn."""
    import json

    from ....core.encoding import count_o200k
    from . import TOOLS

    listed = [{"name": t.name, "title": t.title, "description": t.description, "inputSchema": t.input_schema,
               "outputSchema": t.output_schema} for t in TOOLS.values()]
    return len(listed), count_o200k(json.dumps(listed))
