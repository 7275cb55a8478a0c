"""``/chat/...`` on serve's HTTP port: the chat bots' endpoints (docs/chat.md).

Slack's slash commands and interactivity, Discord's interactions and a Teams
outgoing webhook, each answered only when the platform's signature over the
exact body checks out (``services.chat.inbound``): unsigned, stale or
tampered requests get 401 before anything is read from the store. These
routes stand outside ``bearer_auth.RequireToken`` and the local Host checks:
the platforms cannot send serve's token, and their signatures are the
authentication.

An answer is computed through the engine in a worker thread. Slack wants the
reply within 3 seconds: a command still computing after
``chat.answer_timeout`` is acknowledged at once ("working on it", seen only
by the asker) and its answer posted to the command's ``response_url`` when
ready. A button press is acknowledged empty, as Slack asks, and answered the
same way. Discord and Teams wait for the answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import trio

from ...core.errors import ChatNotSetUp, ChatRefused
from ...services.chat import access, inbound, slack
from ...services.chat.answering import answer
from ...services.chat.answers import Answer
from ...services.chat.discord import PONG
from ...services.chat.question import Ping, Question
from .bearer_auth import Receive, Scope, Send
from .request_body import read_body

if TYPE_CHECKING:
    from ...core.config_chat import ChatConfig
    from ...runtime.engine import Engine

logger = logging.getLogger(__name__)

MAX_BODY = 256 << 10  # a slash command is a few hundred bytes, an interaction a few kB
POST_TIMEOUT_S = 10.0
WORKING = Answer("Working on it…", "The answer follows in a moment.")


class ChatRoute:
    """An ASGI app: the ``inbound.PATHS`` here, every other request to ``app``."""

    def __init__(self, app: Any, engine: Engine, chat: ChatConfig, nursery: trio.Nursery) -> None:
        self._app, self._engine, self._chat, self._nursery = app, engine, chat, nursery

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = inbound.PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if door is None or not inbound.enabled(self._chat, door):
            await self._app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _answer(send, 405, {"error": "POST only"})
            return
        body = await read_body(receive, MAX_BODY)
        if body is None:
            await _answer(send, 413, {"error": f"a chat request may be at most {MAX_BODY} bytes"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            asked = inbound.receive(self._chat, door, headers, body, time.time())
        except ChatRefused as e:
            logger.info("chat: refused a %s request: %s", door, e)
            await _answer(send, 401, {"error": str(e)})
            return
        except ChatNotSetUp as e:
            logger.warning("chat: %s", e)
            await _answer(send, 503, {"error": str(e)})
            return
        if isinstance(asked, Ping):
            await _answer(send, 200, PONG)
        elif asked is None:
            await _answer(send, 200 if door == "slack-interactivity" else 400,
                          {} if door == "slack-interactivity" else {"error": "not a command this bot answers"})
        elif door == "slack-interactivity":
            await _answer(send, 200, {})  # Slack wants an empty 200; the answer goes to response_url
            self._nursery.start_soon(self._later, door, asked, partial(self._allowed_answer, asked))
        elif not access.allowed(self._chat, asked):
            await self._reply(send, door, asked, await self._allowed_answer(asked))
        else:
            await self._answer_in_time(send, door, asked)

    async def _answer_in_time(self, send: Send, door: inbound.Door, asked: Question) -> None:
        if door != "slack-commands" or not asked.response_url:
            await self._reply(send, door, asked, await self._compute(asked))
            return
        ready = trio.Event()
        box: list[Answer] = []

        async def compute() -> None:
            box.append(await self._compute(asked))
            ready.set()

        async def computed() -> Answer:
            await ready.wait()
            return box[0]

        self._nursery.start_soon(compute)
        with trio.move_on_after(self._chat.answer_timeout):
            await ready.wait()
        if box:
            await self._reply(send, door, asked, box[0])
        else:  # Slack gives up after 3 s: say so now, answer at response_url when done
            await self._reply(send, door, asked, WORKING)
            self._nursery.start_soon(self._later, door, asked, computed)

    async def _later(self, door: inbound.Door, asked: Question, result: Callable[[], Awaitable[Answer]]) -> None:
        """An answer posted to Slack's ``response_url`` once it is computed."""
        shown = await result()
        if not asked.response_url:
            return
        try:
            await trio.to_thread.run_sync(slack.post, asked.response_url, inbound.reply(door, shown), POST_TIMEOUT_S)
        except OSError as e:
            logger.warning("chat: could not post an answer to Slack's response_url: %s", e)

    async def _allowed_answer(self, asked: Question) -> Answer:
        """The answer, or only the link instruction for a chat user not let in."""
        if not access.allowed(self._chat, asked):
            logger.info("chat: %s user %s is not allowed", asked.platform, asked.user)
            return access.link_instruction(asked)
        return await self._compute(asked)

    async def _compute(self, asked: Question) -> Answer:
        try:
            return await self._engine.call(answer, asked.command)
        except Exception as e:  # noqa: BLE001 -- the asker gets one line; serve and the others go on
            logger.warning("chat: %s %s failed: %s", asked.platform, asked.command.name, e)
            return Answer("Cannot answer now", f"{e}", tone="refused")

    async def _reply(self, send: Send, door: inbound.Door, asked: Question, shown: Answer) -> None:
        logger.info("chat: %s user %s asked %s", asked.platform, asked.user, asked.command.name)
        await _answer(send, 200, inbound.reply(door, shown))



async def _answer(send: Send, status: int, value: dict[str, Any]) -> None:
    body = msgspec.json.encode(value)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
