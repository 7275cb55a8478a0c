"""An ASGI wrapper that answers 401 to any HTTP request without ``Authorization: Bearer <token>``.

``llm-session serve --allow-remote`` puts it in front of everything it serves
over HTTP, so every route (MCP and whatever joins it) is closed to callers
without the per-install token (``serve_token.py``). Refused requests never
reach the app, so they do not even make it load.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ...runtime import serve_token

Scope = Mapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REFUSAL = json.dumps({"error": "unauthorized: send 'Authorization: Bearer <token>' with the token printed "
                               "by `llm-session serve --print-token` on the serving machine"}).encode()


class RequireToken:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not self._authorized(scope):
            await send({"type": "websocket.close", "code": 1008})  # before accepting: the client sees 403
            return
        if scope["type"] == "http" and not self._authorized(scope):
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"), (b"www-authenticate", b'Bearer realm="llm-session"'),
                (b"content-length", str(len(REFUSAL)).encode())]})
            await send({"type": "http.response.body", "body": REFUSAL})
            return
        await self._app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                scheme, _, credentials = value.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and serve_token.matches(self._token, credentials.strip())
        return False
