"""Memory tools: recall what past sessions learned, remember a fact, memorize a session.

They call ``services.memory`` (imported on the first call, not at start-up:
it brings numpy) with the config, from which it takes the embedder, as the CLI does.
Their results are memory's own structs (``core.models.Memory``).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from ....core.args import Project, RecallQuery
from ....core.models import Memory, MemoryExcerpt
from ....core.team_share_wire import TeamMemory
from ..tool import Args, to_json, tool

TEXT_CHARS = 1_000  # of each memory's text in a default answer: five long notes stay under 2,000 tokens


class Memories(msgspec.Struct):
    memories: list[MemoryExcerpt]  # each cut to TEXT_CHARS unless ``detail``, with text_cut when it is
    tokens: int = 0  # what the memories' texts cost in tokens, estimated (the sum of theirs)
    # Where the data dir joined a team server: its memories this user may read, each with its scope and
    # who shared it, and a note when the server could not be asked (docs/team.md#memory-pool).
    team: list[TeamMemory] | None = None
    team_note: str | None = None


class Memorized(msgspec.Struct):
    memories: list[Memory]  # the first ``limit`` of those stored
    count: int  # new memories stored
    truncated: bool


class RecallArgs(RecallQuery, Args, frozen=True):  # frozen like Args: said again so type checkers see it
    detail: Annotated[bool, Meta(description="Whole texts (by default a long one is cut, with text_cut).")] = False


@tool(RecallArgs, Memories, title="Recall memories")
def recall(conn, config, a: RecallArgs) -> dict[str, Any]:
    """What earlier sessions learned (decisions, fixes, conventions) about a query, best first.

    Call it before a task. `source` says who wrote each: user, import, memorize
    (taken from a session), mcp (a model; `writer` names the client and tool).
    Where this machine joined a team server, `team` holds the team's memories you may
    read (each with its scope and who shared it); `team_note` says why when it could not be asked.
    """
    from ....services import memory
    from ....services.team import recall as team

    found = memory.recall(conn, a.query, limit=a.limit, project=a.project, config=config)
    shown = found if a.detail else [memory.excerpt(m, TEXT_CHARS) for m in found]
    answer = {"memories": to_json(shown), "tokens": sum(getattr(m, "tokens", 0) for m in shown)}
    if team.joined():
        shared = team.team_recall(a.query, limit=a.limit, project=a.project, config=config,
                                  exclude=frozenset(m.id for m in found))
        answer["team"] = to_json(shared.memories)
        if shared.note:
            answer["team_note"] = shared.note
    return answer


class RememberArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    text: Annotated[str, Meta(min_length=1, max_length=20_000, description="The fact, self-contained: later sessions see only this.")]
    project: Project = None
    tags: Annotated[list[Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^\S+$")]], Meta(
        max_length=20, description="Tags, without spaces.",
    )] = []  # noqa: RUF012 -- msgspec copies a mutable default for each instance


class Remembered(msgspec.Struct):
    id: str | int


@tool(RememberArgs, Remembered, title="Remember a fact", read_only=False, idempotent=False, signed=True)
def remember(conn, config, a: RememberArgs, writer: str) -> dict[str, Any]:
    """Keep a fact for future sessions (a decision, a fix that worked, a convention); secrets are redacted.

    It is stored as written by this client, not by the user.
    """
    from ....services import memory

    stored = memory.remember(conn, a.text, project=a.project, tags=list(a.tags), source="mcp", writer=writer,
                             config=config)
    return {"id": stored.id}


class MemorizeArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: Annotated[str, Meta(min_length=1, description="Session id or unique prefix.")]
    limit: Annotated[int, Meta(ge=1, le=1000, description="Show at most this many of the memories stored.")] = 10


@tool(MemorizeArgs, Memorized, title="Memorize a session", fresh=True, read_only=False, signed=True)
def memorize_session(conn, config, a: MemorizeArgs, writer: str) -> dict[str, Any]:
    """Store what a session learned (summaries, requirements, decisions, fixes) as memories to recall later.

    Run it before closing or compacting a session. Facts already stored are skipped.
    """
    from ....services import memory

    memories = memory.memorize(conn, config, a.session_id, writer=writer)
    return {"memories": to_json(memories[: a.limit]), "count": len(memories), "truncated": len(memories) > a.limit}
