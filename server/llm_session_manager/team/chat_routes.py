"""``/chat/...`` on the team server: the chat bots' endpoints, answered from the team database.

The same endpoints, signature checks and replies as ``serve``'s
(``frontends/serve/chat_route.py``, docs/chat.md), with the ``chat:`` section of
the server's config naming the secrets' variables; who may see what is the
linked team user's scope (``chat``), not ``allowed_users``. A Slack button
press is acknowledged empty and answered at its ``response_url`` after the
response (Starlette's background task).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import msgspec
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.errors import ChatNotSetUp, ChatRefused
from ..services.chat import inbound, slack
from ..services.chat.answers import Answer
from ..services.chat.discord import PONG
from ..services.chat.question import Ping
from . import chat

if TYPE_CHECKING:
    import psycopg

    from ..core.config_chat import ChatConfig

logger = logging.getLogger(__name__)

MAX_BODY = 256 << 10
POST_TIMEOUT_S = 10.0
InThread = Callable[[Callable[["psycopg.Connection"], Answer]], Awaitable[Answer]]


def routes(settings: ChatConfig, in_thread: InThread) -> list[Route]:
    """A route for each platform the config turns on."""

    def door_route(door: inbound.Door) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            body = await request.body()
            if len(body) > MAX_BODY:
                return _json({"error": f"a chat request may be at most {MAX_BODY} bytes"}, 413)
            headers = {k.lower(): v for k, v in request.headers.items()}
            now = time.time()
            try:
                asked = inbound.receive(settings, door, headers, body, now)
            except ChatRefused as e:
                return _json({"error": str(e)}, 401)
            except ChatNotSetUp as e:
                logger.warning("chat: %s", e)
                return _json({"error": str(e)}, 503)
            if isinstance(asked, Ping):
                return _json(PONG)
            if asked is None:
                return _json({}) if door == "slack-interactivity" else _json({"error": "not a command"}, 400)
            shown = await in_thread(lambda conn: chat.respond(conn, asked, now))
            if door == "slack-interactivity" and asked.response_url:
                url = asked.response_url
                return _json({}, background=BackgroundTask(
                    anyio.to_thread.run_sync, slack.post, url, inbound.reply(door, shown), POST_TIMEOUT_S))
            return _json(inbound.reply(door, shown))

        return route

    return [Route(path, door_route(door), methods=["POST"]) for path, door in inbound.PATHS.items()
            if inbound.enabled(settings, door)]


def _json(value: Any, status: int = 200, background: BackgroundTask | None = None) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json", background=background)
