"""The web dashboard on the team server: the pages under ``/dashboard``, behind sign-in.

``routes(pages, in_thread)`` gives ``app.build`` three routes: ``/`` (to the
dashboard), the sign-in page (``signin_page``) and ``Mount("/dashboard")``,
which holds

* the pages themselves (``pages(source)``: the CLI passes
  ``frontends.web.app.build``, which ``team`` may not import) over a
  ``TeamSource``;
* what only a team's pages do, each a change that needs the sign-in's CSRF
  token: ``GET /api/me`` (who is signed in, the CSRF token, the heartbeat
  interval), ``POST /api/sessions/{ref}/notes`` (an annotation: a write, so the
  owner's, an admin's or a write grant's) and ``POST /api/sessions/{ref}/presence``
  (the page's heartbeat; arriving is audited as ``session.view``), ``POST /api/sessions/{ref}/share``
  (``{"user": NAME, "access": "read"|"write"}``: a grant, the owner's or an admin's), ``GET /api/leaderboard``
  and ``POST /api/leaderboard`` (``{"leaderboard": true}``: the caller joins or leaves it).

``Gate`` stands in front of all of it: a sign-in cookie (or a device token)
names the caller; without one a page redirects to the sign-in page and the
API answers 401.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ..core.errors import BadArgument, TeamUnreachable
from ..runtime.json_answers import answering, json_answer
from ..services.dashboard import DashboardSource, Viewer
from . import access, audit, grants, leaderboard, shared_sessions, signin_page, web_session
from .access import Refused, Unauthenticated
from .dashboard_source import CALLER, TeamSource
from .presence import Presence

PREFIX = "/dashboard"
_NO_STORE = {"cache-control": "no-store"}  # answers about people and their sessions are never cached
Pages = Callable[[DashboardSource], Any]  # an ASGI app


class _Note(msgspec.Struct, forbid_unknown_fields=True):
    text: str


class Me(msgspec.Struct):
    user: str
    role: str
    csrf_token: str | None
    heartbeat_s: float
    signin: str = signin_page.PATH
    logout: str = "/auth/logout"


class _Sharing(msgspec.Struct, forbid_unknown_fields=True):
    user: str
    access: grants.Access = "read"


class _Joining(msgspec.Struct, forbid_unknown_fields=True):
    leaderboard: bool


class Here(msgspec.Struct):
    viewers: list[Viewer]  # everyone on the page, the caller included


def routes(pages: Pages, in_thread: web_session.InThread, presence: Presence | None = None) -> list[BaseRoute]:
    """The dashboard's routes for ``app.build``."""
    presence = presence or Presence()
    source = TeamSource(in_thread, presence)

    async def me(request: Request) -> Response:
        who = CALLER.get()
        secret = None if request.headers.get("authorization") else web_session.cookie_secret(request)
        return _json(Me(who.user, who.role, web_session.csrf_token(secret) if secret else None, presence.heartbeat_s))

    async def note(request: Request) -> Response:
        who = CALLER.get()
        try:
            text = msgspec.json.decode(await request.body(), type=_Note).text
        except (msgspec.ValidationError, msgspec.DecodeError) as e:
            raise BadArgument("text", f"must be sent as JSON {{\"text\": \"...\"}}: {e}") from e
        ref = request.path_params["ref"]
        return _json(await in_thread(lambda conn: shared_sessions.add_note(conn, who, ref, text)), 201)

    async def heartbeat(request: Request) -> Response:
        who = CALLER.get()
        ref = request.path_params["ref"]

        def beat(conn: Any) -> Here:
            found = shared_sessions.locate(conn, who, ref)
            key = (found.owner, found.id)
            if presence.beat(key, who.user):
                owner = conn.execute("SELECT id FROM users WHERE name = %s", (found.owner,)).fetchone()
                resource = access.Resource("session", int(owner[0]), found.id, found.project)
                with conn.transaction():
                    audit.record(conn, who, "session.view", resource, {"from": "dashboard"})
            return Here(presence.viewers(key))

        return _json(await in_thread(beat))

    async def share(request: Request) -> Response:
        who = CALLER.get()
        try:
            asked = msgspec.json.decode(await request.body(), type=_Sharing)
        except (msgspec.ValidationError, msgspec.DecodeError) as e:
            raise BadArgument("share", f"must be sent as JSON {{\"user\": NAME, \"access\": \"read\"}}: {e}") from e
        ref = request.path_params["ref"]

        def grant(conn: Any) -> grants.Grant:
            found = shared_sessions.locate(conn, who, ref)
            return grants.create(conn, who, grants.GrantRequest(asked.user, session=found.id, access=asked.access,
                                                                owner=found.owner))

        return _json(await in_thread(grant), 201)

    async def standings(request: Request) -> Response:
        who = CALLER.get()
        return _json(await in_thread(lambda conn: leaderboard.board(conn, who)))

    async def joining(request: Request) -> Response:
        who = CALLER.get()
        try:
            on = msgspec.json.decode(await request.body(), type=_Joining).leaderboard
        except (msgspec.ValidationError, msgspec.DecodeError) as e:
            raise BadArgument("leaderboard", f"must be sent as JSON {{\"leaderboard\": true}}: {e}") from e
        await in_thread(lambda conn: leaderboard.join(conn, who, on))
        return _json(await in_thread(lambda conn: leaderboard.board(conn, who)))

    team_side = Starlette(routes=[
        Route("/api/leaderboard", answering(standings, _NO_STORE), methods=["GET"]),
        Route("/api/leaderboard", answering(joining, _NO_STORE), methods=["POST"]),
        Route("/api/me", answering(me, _NO_STORE), methods=["GET"]),
        Route("/api/sessions/{ref}/notes", answering(note, _NO_STORE), methods=["POST"]),
        Route("/api/sessions/{ref}/presence", answering(heartbeat, _NO_STORE), methods=["POST"]),
        Route("/api/sessions/{ref}/share", answering(share, _NO_STORE), methods=["POST"]),
        Mount("/", app=pages(source)),
    ])

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", 303)

    return [Route("/", home, methods=["GET"]), Route(signin_page.PATH, signin_page.page, methods=["GET"]),
            Mount(PREFIX, app=Gate(team_side, in_thread))]


class Gate:
    """Lets a request through to the dashboard only with a caller, whom it puts in ``CALLER``."""

    def __init__(self, app: Any, in_thread: web_session.InThread) -> None:
        self._app, self._in_thread = app, in_thread

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        try:
            who = await web_session.authenticate(request, self._in_thread)
        except Unauthenticated as e:
            back = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
            answer = _json({"error": str(e)}, 401) if path.startswith("/api/") else signin_page.to_signin(back)
            await answer(scope, receive, send)
            return
        except (Refused, TeamUnreachable) as e:
            await _json({"error": str(e)}, e.status)(scope, receive, send)
            return
        token = CALLER.set(who)
        try:
            await self._app(scope, receive, send)
        finally:
            CALLER.reset(token)


def _json(value: object, status: int = 200) -> Response:
    return json_answer(value, status, _NO_STORE)
