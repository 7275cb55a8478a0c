"""The dashboard's routes: two pages, their script and style, a JSON API and an event stream.

Pages: ``/`` (the session grid, charts and filters) and ``/sessions/{id}``
(one session's conversation). Both are the same HTML shell; the script
(``static/app.js``) reads the path and fills it from the API:

* ``GET /api/view?project=&provider=&since=&until=`` what the dashboard page shows:
  ``{"sessions": [the grid], "overview": {the charts' figures}}`` (``services.dashboard.View``)
* ``GET /api/sessions?...`` and ``/api/overview?...``: either half, for scripts
* ``GET /api/facets`` the filters' choices
* ``GET /api/sessions/{id}`` one session's page (``SessionPage``)
* ``GET /api/events`` server-sent events: ``change`` with the data version each
  time the data may have changed, so open pages fetch again with their filters

Everything is GET and changes nothing. Every answer carries a Content-Security-
Policy allowing only this origin, so the page can load nothing from elsewhere.
Who may ask is the mounting server's business (``routes.WebRoutes`` for
``serve``; the team server's sign-in), not this app's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import anyio
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ...core.errors import LlmSessionError
from ...runtime.json_answers import answering, json_answer
from ...services.dashboard import DashboardSource, Query

POLL_S = 1.0  # how often the event stream asks whether the data changed (one integer read)
KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing a quiet stream
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
_API_HEADERS = {"cache-control": "no-store", **SECURITY_HEADERS}


def build(source: DashboardSource) -> Starlette:
    """The dashboard's ASGI app over ``source``."""
    changes = Changes(source)

    async def page(request: Request) -> Response:
        shell = _read("index.html").replace(b"%ROOT%", request.scope.get("root_path", "").encode())
        return Response(shell, media_type="text/html; charset=utf-8",
                        headers={"cache-control": "no-cache", **SECURITY_HEADERS})

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return _json({"error": f"no such file: {name}"}, 404)
        return _asset(name, STATIC[name])

    async def view(request: Request) -> Response:
        return _json(await source.view(query_of(request)))

    async def grid(request: Request) -> Response:
        return _json((await source.view(query_of(request))).sessions)

    async def overview(request: Request) -> Response:
        return _json((await source.view(query_of(request))).overview)

    async def facets(request: Request) -> Response:
        return _json(await source.facets())

    async def session(request: Request) -> Response:
        return _json(await source.session_page(request.path_params["ref"]))

    async def events(request: Request) -> Response:
        return StreamingResponse(changes.stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no", **SECURITY_HEADERS})

    return Starlette(routes=[
        Route("/", page, methods=["GET"]),
        Route("/sessions/{ref}", page, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/api/view", answering(view, _API_HEADERS), methods=["GET"]),
        Route("/api/sessions", answering(grid, _API_HEADERS), methods=["GET"]),
        Route("/api/overview", answering(overview, _API_HEADERS), methods=["GET"]),
        Route("/api/facets", answering(facets, _API_HEADERS), methods=["GET"]),
        Route("/api/sessions/{ref}", answering(session, _API_HEADERS), methods=["GET"]),
        Route("/api/events", events, methods=["GET"]),
    ])


def query_of(request: Request) -> Query:
    """The filters in a request's query string; empty fields are no filter."""
    q = request.query_params
    return Query(**{name: q[name] for name in Query.__struct_fields__ if q.get(name)})


class Changes:
    """One poll of ``source.version()`` per ``POLL_S`` for all open streams, however many."""

    def __init__(self, source: DashboardSource) -> None:
        self._source = source
        self._version: int | None = None
        self._polling = anyio.Lock()

    async def after(self, seen: int | None) -> int:
        """The data version, once it differs from ``seen`` (at once if it already does)."""
        while True:
            if self._version is not None and self._version != seen:
                return self._version
            async with self._polling:  # one stream polls; the others find its answer when they get the lock
                if self._version is None:
                    self._version = await self._source.version()
                elif self._version == seen:
                    await anyio.sleep(POLL_S)
                    self._version = await self._source.version()

    async def stream(self) -> AsyncIterator[str]:
        """Server-sent events: ``change`` with the version, first the current one, then each new one."""
        seen: int | None = None
        yield "retry: 2000\n\n"
        while True:
            with anyio.move_on_after(KEEPALIVE_S):
                try:
                    seen = await self.after(seen)
                except LlmSessionError as e:  # the store is busy or damaged now: say so, and try again
                    yield f"event: trouble\ndata: {msgspec.json.encode(str(e)).decode()}\n\n"
                    await anyio.sleep(POLL_S)
                    continue
                yield f"event: change\ndata: {seen}\n\n"
                continue
            yield ": keepalive\n\n"


def _json(value: Any, status: int = 200) -> Response:
    return json_answer(value, status, _API_HEADERS)


def _asset(name: str, media_type: str) -> Response:
    """A file of ``static/``, checked again on each load (it is local, and changes with an upgrade)."""
    return Response(_read(name), media_type=media_type, headers={"cache-control": "no-cache", **SECURITY_HEADERS})


def _read(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()
