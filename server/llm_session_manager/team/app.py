"""The team server's routes: ``POST /api/push``, ``GET /api/usage`` and ``GET /healthz``.

Every ``/api`` route asks for a device's bearer token. Database work is sync
psycopg on a ``psycopg_pool.ConnectionPool``, run in worker threads
(``anyio.to_thread``, which is trio's thread pool under Hypercorn's trio
worker): psycopg's async API runs on asyncio only, and a push or a report is a
few statements, so a thread each costs nothing that matters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.errors import LlmSessionError, TeamError, TeamUnreachable
from ..core.team_wire import PUSH_PATH, USAGE_PATH, PushBatch, PushResult
from ..runtime.json_answers import json_answer
from . import (
    access,
    access_routes,
    alerts,
    auth,
    chat_routes,
    critical_alerts,
    dashboard_routes,
    metrics,
    otlp_routes,
    push,
    report,
    share_routes,
    web_session,
)

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

    from ..core.config_alerts import TeamAlertsConfig
    from ..core.config_chat import ChatConfig

MAX_BODY = 32 * 1024 * 1024  # a push batch is a few hundred rows: far below this
T = TypeVar("T")


def build(pool: ConnectionPool, chat: ChatConfig | None = None,
          dashboard: dashboard_routes.Pages | None = None, alerting: TeamAlertsConfig | None = None) -> Starlette:
    """The ASGI app over ``pool`` (opened and closed by the caller); with ``chat``, the chat bots' routes;
    with ``dashboard`` (``frontends.web.app.build``), the web dashboard behind sign-in (docs/web.md);
    with ``alerting``, budget and critical-session alerts after each push (``alerts``, ``critical_alerts``)."""

    async def in_thread(work: Callable[[psycopg.Connection], T]) -> T:
        def run() -> T:
            import psycopg
            from psycopg_pool import PoolTimeout

            try:
                with pool.connection() as conn:
                    return work(conn)
            except (psycopg.OperationalError, PoolTimeout) as e:
                raise TeamUnreachable(f"the team database is unavailable: {e}") from e

        return await anyio.to_thread.run_sync(run)

    async def authorized(request: Request) -> auth.Caller:
        return await web_session.authenticate(request, in_thread)

    async def push_route(request: Request) -> Response:
        who = await authorized(request)
        body = await _body(request)
        try:
            batch = msgspec.json.decode(body, type=PushBatch)
        except msgspec.ValidationError as e:
            raise _Refused(400, f"not a push batch: {e}") from e
        except msgspec.DecodeError as e:
            raise _Refused(400, f"not JSON: {e}") from e
        def store(conn: psycopg.Connection) -> PushResult:
            access.require(conn, who, "push", access.Resource("device", who.user_id, who.device or ""))
            return push.store(conn, who, batch)

        result = await in_thread(store)
        if alerting is not None and alerting.sends:
            await _alert(in_thread, who.user_id, alerting, [s.id for s in batch.sessions])
        return json_answer(result)

    async def usage_route(request: Request) -> Response:
        who = await authorized(request)
        q = request.query_params
        shown = await in_thread(lambda conn: report.report(
            conn, who, q.get("by", "day"), since=q.get("since"), until=q.get("until"), timezone=q.get("timezone")))
        return json_answer(shown)

    async def metrics_route(request: Request) -> Response:  # docs/team.md#metrics: the team's, so admins only
        who = await authorized(request)
        if who.role != "admin":
            raise _Refused(403, "only an admin may read the team's metrics")
        found = await in_thread(metrics.families)
        body, content_type = metrics.exposition(found, request.headers.get("accept", ""))
        return Response(body, media_type=content_type)

    async def health(request: Request) -> Response:
        return json_answer({"ok": True})

    bots = [] if chat is None else chat_routes.routes(chat, in_thread)  # docs/chat.md
    web = [] if dashboard is None else dashboard_routes.routes(dashboard, in_thread)  # docs/web.md
    return Starlette(
        routes=[Route(PUSH_PATH, _answering(push_route), methods=["POST"]),
                Route(USAGE_PATH, _answering(usage_route), methods=["GET"]),
                Route("/healthz", health, methods=["GET"]),
                Route("/metrics", _answering(metrics_route), methods=["GET"]),
                *(Route(path, _answering(route), methods=methods)
                  for path, route, methods in access_routes.routes(in_thread, authorized)),
                *share_routes.routes(in_thread, authorized, _answering, _body), *bots,
                *otlp_routes.routes(in_thread, authorized, _answering, _body), *web],  # docs/team.md#otlp
    )


async def _alert(in_thread: web_session.InThread, user_id: int,
                 alerting: TeamAlertsConfig, session_ids: list[str]) -> None:
    """The alerts this push made due, sent now (the push's answer waits: at most a time-out per channel)."""
    def due(conn: psycopg.Connection) -> list[alerts.Told]:
        return [*alerts.due(conn, user_id, alerting), *critical_alerts.due(conn, user_id, session_ids, alerting)]

    for alert in await in_thread(due):
        if not await anyio.to_thread.run_sync(alerts.send, alert, alerting):
            await in_thread(functools.partial(alerts.forget, alert=alert))


async def _body(request: Request) -> bytes:
    """The request's body, refused as soon as it passes ``MAX_BODY`` rather than read whole first."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise _Refused(413, f"a push batch may be at most {MAX_BODY} bytes")
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_BODY:
            raise _Refused(413, f"a push batch may be at most {MAX_BODY} bytes")
        parts.append(part)
    return b"".join(parts)


class _Refused(TeamError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _answering(route: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """``route`` with our errors as JSON ``{"error": "..."}`` and a status that says whose fault it is."""

    async def answer(request: Request) -> Response:
        try:
            answered: Response = await route(request)
            await _drain(request)  # a route that needs no body (take) leaves it unread
            return answered
        except LlmSessionError as e:
            await _drain(request)
            return json_answer({"error": str(e)}, e.status)

    return answer


async def _drain(request: Request) -> None:
    """The rest of a request's body read and dropped. Answered before its body was read (a bad token,
    a route that wants none), a request would otherwise end its keep-alive connection: Hypercorn closes a connection whose
    request was not read to its end, without saying so, and the client's next request on it fails
    (a broken pipe). A body past ``MAX_BODY`` is not worth it: that connection may close."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return
    try:
        async for _ in request.stream():
            pass
    except RuntimeError:  # read already (starlette: "Stream consumed")
        return
