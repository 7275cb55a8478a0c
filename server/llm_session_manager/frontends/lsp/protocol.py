"""pygls' language-server protocol, with its handlers run as trio tasks.

pygls splits cleanly in two: a protocol object that turns JSON into typed
messages, dispatches them to handlers and turns results into responses, and an
asyncio transport around it. We keep the first and replace the second
(``transport.py``). The protocol touches asyncio in exactly three places, and
this subclass replaces each:

* ``_execute_handler`` wraps an ``async def`` handler in
  ``asyncio.ensure_future``. Here it becomes a task in the connection's trio
  nursery. The bookkeeping around it stays pygls': a
  ``concurrent.futures.Future`` (loop-agnostic, not an asyncio one) stands for
  the task, so pygls' own callbacks still send the response, ``$/cancelRequest``
  and ``shutdown`` still cancel it (the future's cancellation cancels the
  task's cancel scope), and generator handlers such as ``initialize`` or
  ``workspace/executeCommand`` still chain through it.
* ``send_request_async`` (requests the server makes of the client) wraps the
  same kind of future in ``asyncio.wrap_future``; here it is awaited with a
  ``trio.Event``.
* ``exit`` closes the writer and calls ``sys.exit``; here it records the exit
  code and asks the transport to stop, so the process leaves ``trio.run``
  normally after flushing what is queued.

One more follows from using plain futures: their callbacks run at once rather
than on the next loop turn, so ``shutdown`` (which cancels pending futures
while iterating over them) iterates over a copy.

Handlers must run in the trio thread (they write to the client through a trio
channel): thread handlers (``@server.thread()``) are run with
``trio.to_thread`` and finish in the trio thread.

A handler may return ``Encoded`` JSON instead of a value: pygls encodes results
with ``json.dumps`` in the trio thread, which for a large answer (the session
list: 600 kB, about 10 ms) holds up every other message; ``msgspec`` encodes
the same structs in a worker thread in under a millisecond.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any

import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.feature_manager import is_thread_function
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    LanguageServerProtocol,
    default_converter,
    lsp_method,
)
from pygls.protocol.json_rpc import RPCRequest

logger = logging.getLogger(__name__)


def converter():
    """pygls' converter, except that unknown methods keep their params as plain JSON.

    pygls turns the params of requests it has no type for (our ``llmSession/*``
    methods) into nested namedtuples; handlers here read them as the dicts the
    client sent.
    """
    conv = default_converter()
    conv.register_structure_hook(JsonRPCRequestMessage, lambda obj, cls: cls(**obj))
    conv.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(**obj))
    return conv


class Encoded(bytes):
    """A handler's result already encoded as JSON; sent as it is."""


class TrioLanguageServerProtocol(LanguageServerProtocol):
    """``LanguageServerProtocol`` whose handlers run in a trio nursery."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before pygls' __init__, which looks at every attribute for handlers.
        self._nursery: trio.Nursery | None = None
        self._stop: Callable[[], None] | None = None
        self.exit_code: int | None = None  # set by ``exit``
        super().__init__(*args, **kwargs)

    def bind(self, nursery: trio.Nursery, writer: Any, stop: Callable[[], None]) -> None:
        """Attach to one connection: where tasks run, where bytes go, how to end it.

        The transport frames messages itself, so pygls writes bare JSON bodies.
        """
        self._nursery = nursery
        self._stop = stop
        self.set_writer(writer, include_headers=False)

    def start_soon(self, fn: Callable[..., Any], *args: Any, name: object = None) -> None:
        """Start a task in the connection's nursery (it ends with the connection)."""
        if self._nursery is None:
            raise RuntimeError("the protocol is not bound to a connection")
        self._nursery.start_soon(fn, *args, name=name)

    @property
    def is_shut_down(self) -> bool:
        return self._shutdown

    # --- handler execution ---------------------------------------------------

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        if inspect.iscoroutinefunction(handler) or is_thread_function(handler):
            future: Future[Any] = Future()
            self._request_futures[msg_id] = future
            future.add_done_callback(callback)
            future.add_done_callback(partial(self._forget, msg_id))
            self.start_soon(self._run, future, handler, args or (), kwargs or {}, name=f"lsp handler {msg_id}")
            return
        # Plain functions and generators run synchronously; pygls' code is loop-free.
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls never drops the futures of notifications; do it for them all.
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(partial(self._forget, msg_id))

    async def _run(self, future: Future[Any], handler, args: tuple, kwargs: dict) -> None:
        with trio.CancelScope() as scope:
            # A cancelled future ($/cancelRequest, shutdown) cancels the task;
            # pygls has already answered the request with RequestCancelled.
            future.add_done_callback(lambda f: scope.cancel() if f.cancelled() else None)
            try:
                if is_thread_function(handler):
                    result = await trio.to_thread.run_sync(
                        partial(handler, *args, **kwargs), abandon_on_cancel=True
                    )
                else:
                    result = await handler(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 -- any failure of a handler goes to its caller
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)

    def _forget(self, msg_id: Any, future: Future[Any]) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        if error is not None or not isinstance(result, Encoded):
            super()._send_response(msg_id, result, error)
            return
        self._result_types.pop(msg_id, None)
        if self.writer is None:
            logger.error("unable to send a response: no writer")
            return
        self.writer.write(b'{"jsonrpc":"2.0","id":%s,"result":%s}' % (json.dumps(msg_id).encode(), result))

    # --- requests to the client ------------------------------------------------

    async def send_request_async(self, method: str, params: Any = None, msg_id: Any = None) -> Any:
        """Send a request to the client and wait, in trio, for its answer."""
        future = self.send_request(method, params, msg_id=msg_id)
        return await wait_future(future)

    # --- lifecycle ---------------------------------------------------------------

    def handle_message(self, message: Any) -> None:
        # pygls drops requests after ``shutdown`` silently; the spec wants an error.
        if self._shutdown and isinstance(message, RPCRequest) and message.method != types.EXIT:
            self._send_response(
                message.id, error=JsonRpcInvalidRequest("the server is shutting down").to_response_error()
            )
            return
        super().handle_message(message)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any):
        """pygls' ``shutdown``, iterating over a copy of the pending futures.

        Cancelling a ``concurrent.futures.Future`` runs its callbacks at once
        (asyncio defers them), and those remove the future from the very dict
        pygls iterates.
        """
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any):
        """Stop the connection; the exit code is 0 only after a ``shutdown``."""
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        self.exit_code = 0 if self._shutdown else 1
        if self._stop is not None:
            self._stop()


async def wait_future(future: Future[Any]) -> Any:
    """Await a ``concurrent.futures.Future`` from trio, whichever thread resolves it."""
    done = trio.Event()
    token = trio.lowlevel.current_trio_token()

    def wake(_: Future[Any]) -> None:
        try:
            token.run_sync_soon(done.set)
        except trio.RunFinishedError:
            pass

    future.add_done_callback(wake)
    try:
        await done.wait()
    except trio.Cancelled:
        future.cancel()
        raise
    return future.result()
