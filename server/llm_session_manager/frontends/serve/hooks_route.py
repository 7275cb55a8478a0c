"""``POST /hooks/event`` on serve's HTTP port: hooks hand their work to serve (docs/hooks.md).

A hook process (``runtime/hook_relay.py``) that finds ``serve`` running POSTs
the event (a ``HookEvent`` as JSON) with the serve token, and goes: serve
already has the store open and the interpreter warm. A SessionStart is
answered with the context for the new session (read under the hook's time
budget); everything else is done after the answer, in serve's nursery: wait
until the log is quiet, read it, memorize the session if the config says so.

Every request needs ``Authorization: Bearer <token>``, on loopback too: this
route writes to the store and answers with memories.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec
import trio

from ...runtime import serve_token
from ...runtime.hook_relay import INLINE_BYTES, ROUTE, ServeAnswer, log
from ...services import hooks
from ...services.hooks import HookEvent
from .request_body import read_body

if TYPE_CHECKING:
    import apsw

    from ...core.config import Config
    from ...runtime.engine import Engine

logger = logging.getLogger(__name__)

MAX_BODY = 64 << 10  # a hook payload is a few hundred bytes


class HooksRoute:
    """An ASGI app: ``ROUTE`` here, every other request to ``app``."""

    def __init__(self, app: Any, engine: Engine, token: str, nursery: trio.Nursery) -> None:
        self._app, self._engine, self._token, self._nursery = app, engine, token, nursery

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != ROUTE:
            await self._app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _answer(send, 405, b'{"error": "POST only"}')
            return
        auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if not serve_token.matches(self._token, auth.removeprefix("Bearer ")):
            await _answer(send, 401, b'{"error": "the serve token is missing or wrong"}')
            return
        body = await read_body(receive, MAX_BODY)
        try:
            ev = msgspec.json.decode(body or b"", type=HookEvent)
        except msgspec.DecodeError as e:
            await _answer(send, 400, msgspec.json.encode({"error": f"not a hook event: {e}"}))
            return
        logger.info("hook %s from %s: session %s", ev.event, ev.client, ev.session_id)
        context = None
        if ev.event == "SessionStart":
            try:
                context = await self._engine.call(_start, ev)
            except Exception as e:  # noqa: BLE001 -- the session starts without context, and the log says why
                log(ev.event, f"serve: {e.__class__.__name__}: {e}")
        await _answer(send, 200, msgspec.json.encode(ServeAnswer(context)))
        self._nursery.start_soon(self._rest, ev)

    async def _rest(self, ev: HookEvent) -> None:
        try:
            if ev.event in hooks.SETTLE_AFTER:
                await self._engine.run(hooks.settle, hooks.logs_of(None, ev))
            await self._engine.call(_finish, ev)
        except Exception as e:  # noqa: BLE001 -- one event's failure must not stop serve
            logger.warning("hook %s: %s", ev.event, e)
            log(ev.event, f"serve: {e.__class__.__name__}: {e}")


def _start(conn: apsw.Connection, config: Config, ev: HookEvent) -> str | None:
    """A new session: its log read (if there is one yet and it is short; else after the answer),
    and its project's memories within the budget."""
    paths = hooks.logs_of(conn, ev)
    if hooks.unread_bytes(conn, paths) <= INLINE_BYTES:
        hooks.ingest(conn, config, ev, paths)
    return hooks.session_context(conn, ev.cwd, config.hooks.session_start_tokens)


def _finish(conn: apsw.Connection, config: Config, ev: HookEvent) -> None:
    hooks.ingest(conn, config, ev, hooks.logs_of(conn, ev))
    if hooks.wants_memorize(config, ev):
        hooks.memorize_session(conn, config, ev)



async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
