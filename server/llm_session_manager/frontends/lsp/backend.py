"""The services, called from the event loop without blocking it.

Every service call runs in a worker thread (``trio.to_thread``) on that
thread's own store connection, opened on first use: SQLite connections are
cheap, and one per thread means no call waits on another's cursor. The config
is read once, on first use, also off the loop.

Errors the user can fix (``errors.LlmSessionError``) become an LSP error
response carrying the same one line the CLI prints. Those about the
environment -- a corrupt or unopenable database, a broken config file -- are
also shown to the user with ``window/showMessage``, once per distinct message
until a call succeeds again, because a failed hover or status poll is
otherwise invisible in an editor.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import apsw
import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ...core import config as config_module
from ...core.config import Config
from ...core.errors import BadInput, ConfigError, LlmSessionError, StoreCorrupt, StoreError
from ...store.connection import db_path
from ...store.failures import explain_on

if TYPE_CHECKING:
    from .server import SessionServer

T = TypeVar("T")
logger = logging.getLogger(__name__)

WORKER_THREADS = 4  # service calls in flight at once; more would only queue on SQLite


class ServiceError(JsonRpcException):
    """A service's one-line error, as an LSP ``RequestFailed`` response."""

    CODE = -32803  # LSP RequestFailed: the request was valid, the work failed


class InvalidParams(ServiceError):
    CODE = -32602


def error_response(error: LlmSessionError) -> ServiceError:
    cls = InvalidParams if isinstance(error, BadInput) else ServiceError
    return cls(str(error))


class Backend:
    def __init__(self, server: SessionServer, config_path: Path | None = None) -> None:
        self._server = server
        self._config_path = config_path
        self._config: Config | None = None
        self._local = threading.local()
        self._limiter = trio.CapacityLimiter(WORKER_THREADS)
        self._shown: str | None = None  # the environment error last shown to the user
        self._damage_shown: set[str] = set()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(conn, config, *args)`` in a worker thread; errors as LSP errors."""
        return await self.call_on(self._local, fn, *args)

    async def call_on(self, slot: Any, fn: Callable[..., T], *args: Any) -> T:
        """``call``, on the connection kept in ``slot.conn`` rather than the thread's own.

        ``slot`` is a ``ConnectionSlot`` for a caller that needs one connection
        throughout (``PRAGMA data_version`` only moves for other connections' commits).
        """
        try:
            result = await trio.to_thread.run_sync(
                self._in_thread, slot, fn, args, limiter=self._limiter, abandon_on_cancel=True
            )
        except LlmSessionError as e:
            self.report(e)
            raise error_response(e) from None
        self._shown = None
        return result

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread, for work that needs neither store nor config."""
        return await trio.to_thread.run_sync(fn, *args, limiter=self._limiter, abandon_on_cancel=True)

    async def config(self) -> Config:
        """The config; its error (as an LSP error) when the file is broken."""
        if self._config is not None:
            return self._config
        try:
            return await self.run(self.load_config)
        except LlmSessionError as e:
            self.report(e)
            raise error_response(e) from None

    def report(self, error: LlmSessionError) -> None:
        """Show an environment error once, until something succeeds again.

        A damaged page fails only the requests that read it, while others (the
        store poll) succeed in between: its message is shown once per process.
        """
        if not isinstance(error, (StoreError, ConfigError)):
            return  # the request's own problem: its error response says it
        message = str(error)
        if message != self._shown and message not in self._damage_shown:
            self._shown = message
            if isinstance(error, StoreCorrupt):
                self._damage_shown.add(message)
            self._server.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=f"llm-session: {message}")
            )

    # --- in the worker thread ------------------------------------------------

    def _in_thread(self, slot: Any, fn: Callable[..., T], args: tuple) -> T:
        config = self.load_config()
        conn = self.connection(slot)
        try:
            return fn(conn, config, *args)
        except (apsw.Error, OSError) as e:
            known = explain_on(e, conn, db_path())
            if isinstance(e, apsw.Error):
                self._drop_connection(slot)
            if known is not None:
                raise known from e
            if isinstance(e, OSError):
                raise
            raise self._diagnose(e, slot) from e

    def load_config(self) -> Config:
        """In a worker thread: the config, read on first success (a broken file is re-read)."""
        if self._config is None:
            self._config = config_module.load(self._config_path)
        return self._config

    def connection(self, slot: Any = None) -> apsw.Connection:
        """In a worker thread: this thread's store connection (or ``slot``'s)."""
        slot = self._local if slot is None else slot
        conn = getattr(slot, "conn", None)
        if conn is None:
            from ...store import connect

            conn = slot.conn = connect()
        return conn

    def connection_or_none(self) -> apsw.Connection | None:
        """In a worker thread: the connection if the store opens, for work that can do without."""
        try:
            return self.connection()
        except LlmSessionError:
            return None

    def _drop_connection(self, slot: Any) -> None:
        conn = getattr(slot, "conn", None)
        slot.conn = None
        if conn is not None:
            try:
                conn.close()
            except apsw.Error:
                pass

    def _diagnose(self, error: apsw.Error, slot: Any) -> LlmSessionError:
        """A failed statement as one line: why the store cannot be used, if it cannot."""
        try:
            self.connection(slot)
        except LlmSessionError as e:
            return e
        return StoreError(f"database error: {error}")


class ConnectionSlot:
    """Holds one store connection for a caller that must always use the same one."""

    conn: apsw.Connection | None = None
