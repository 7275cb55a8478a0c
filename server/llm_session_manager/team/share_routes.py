"""The team server's routes for what is shared beyond usage (docs/team.md#api):
pushing conversation and memories, handoffs, a session's resume pack and history,
and searching the memory pool. ``app.build`` mounts them with its own helpers
(a request's caller, database work in a thread, errors as JSON)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.errors import BadInput
from ..core.team_share_wire import (
    HANDOFFS_PATH,
    MEMORIES_PATH,
    MEMORY_SEARCH_PATH,
    MESSAGES_PATH,
    HandoffRequest,
    MemoriesBatch,
    MessagesBatch,
)
from ..runtime.json_answers import json_answer
from . import handoffs, memory_pool, shared
from .auth import Caller

T = TypeVar("T")
InThread = Callable[[Callable[[Any], Any]], Awaitable[Any]]


def routes(in_thread: InThread, authorized: Callable[[Request], Awaitable[Caller]],
           answering: Callable[[Callable[[Request], Any]], Callable[[Request], Any]],
           body: Callable[[Request], Awaitable[bytes]]) -> list[Route]:
    async def decoded(request: Request, kind: type[T]) -> T:
        try:
            return msgspec.json.decode(await body(request), type=kind)
        except (msgspec.ValidationError, msgspec.DecodeError) as e:
            raise BadInput(f"not a {kind.__name__}: {e}") from e

    async def push_messages(request: Request) -> Response:
        who = await authorized(request)
        batch = await decoded(request, MessagesBatch)
        return json_answer(await in_thread(lambda conn: shared.store_messages(conn, who, batch)))

    async def push_memories(request: Request) -> Response:
        who = await authorized(request)
        batch = await decoded(request, MemoriesBatch)
        return json_answer(await in_thread(lambda conn: shared.store_memories(conn, who, batch)))

    async def hand_off(request: Request) -> Response:
        who = await authorized(request)
        asked = await decoded(request, HandoffRequest)
        return json_answer(await in_thread(lambda conn: handoffs.hand_off(conn, who, asked)))

    async def take(request: Request) -> Response:
        who = await authorized(request)
        session_id = request.path_params["session_id"]
        return json_answer(await in_thread(lambda conn: handoffs.take(conn, who, session_id)))

    async def history(request: Request) -> Response:
        who = await authorized(request)
        session_id = request.path_params["session_id"]
        return json_answer(await in_thread(lambda conn: handoffs.history(conn, who, session_id)))

    async def search(request: Request) -> Response:
        who = await authorized(request)
        q = request.query_params
        try:
            limit = int(q.get("limit", "5"))
        except ValueError as e:
            raise BadInput(f"limit must be a whole number, got {q.get('limit')!r}") from e
        vector = memory_pool.decode_vector(q["vector"]) if q.get("vector") else None
        found = await in_thread(lambda conn: memory_pool.search(
            conn, who, q.get("q", ""), limit=limit, vector=vector, embedder=q.get("embedder"),
            project=q.get("project") or None))
        return json_answer(found)

    return [
        Route(MESSAGES_PATH, answering(push_messages), methods=["POST"]),
        Route(MEMORIES_PATH, answering(push_memories), methods=["POST"]),
        Route(HANDOFFS_PATH, answering(hand_off), methods=["POST"]),
        Route("/api/sessions/{session_id}/take", answering(take), methods=["POST"]),
        Route("/api/sessions/{session_id}/history", answering(history), methods=["GET"]),
        Route(MEMORY_SEARCH_PATH, answering(search), methods=["GET"]),
    ]
