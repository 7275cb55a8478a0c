"""The language server's TCP door in ``llm-session serve``: one editor per connection, token first.

A loopback port is not private: every local process can connect, and so can any
web page, through the user's browser (a no-cors ``text/plain`` POST). So a
connection gets a server only after its first message, which must arrive
within ``login_timeout`` seconds, is an ``initialize`` request carrying the
per-install token (``serve_token.py``) as ``initializationOptions.token``.
Anything else -- an HTTP request, a wrong or missing token, silence -- ends the
connection before any handler runs; a client that asked with a request id is
told why in a JSON-RPC error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import trio

from ...runtime import serve_token
from .server import SessionServer
from .transport import FramingError, MessageReader, frame, serve_connection

logger = logging.getLogger(__name__)

REFUSED = -32600  # InvalidRequest: the port answers nothing before a valid token
TOKEN_HELP = ("this port needs the token printed by `llm-session serve --print-token`, "
              "sent as initializationOptions.token in initialize (docs/lsp.md)")


class Refused(Exception):
    """The first message is not an ``initialize`` with the right token."""

    def __init__(self, reason: str, request_id: object = None) -> None:
        super().__init__(reason)
        self.request_id = request_id


async def serve_editor(stream: trio.SocketStream, create_server: Callable[[Path | None], SessionServer],
                       config_path: Path | None, *, token: str, login_timeout: float) -> None:
    """Check the first message, then serve the editor until it leaves."""
    reader = MessageReader(stream)
    try:
        first = await _login(reader, token, login_timeout)
    except Refused as e:
        logger.info("refused an LSP connection: %s", e)  # the client is told; a flood must not flood the log
        if e.request_id is not None:
            await _answer_refusal(stream, e.request_id)
        await trio.aclose_forcefully(stream)
        return
    server = create_server(config_path)  # one per connection: its own documents and state
    await serve_connection(server.protocol, stream, stream, reader=reader, first=first)


async def _login(reader: MessageReader, token: str, timeout: float) -> bytes:
    """The first message, if it is an ``initialize`` that carries the token."""
    with trio.move_on_after(timeout):
        try:
            body = await reader.receive()
        except FramingError as e:
            raise Refused(f"not LSP: {e}") from e
        except (trio.BrokenResourceError, trio.ClosedResourceError) as e:
            raise Refused("the client left") from e
        if body is None:
            raise Refused("the client left before its first message")
        return _check(body, token)
    raise Refused(f"no initialize with a token within {timeout:g} s")


def _check(body: bytes, token: str) -> bytes:
    try:
        message = json.loads(body)
    except ValueError as e:
        raise Refused("the first message is not JSON") from e
    if not isinstance(message, dict):
        raise Refused("the first message is not a JSON-RPC message")
    request_id = message.get("id")
    if message.get("method") != "initialize":
        raise Refused(f"the first message is {str(message.get('method'))[:50]!r}, not initialize", request_id)
    params = message.get("params")
    options = params.get("initializationOptions") if isinstance(params, dict) else None
    presented = options.get("token") if isinstance(options, dict) else None
    if presented is None:
        raise Refused("initialize without a token", request_id)
    if not serve_token.matches(token, presented):
        raise Refused("initialize with a wrong token", request_id)
    return body


async def _answer_refusal(stream: trio.SocketStream, request_id: object) -> None:
    error = {"code": REFUSED, "message": f"llm-session: {TOKEN_HELP}"}
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()
    with trio.move_on_after(1):
        try:
            await stream.send_all(frame(body))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
