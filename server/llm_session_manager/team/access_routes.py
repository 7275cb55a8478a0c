"""The routes of sign-in, sessions, grants and the audit log (docs/team.md).

``routes`` gives them to ``app.build``, which wraps each like its own (errors as
one JSON line). Every one but ``/auth/login`` asks ``authorized`` (a bearer
token, or a sign-in cookie with its CSRF token for a change), then does its
work through ``access``, ``grants``, ``shared_sessions`` and ``audit``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..runtime.json_answers import json_answer
from . import audit, grants, shared_sessions, signin_page, web_session
from .access import Refused
from .auth import Caller

Handler = Callable[[Request], Awaitable[Response]]
Authorized = Callable[[Request], Awaitable[Caller]]
MAX_AUDIT_PAGE = 1000


class _Note(msgspec.Struct, forbid_unknown_fields=True):
    text: str


def routes(in_thread: web_session.InThread, authorized: Authorized) -> list[tuple[str, Handler, list[str]]]:
    """(path, handler, methods) of each route here."""

    async def login(request: Request) -> Response:
        web_session.check_origin(request)  # login CSRF: another site's form is refused before anything is read
        form = await web_session.credentials(request)
        address = request.client.host if request.client else "unknown"
        back = signin_page.next_path(form.get("next"))  # the sign-in page's form: redirects, not JSON
        try:
            who, secret, expires = await web_session.login(
                in_thread, user=form.get("user"), password=form.get("password"), token=form.get("token"),
                address=address)
        except Refused as e:
            if back is None:
                raise
            return signin_page.to_signin(back, str(e))
        response = json_answer(web_session.signed_in(who, secret, expires)) if back is None else RedirectResponse(back, 303)
        web_session.set_cookie(response, request, secret)
        return response

    async def logout(request: Request) -> Response:
        await authorized(request)
        secret = web_session.cookie_secret(request)
        ended = bool(secret) and await in_thread(lambda conn: web_session.logout(conn, secret or ""))
        response = json_answer({"signed_out": ended})
        web_session.clear_cookie(response, request)
        return response

    async def whoami(request: Request) -> Response:
        who = await authorized(request)
        secret = None if request.headers.get("authorization") else web_session.cookie_secret(request)
        return json_answer(web_session.signed_in(who, secret, None))

    async def list_sessions(request: Request) -> Response:
        who = await authorized(request)
        q = request.query_params
        return json_answer(await in_thread(lambda conn: shared_sessions.listing(
            conn, who, owner=q.get("owner"), project=q.get("project"))))

    async def one_session(request: Request) -> Response:
        who = await authorized(request)
        sid = request.path_params["id"]
        return json_answer(await in_thread(lambda conn: shared_sessions.detail(
            conn, who, sid, request.query_params.get("owner"))))

    async def add_note(request: Request) -> Response:
        who = await authorized(request)
        note = _decode(await request.body(), _Note)
        sid = request.path_params["id"]
        return json_answer(await in_thread(lambda conn: shared_sessions.add_note(
            conn, who, sid, note.text, request.query_params.get("owner"))), 201)

    async def list_grants(request: Request) -> Response:
        who = await authorized(request)
        return json_answer(await in_thread(lambda conn: grants.listing(conn, who)))

    async def make_grant(request: Request) -> Response:
        who = await authorized(request)
        asked = _decode(await request.body(), grants.GrantRequest)
        return json_answer(await in_thread(lambda conn: grants.create(conn, who, asked)), 201)

    async def drop_grant(request: Request) -> Response:
        who = await authorized(request)
        grant_id = _whole(request.path_params["id"], "grant id")
        return json_answer(await in_thread(lambda conn: grants.revoke(conn, who, grant_id)))

    async def audit_log(request: Request) -> Response:
        who = await authorized(request)
        q = request.query_params
        limit = min(_whole(q.get("limit", "100"), "limit"), MAX_AUDIT_PAGE)
        before = _whole(q["before"], "before") if "before" in q else None
        return json_answer(await in_thread(lambda conn: audit.entries(conn, who, limit=limit, before=before)))

    return [
        ("/auth/login", login, ["POST"]),
        ("/auth/logout", logout, ["POST"]),
        ("/auth/session", whoami, ["GET"]),
        ("/api/sessions", list_sessions, ["GET"]),
        ("/api/sessions/{id}", one_session, ["GET"]),
        ("/api/sessions/{id}/notes", add_note, ["POST"]),
        ("/api/grants", list_grants, ["GET"]),
        ("/api/grants", make_grant, ["POST"]),
        ("/api/grants/{id}", drop_grant, ["DELETE"]),
        ("/api/audit", audit_log, ["GET"]),
    ]


class _BadRequest(Refused):
    status = 400


def _decode(body: bytes, kind: type[Any]) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        raise _BadRequest(f"not a {kind.__name__.lstrip('_').lower()} as JSON: {e}") from e


def _whole(value: str, name: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise _BadRequest(f"{name} must be a positive whole number, got {value!r}")
    return n
