"""JSON answers of our HTTP servers (``serve``'s dashboard, the team server), and their errors.

Each error carries the status a server answers it with (``core.errors``), so
every route says the same thing of the same error: ``{"error": "one line"}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import LlmSessionError

Route = Callable[[Request], Awaitable[Response]]


def json_answer(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json", headers=headers)


def answering(route: Route, headers: Mapping[str, str] | None = None) -> Route:
    """``route`` with our errors as ``{"error": "..."}`` and the status each carries (whose fault it is)."""

    async def answer(request: Request) -> Response:
        try:
            return await route(request)
        except LlmSessionError as e:
            return json_answer({"error": str(e)}, e.status, headers)

    return answer
