"""``/v1/logs``, ``/v1/metrics`` and ``/v1/traces`` on serve's HTTP port: an OTLP/HTTP receiver (docs/otel.md).

An assistant pointed at ``serve`` with ``OTEL_EXPORTER_OTLP_ENDPOINT`` posts its
exports here. What the OTLP/HTTP spec asks of a receiver, and what it gets:

* ``POST`` only (else 405); ``Content-Type`` ``application/x-protobuf`` or
  ``application/json`` (else 415), answered in the same encoding;
* a ``gzip`` ``Content-Encoding`` is inflated (any other is 415); a body over
  ``MAX_BODY`` bytes, before or after inflating, is 413;
* a body that is not an export is 400 with a ``google.rpc.Status`` saying why;
  a well-formed export is 200 with its ``Export*ServiceResponse``, whose
  ``partial_success`` counts the usage records that could not be used;
* a store that cannot take the write now is 503 with ``Retry-After``, which
  exporters retry.

The doors are those of MCP over HTTP: on loopback, only requests whose ``Host``
(and ``Origin``, if sent) is a local name, so a web page cannot reach it
through DNS rebinding; beyond loopback ``bearer_auth.RequireToken`` stands in
front of every route. Decoding runs in a worker thread and the protobuf modules
load on the first export, so an idle ``serve`` does not carry them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import trio

from ...core.errors import BadInput, LlmSessionError
from ...ingest.otlp import MAX_BODY
from .bearer_auth import ASGIApp, Receive, Scope, Send
from .local_headers import local as _local

if TYPE_CHECKING:
    from ...runtime.engine import Engine

logger = logging.getLogger(__name__)

PATHS = {"/v1/logs": "logs", "/v1/metrics": "metrics", "/v1/traces": "traces"}
PROTOBUF, JSON = "application/x-protobuf", "application/json"
RETRY_AFTER_S = 5


class OtlpRoutes:
    """Answers OTLP on its three paths; every other request goes on to ``app``."""

    def __init__(self, app: ASGIApp, engine: Engine, local_only: bool) -> None:
        self._app = app
        self._engine = engine
        self._local_only = local_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self._app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        as_json = content_type != PROTOBUF
        if self._local_only and not _local(headers):
            await _reply(send, 403, _status("only local clients may post here", as_json), as_json)
        elif scope.get("method") != "POST":
            await _reply(send, 405, _status("OTLP/HTTP takes POST", as_json), as_json, [(b"allow", b"POST")])
        elif content_type not in (PROTOBUF, JSON):
            await _reply(send, 415, _status(f"Content-Type must be {PROTOBUF} or {JSON}", as_json), as_json)
        elif headers.get("content-encoding", "identity").strip().lower() not in ("identity", "gzip", ""):
            await _reply(send, 415, _status("Content-Encoding must be gzip or none", as_json), as_json)
        else:
            await self._export(kind, headers, receive, send, as_json)

    async def _export(self, kind: str, headers: dict[str, str], receive: Receive, send: Send, as_json: bool) -> None:
        from ...ingest import otlp

        body = await _body(receive)
        if body is None:
            await _reply(send, 413, _status(f"the body is over {MAX_BODY} bytes", as_json), as_json)
            return
        try:
            if headers.get("content-encoding", "").strip().lower() == "gzip":
                body = otlp.gunzip(body)
            request = await trio.to_thread.run_sync(otlp.decode, kind, body, as_json)
        except otlp.BodyTooLarge:
            await _reply(send, 413, _status(f"the body inflates to over {MAX_BODY} bytes", as_json), as_json)
            return
        except BadInput as e:
            logger.debug("refused an OTLP %s export: %s", kind, e)
            await _reply(send, 400, _status(str(e), as_json), as_json)
            return
        receive_export = {"logs": otlp.receive_logs, "traces": otlp.receive_traces}.get(kind, otlp.receive_metrics)
        try:
            receipt = await self._engine.call(_stored, receive_export, request)
        except LlmSessionError as e:
            logger.warning("could not store an OTLP %s export: %s", kind, e)
            await _reply(send, 503, _status(str(e), as_json), as_json,
                         [(b"retry-after", str(RETRY_AFTER_S).encode())])
            return
        if receipt.rejected:
            logger.info("OTLP %s: %d records not usable: %s", kind, receipt.rejected, receipt.message)
        await _reply(send, 200, await trio.to_thread.run_sync(otlp.answer, kind, receipt, as_json), as_json)



def _stored(conn: Any, config: Any, receive_export: Any, request: Any) -> Any:
    return receive_export(conn, request)


async def _body(receive: Receive) -> bytes | None:
    """The request body, or None past ``MAX_BODY`` bytes (the rest is not read)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)



def _status(message: str, as_json: bool) -> bytes:
    from ...ingest import otlp

    return otlp.status(message, as_json)


async def _reply(send: Send, code: int, body: bytes, as_json: bool,
                 extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", (JSON if as_json else PROTOBUF).encode()),
               (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
