"""Memory tools: recall what past sessions learned, remember a fact, memorize a session.

They call ``services.memory`` (imported on the first call, not at start-up:
it brings numpy) with the embedder the config names, as the CLI does.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from ....core.args import Project, RecallQuery
from ..tool import Args, to_json, tool

TEXT_CHARS = 1_000  # of each memory's text in a default answer: five long notes stay under 2,000 tokens


def memory_service() -> Any:
    from ....services import memory

    return memory


def get_memory(conn: Any, ref: str) -> Any:
    """One memory by id or unique prefix (``memory://{id}``)."""
    from ....services.memory import store

    rid, _ = store.resolve(conn, ref)
    return store.by_rids(conn, [rid])[rid]


class MemoryOut(msgspec.Struct):
    """One memory, as ``recall --json`` prints it."""

    id: str | int
    text: str
    score: float | None = None  # relevance to the query, higher is better
    project: str | None = None
    session_id: str | None = None
    created_at: str | float | None = None
    tags: list[str] = []
    source: str | None = None  # user | import | memorize | mcp
    writer: str | None = None  # the program that wrote it, as "claude-code 2.1.3 via remember"
    text_cut: bool = False  # the text is its first TEXT_CHARS characters (detail, or memory://{id}, has it all)


class Memories(msgspec.Struct):
    memories: list[MemoryOut]


class Memorized(msgspec.Struct):
    memories: list[MemoryOut]  # the first ``limit`` of those stored
    count: int  # new memories stored
    truncated: bool


class RecallArgs(RecallQuery, Args, frozen=True):  # frozen like Args: said again so type checkers see it
    detail: Annotated[bool, Meta(description="Whole texts (by default a long one is cut, with text_cut).")] = False


@tool(RecallArgs, Memories, title="Recall memories")
def recall(conn, config, a: RecallArgs) -> dict[str, Any]:
    """What earlier sessions learned (decisions, fixes, conventions) about a query, best first.

    Call it before a task. `source` says who wrote each: user, import, memorize
    (taken from a session), mcp (a model; `writer` names the client and tool).
    """
    service = memory_service()
    memories = service.recall(conn, a.query, limit=a.limit, project=a.project, embedder=service.embedder_for(config))
    return {"memories": [m if a.detail else short(m) for m in to_json(memories)]}


def short(memory: dict[str, Any]) -> dict[str, Any]:
    """A memory as JSON with its text cut to ``TEXT_CHARS``, saying so when it is."""
    text = memory["text"]
    if len(text) <= TEXT_CHARS:
        return memory
    return {**memory, "text": text[: TEXT_CHARS - 1].rstrip() + "…", "text_cut": True}


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
    service = memory_service()
    stored = service.remember(conn, a.text, project=a.project, tags=list(a.tags), source="mcp", writer=writer,
                              embedder=service.embedder_for(config))
    return {"id": to_json(stored)["id"]}


class MemorizeArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    session_id: Annotated[str, Meta(min_length=1, description="Session id or unique prefix.")]
    limit: Annotated[int, Meta(ge=1, le=1000, description="Show at most this many of the memories stored.")] = 10


@tool(MemorizeArgs, Memorized, title="Memorize a session", fresh=True, read_only=False, signed=True)
def memorize_session(conn, config, a: MemorizeArgs, writer: str) -> dict[str, Any]:
    """Store what a session learned (summaries, requirements, decisions, fixes) as memories to recall later.

    Run it before closing or compacting a session. Facts already stored are skipped.
    """
    service = memory_service()
    memories = service.memorize(conn, config, a.session_id, writer=writer, embedder=service.embedder_for(config))
    return {"memories": to_json(memories[: a.limit]), "count": len(memories), "truncated": len(memories) > a.limit}
