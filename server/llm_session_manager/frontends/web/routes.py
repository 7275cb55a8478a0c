"""The dashboard on ``serve``'s HTTP port: its paths to the web app, with serve's local-only rule.

On loopback a request is answered only when its ``Host`` (and ``Origin``, if
sent) names this machine (``serve/local_headers.py``): a web page elsewhere
must not read the user's sessions through DNS rebinding. Beyond loopback
``bearer_auth.RequireToken`` stands in front, as for every other route: a
script with the token can read the API, and a browser cannot send it, so
the pages are for loopback; a dashboard for many people is the team server's.

The app (Starlette and the pages) is built on the first request: an idle
``serve`` does not carry it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..serve.bearer_auth import ASGIApp, Receive, Scope, Send
from ..serve.local_headers import local

if TYPE_CHECKING:
    from ...runtime.engine import Engine

PAGES = ("/", "/sessions/", "/static/")
API = ("/api/view", "/api/sessions", "/api/overview", "/api/facets", "/api/events")
REFUSAL = b"only pages on this machine may read the dashboard\n"


def is_dashboard(path: str) -> bool:
    return path == "/" or path.startswith(PAGES[1:]) or path.startswith(API)


class WebRoutes:
    """Answers the dashboard's paths; every other request goes on to ``app``."""

    def __init__(self, app: ASGIApp, engine: Engine, *, local_only: bool) -> None:
        self._app, self._engine, self._local_only = app, engine, local_only
        self._web: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_dashboard(scope.get("path", "")):
            await self._app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}
        if self._local_only and not local(headers):
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(REFUSAL)).encode())]})
            await send({"type": "http.response.body", "body": REFUSAL})
            return
        if self._web is None:
            from .app import build
            from .local_source import LocalSource

            self._web = build(LocalSource(self._engine))
        await self._web(scope, receive, send)
