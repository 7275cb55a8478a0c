"""``POST /v1/logs``, ``/v1/metrics`` and ``/v1/traces`` on the team server: OTLP/HTTP from assistants (docs/team.md#otlp).

An assistant configured to report to the team server (``OTEL_EXPORTER_OTLP_ENDPOINT``
its URL, ``OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer lsmt_..."`` a device
token) posts its exports here. The bodies are decoded by ``ingest/otlp.py``, as
``serve``'s receiver decodes them, and answered as the OTLP/HTTP spec asks:
protobuf or JSON (else 415), plain or gzip (else 415), the export's response in
the request's encoding, 400 with a ``google.rpc.Status`` for a body that is not
an export, 413 past ``MAX_BODY``. Who may post is who may push: a member's or
admin's device token. The billed responses of a logs export (Copilot CLI's:
of a trace export) become that device's usage (``team/otlp.py``); metrics exports (Claude Code's own
per-session tallies) are accepted and not kept: the events carry the same
tokens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.errors import BadInput
from ..ingest import otlp as decoding
from . import access, otlp
from .auth import Caller

PATHS = {"/v1/logs": "logs", "/v1/metrics": "metrics", "/v1/traces": "traces"}
PROTOBUF, JSON = "application/x-protobuf", "application/json"
InThread = Callable[[Callable[[Any], Any]], Awaitable[Any]]


def routes(in_thread: InThread, authorized: Callable[[Request], Awaitable[Caller]],
           answering: Callable[[Callable[[Request], Any]], Callable[[Request], Any]],
           body: Callable[[Request], Awaitable[bytes]]) -> list[Route]:
    async def export(request: Request) -> Response:
        who = await authorized(request)
        raw = await body(request)  # read before any refusal, so the connection can carry the next request
        await in_thread(lambda conn: access.require(  # who may push may report: a member's or admin's device
            conn, who, "push", access.Resource("device", who.user_id, who.device or "")))
        kind = PATHS[request.url.path]
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        as_json = content_type != PROTOBUF
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if content_type not in (PROTOBUF, JSON):
            return _status(415, f"Content-Type must be {PROTOBUF} or {JSON}", as_json)
        if encoding not in ("", "identity", "gzip"):
            return _status(415, "Content-Encoding must be gzip or none", as_json)
        try:
            if encoding == "gzip":
                raw = decoding.gunzip(raw)
            message = await anyio.to_thread.run_sync(decoding.decode, kind, raw, as_json)
        except decoding.BodyTooLarge:
            return _status(413, f"the body inflates to over {decoding.MAX_BODY} bytes", as_json)
        except BadInput as e:
            return _status(400, str(e), as_json)
        receipt = None
        if kind != "metrics":
            heard, rejected = decoding.heard_of(kind, message)
            counted = await in_thread(lambda conn: otlp.store(conn, who, heard)) if heard else 0
            receipt = decoding.Receipt(counted, len(rejected), decoding.rejection(rejected))
        answer = await anyio.to_thread.run_sync(decoding.answer, kind, receipt, as_json)
        return Response(answer, media_type=JSON if as_json else PROTOBUF)

    return [Route(path, answering(export), methods=["POST"]) for path in PATHS]




def _status(code: int, message: str, as_json: bool) -> Response:
    return Response(decoding.status(message, as_json), code, media_type=JSON if as_json else PROTOBUF)
