"""Memory tools: recall what past sessions learned, remember a fact, memorize a session.

They call ``services.memory`` (imported on the first call, not at start-up:
it brings numpy) with the embedder the config names, as the CLI does.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from ..tool import Args, NonEmpty, tool, to_json

Project = Annotated[NonEmpty | None, Meta(description="A project name: only its memories (or the memory's project).")]


def memory_service() -> Any:
    from ...services import memory

    return memory


def get_memory(conn: Any, ref: str) -> Any:
    """One memory by id or unique prefix (``memory://{id}``)."""
    from ...services.memory import store

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


class Memories(msgspec.Struct):
    memories: list[MemoryOut]


class RecallArgs(Args):
    query: Annotated[str, Meta(min_length=1, description="What you want to know, in words: matched by meaning and by text.")]
    limit: Annotated[int, Meta(ge=1, le=50, description="At most this many memories, best first.")] = 5
    project: Project = None


@tool(RecallArgs, Memories, title="Recall memories")
def recall(conn, config, a: RecallArgs) -> dict[str, Any]:
    """Recall what earlier sessions learned (decisions, fixes, conventions, gotchas) that is relevant to a query.

    Call it before starting on a task to reuse what is already known about the
    project. Returns memories best match first, each with its text, score,
    project, originating session, creation time and tags.
    """
    service = memory_service()
    memories = service.recall(conn, a.query, limit=a.limit, project=a.project, embedder=service.embedder_for(config))
    return {"memories": to_json(memories)}


class RememberArgs(Args):
    text: Annotated[str, Meta(min_length=1, max_length=20_000, description="The fact to keep, self-contained: later sessions see only this text.")]
    project: Project = None
    tags: Annotated[list[Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^\S+$")]], Meta(
        max_length=20, description="Tags to find it by, without spaces.",
    )] = []


class Remembered(msgspec.Struct):
    id: str | int


@tool(RememberArgs, Remembered, title="Remember a fact", read_only=False, idempotent=False, signed=True)
def remember(conn, config, a: RememberArgs, writer: str) -> dict[str, Any]:
    """Store a fact for future sessions (a decision, a fix that worked, a convention, a gotcha).

    Secrets are redacted before it is stored. Returns the new memory's id.
    """
    service = memory_service()
    stored = service.remember(conn, a.text, project=a.project, tags=list(a.tags), source="mcp", writer=writer,
                              embedder=service.embedder_for(config))
    return {"id": to_json(stored)["id"]}


class MemorizeArgs(Args):
    session_id: Annotated[str, Meta(min_length=1, description="A session id, or a unique prefix of one.")]


@tool(MemorizeArgs, Memories, title="Memorize a session", fresh=True, read_only=False, signed=True)
def memorize_session(conn, config, a: MemorizeArgs, writer: str) -> dict[str, Any]:
    """Extract what a session learned (its summaries, decisions and fixes) into memories that later sessions can recall.

    Run it on a session before closing or compacting it. Returns the memories stored.
    """
    service = memory_service()
    memories = service.memorize(conn, config, a.session_id, writer=writer, embedder=service.embedder_for(config))
    return {"memories": to_json(memories)}
