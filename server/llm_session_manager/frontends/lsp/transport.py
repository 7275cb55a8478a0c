"""LSP's base protocol (Content-Length framing) over trio streams.

One connection is three pieces of structured concurrency:

* the **reader** parses frames from the receive stream and hands each JSON body
  to the pygls protocol object, which dispatches it (``protocol.py`` runs the
  handlers as tasks in the same nursery);
* the **writer** owns the send stream: everything the server says (responses,
  notifications, requests) is queued on an unbounded memory channel by a
  synchronous ``write`` -- what pygls' writer interface expects -- and written
  in order by one task, so two messages never interleave;
* the **work** nursery holds the reader, the handlers and the features'
  background tasks. ``exit``, end of input or a dead output end cancel it; the
  writer then drains what is queued, closes the output and the connection is over.

Nothing here knows about LSP methods; it moves bytes for one protocol object.
The TCP door (``lsp/tcp.py``) calls ``serve_connection`` once per accepted
stream, each with a fresh server, after the client has shown its token.

Input that is not LSP framing ends the connection at once: a header other than
``Content-Length``/``Content-Type`` (an HTTP request line, a browser's headers),
a missing or absurd ``Content-Length``, a body over ``MAX_MESSAGE_BYTES``. A
message is never buffered beyond that limit, whatever its header claims.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
from typing import TYPE_CHECKING

import trio
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcParseError

if TYPE_CHECKING:
    from .protocol import TrioLanguageServerProtocol

logger = logging.getLogger(__name__)

RECEIVE_SIZE = 65536
MAX_RECEIVE_SIZE = 1 << 20  # a large body is read in pieces of at most this, not one huge buffer
MAX_HEADER_BYTES = 8192  # a header block longer than this is not LSP
MAX_MESSAGE_BYTES = 32 << 20  # an editor's biggest message is a whole file in didOpen
LSP_HEADERS = (b"content-length", b"content-type")  # the only two the base protocol defines
DRAIN_TIMEOUT_S = 5.0  # how long the last messages may take to leave after exit


class FramingError(Exception):
    """The input is not a sequence of Content-Length framed messages."""


class MessageReader:
    """Frames off a byte stream: ``Content-Length: n`` headers, a blank line, n bytes."""

    def __init__(self, stream: trio.abc.ReceiveStream, max_message: int = MAX_MESSAGE_BYTES) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._max_message = max_message

    async def receive(self) -> bytes | None:
        """The next message body, or None at a clean end of input."""
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            if len(self._buf) > MAX_HEADER_BYTES:
                raise FramingError("no end of headers within 8 KiB")
            if not await self._fill(RECEIVE_SIZE):
                if self._buf.strip():
                    raise FramingError("input ended inside a message header")
                return None
        length = _content_length(bytes(self._buf[:end]))
        if length > self._max_message:
            raise FramingError(f"a message of {length:,} bytes is over the limit of {self._max_message:,}")
        start, stop = end + 4, end + 4 + length
        while len(self._buf) < stop:
            if not await self._fill(min(max(RECEIVE_SIZE, stop - len(self._buf)), MAX_RECEIVE_SIZE)):
                raise FramingError(f"input ended {stop - len(self._buf)} bytes short of a message")
        body = bytes(self._buf[start:stop])
        del self._buf[:stop]
        return body

    async def _fill(self, size: int) -> bool:
        chunk = await self._stream.receive_some(size)
        self._buf += chunk
        return bool(chunk)


def _content_length(header: bytes) -> int:
    """The length a header block announces; anything but LSP's two headers is not LSP."""
    length = None
    for line in header.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        name = name.strip().lower()
        if not sep or name not in LSP_HEADERS:
            raise FramingError(f"not an LSP header: {line[:100]!r}")
        if name == b"content-length":
            value = value.strip()
            if not value.isdigit() or len(value) > 12:
                raise FramingError(f"not a valid Content-Length: {value[:100]!r}")
            length = int(value)
    if length is None:
        raise FramingError(f"no Content-Length in header {header[:200]!r}")
    return length


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class ChannelWriter:
    """pygls' writer interface (a synchronous ``write``) in front of the writer task.

    Writes from another thread are handed to the trio thread first; memory
    channels are not thread-safe.
    """

    def __init__(self, channel: trio.MemorySendChannel[bytes]) -> None:
        self._channel = channel
        self._token = trio.lowlevel.current_trio_token()
        self._thread = threading.get_ident()

    def write(self, data: bytes) -> None:
        if threading.get_ident() != self._thread:
            self._token.run_sync_soon(self._put, data)
        else:
            self._put(data)

    def _put(self, data: bytes) -> None:
        try:
            self._channel.send_nowait(frame(data))
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            logger.debug("dropped a message: the connection is closing")

    def close(self) -> None:
        """The transport closes the stream; pygls' ``exit`` does not have to."""


async def serve_connection(
    protocol: TrioLanguageServerProtocol,
    receive_stream: trio.abc.ReceiveStream,
    send_stream: trio.abc.SendStream,
    *,
    reader: MessageReader | None = None,
    first: bytes | None = None,
) -> int:
    """Serve one client until ``exit`` or the end of its input; the exit code.

    ``reader`` and ``first`` continue a connection whose first message was
    already read (by the TCP door, to check the token): it is handled first.
    """
    reader = reader or MessageReader(receive_stream)
    outbox, queued = trio.open_memory_channel[bytes](math.inf)
    async with trio.open_nursery() as io:
        done_writing = trio.Event()
        async with trio.open_nursery() as work:
            io.start_soon(_write_all, queued, send_stream, work.cancel_scope, done_writing)
            protocol.bind(work, ChannelWriter(outbox), stop=work.cancel_scope.cancel)
            work.start_soon(_read_all, protocol, reader, first, work.cancel_scope)
        outbox.close()  # the writer sends what is queued, then ends
        with trio.move_on_after(DRAIN_TIMEOUT_S):
            await done_writing.wait()
        io.cancel_scope.cancel()
    with trio.CancelScope(shield=True):
        await trio.aclose_forcefully(send_stream)  # the client reads the end of output
    if protocol.exit_code is not None:
        return protocol.exit_code
    return 0 if protocol.is_shut_down else 1


async def _read_all(
    protocol: TrioLanguageServerProtocol,
    reader: MessageReader,
    body: bytes | None,
    work: trio.CancelScope,
) -> None:
    try:
        if body is None:
            body = await reader.receive()
        while body is not None:
            _dispatch(protocol, body)
            await trio.lowlevel.checkpoint()  # let handlers started by this message run
            body = await reader.receive()
    except FramingError as e:
        logger.error("closing the connection: %s", e)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        logger.debug("the client closed its end")
    work.cancel()


def _dispatch(protocol: TrioLanguageServerProtocol, body: bytes) -> None:
    """Decode one message and hand it to pygls; a bad message never ends the connection."""
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except Exception as exc:  # noqa: BLE001 -- a bad message never ends the connection
        _reject(protocol, body, exc)
        return
    try:
        protocol.handle_message(message)
    except Exception as exc:  # a bug in a synchronous handler path
        logger.exception("failed to handle a message")
        protocol._server._report_server_error(exc, JsonRpcInternalError)


def _reject(protocol: TrioLanguageServerProtocol, body: bytes, exc: Exception) -> None:
    """Answer a request pygls could not decode, so its sender does not wait forever."""
    try:
        raw = json.loads(body)
    except ValueError:
        logger.error("ignoring a message that is not JSON: %r", body[:200])
        error = JsonRpcParseError().to_response_error()
        protocol._send_response(None, error=error)
        return
    if isinstance(raw, dict) and "id" in raw and "method" in raw:
        cause = exc if isinstance(exc, JsonRpcException) else JsonRpcInternalError(str(exc))
        logger.error("invalid %s request: %s", raw.get("method"), exc.__cause__ or exc)
        protocol._send_response(raw["id"], error=cause.to_response_error())
    else:
        logger.error("ignoring an invalid message: %s", exc.__cause__ or exc)


async def _write_all(
    queued: trio.MemoryReceiveChannel[bytes],
    stream: trio.abc.SendStream,
    work: trio.CancelScope,
    done: trio.Event,
) -> None:
    try:
        async with queued:
            async for data in queued:
                await stream.send_all(data)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        logger.debug("the client stopped reading; ending the connection")
        work.cancel()
    finally:
        done.set()


async def serve_stdio(protocol: TrioLanguageServerProtocol) -> int:
    """Serve the client on the other end of stdin and stdout.

    The protocol gets private copies of fd 0 and 1; fd 1 then points at stderr,
    so a stray ``print`` (ours or a library's) lands in the editor's log instead
    of corrupting the message stream.
    """
    sys.stdout.flush()
    receive = trio.lowlevel.FdStream(os.dup(0))
    send = trio.lowlevel.FdStream(os.dup(1))
    os.dup2(2, 1)
    async with receive, send:
        return await serve_connection(protocol, receive, send)

