"""``llm-session lsp``: the language server, one instance per connection.

The server is a thin pygls ``LanguageServer``: it owns the lifecycle handlers
and passes each event to the features (``features/``), which register
everything else themselves. Messages move over our trio transport
(``transport.py``); pygls' asyncio loop is never started.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.lsp.server import LanguageServer

from ... import __version__
from ...core import logs
from ...core.errors import LlmSessionError
from ...runtime.engine import Engine
from . import transport
from .errors import ServiceError, ShownOnce
from .features import FEATURES
from .protocol import TrioLanguageServerProtocol, converter

NAME = "llm-session"
logger = logging.getLogger(__name__)


class SessionServer(LanguageServer):
    protocol: TrioLanguageServerProtocol

    def __init__(self, config_path: Path | None = None) -> None:
        super().__init__(
            NAME, __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=TrioLanguageServerProtocol,
            converter_factory=converter,
        )
        self.engine = Engine(config_path, outcomes=ShownOnce(self._show_error))
        self.options: dict[str, Any] = {}  # the client's initializationOptions
        self._background: set[trio.CancelScope] = set()
        self.features = [feature(self) for feature in FEATURES]
        for feature in self.features:
            feature.register()
        self._register_lifecycle()

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification to the client."""
        self.protocol.notify(method, params)

    def _show_error(self, message: str) -> None:
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=f"llm-session: {message}")
        )

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``fn(*args)`` in the background until it ends or the client shuts down.

        A bug in it is logged and shown to the user; it never takes the server down.
        """
        self.protocol.start_soon(self._background_task, fn, args, name=getattr(fn, "__qualname__", fn))

    async def _background_task(self, fn: Callable[..., Awaitable[Any]], args: tuple) -> None:
        with trio.CancelScope() as scope:
            self._background.add(scope)
            try:
                await fn(*args)
            except LlmSessionError:
                pass  # an environment error was shown to the user (``errors.ShownOnce``)
            except Exception as e:
                logger.exception("background task %s failed", fn)
                self.window_log_message(types.LogMessageParams(
                    type=types.MessageType.Error, message=f"llm-session: internal error in {fn.__qualname__}: {e!r}",
                ))
            finally:
                self._background.discard(scope)

    def _register_lifecycle(self) -> None:
        @self.feature(types.INITIALIZE)
        def initialize(params: types.InitializeParams) -> None:
            options = params.initialization_options
            self.options = options if isinstance(options, dict) else {}

        @self.feature(types.INITIALIZED)
        def initialized(params: types.InitializedParams) -> None:
            for feature in self.features:
                self.spawn(feature.initialized, self.options)

        @self.feature(types.TEXT_DOCUMENT_DID_OPEN)
        async def did_open(params: types.DidOpenTextDocumentParams) -> None:
            await self._document_changed(params.text_document.uri)

        @self.feature(types.TEXT_DOCUMENT_DID_CHANGE)
        async def did_change(params: types.DidChangeTextDocumentParams) -> None:
            await self._document_changed(params.text_document.uri)

        @self.feature(types.TEXT_DOCUMENT_DID_CLOSE)
        async def did_close(params: types.DidCloseTextDocumentParams) -> None:
            for feature in self.features:
                await feature.document_closed(params.text_document.uri)

        @self.feature(types.SHUTDOWN)
        async def shutdown(params: None) -> None:
            for feature in self.features:
                await feature.shutdown()
            for scope in list(self._background):
                scope.cancel()

    async def _document_changed(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        for feature in self.features:
            await feature.document_changed(document)


def create_server(config_path: Path | None = None) -> SessionServer:
    return SessionServer(config_path)


def run_stdio(config_path: Path | None = None, verbose: bool = False) -> int:
    """Serve one editor over stdin/stdout until it exits; the process exit code."""
    # One BLAS thread, set before numpy loads (on the first recall): a recall's matrix products
    # are small, and a second OpenBLAS thread made them 2-3x slower on a busy 2-core machine.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    logs.to_stderr(verbose, _expected_errors)
    server = create_server(config_path)
    # What start-up built (pygls' and lsprotocol's classes, the features) lives as
    # long as the process: keep it out of later collections. ``llm-session lsp``
    # turned the collector off for the imports; it is on from here.
    gc.freeze()
    gc.enable()
    return trio.run(transport.serve_stdio, server.protocol)


def _expected_errors(record: logging.LogRecord) -> bool:
    """pygls logs a traceback for every error response; only our bugs deserve one.

    A service's error was already shown to the user, so it is dropped; a client's
    mistake (an unknown command, bad params) is one warning line.
    """
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, ServiceError):
        return False
    if isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError):
        record.msg, record.args = "%s: %s", (record.getMessage(), error)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
    return True
