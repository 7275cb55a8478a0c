"""Service calls from the event loop, without blocking it: worker threads, one store connection each.

A service call blocks on SQLite and on files, so it runs in a worker thread
(``trio.to_thread``; every server runs on trio, MCP's stdio through anyio's
trio backend) on that thread's own connection, opened on first use: SQLite
connections are cheap, and one per thread means no call waits on another's
cursor. The config is read once, on first success, in a thread too.

Reads can see fresh data: a call made with ``fresh=True`` first brings the
store up to date with the logs (an incremental scan; with nothing new it costs
a stat per log file), at most once per ``FRESH_S`` seconds. ``serve`` turns
this off because its own periodic scan keeps the store fresh.

A failed statement becomes one line (``store.failures``, or why the store
cannot be opened now) and is raised as the ``LlmSessionError`` it is; each
frontend turns it into its own kind of error at its edge. A frontend that must
also tell the user about the environment (the LSP, whose failed hover is
otherwise invisible) gives an ``Outcomes`` that hears every failure and success.

Nothing heavy is imported here: the MCP server answers ``initialize`` before
apsw or the services are loaded, so they are imported where they run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import trio

from ..core.errors import LlmSessionError, StoreError

if TYPE_CHECKING:
    import apsw

    from ..core.config import Config
    from ..core.models import ScanResult

T = TypeVar("T")

WORKER_THREADS = 4  # service calls in flight at once; more would only queue on SQLite
FRESH_S = 2.0  # a scan at most this often before reads


class Outcomes(Protocol):
    """What a frontend hears of each store call: the error it raised, or that it worked."""

    def failed(self, error: LlmSessionError) -> None: ...

    def succeeded(self) -> None: ...


class ConnectionSlot:
    """Holds one store connection for a caller that must always use the same one.

    Each worker thread has one; a caller keeps its own for work that depends on
    the connection, such as ``store.changes`` (``PRAGMA data_version`` moves only
    for other connections' commits).
    """

    conn: apsw.Connection | None = None


class Engine:
    def __init__(self, config_path: Path | None = None, *, scan_before_reads: bool = True,
                 outcomes: Outcomes | None = None) -> None:
        self._config_path = config_path
        self._config: Config | None = None
        self._local = threading.local()
        self._limiter = trio.CapacityLimiter(WORKER_THREADS)
        self._outcomes = outcomes
        self._scan_before_reads = scan_before_reads
        self._scan_lock = threading.Lock()
        self._scanned_at = float("-inf")

    async def call(self, fn: Callable[..., T], *args: Any, fresh: bool = False) -> T:
        """``fn(conn, config, *args)`` in a worker thread; ``fresh`` scans first."""
        return await self.call_on(None, fn, *args, fresh=fresh)

    async def call_on(self, slot: ConnectionSlot | None, fn: Callable[..., T], *args: Any,
                      fresh: bool = False) -> T:
        """``call``, on the connection kept in ``slot`` rather than the thread's own."""
        try:
            result = await trio.to_thread.run_sync(
                self._in_thread, slot, fn, args, fresh, limiter=self._limiter, abandon_on_cancel=True
            )
        except LlmSessionError as e:
            if self._outcomes is not None:
                self._outcomes.failed(e)
            raise
        if self._outcomes is not None:
            self._outcomes.succeeded()
        return result

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread, for work that needs neither store nor config."""
        return await trio.to_thread.run_sync(fn, *args, limiter=self._limiter, abandon_on_cancel=True)

    async def config(self) -> Config:
        """The config, read in a worker thread the first time; its error when the file is broken."""
        if self._config is not None:
            return self._config
        try:
            return await self.run(self.load_config)
        except LlmSessionError as e:
            if self._outcomes is not None:
                self._outcomes.failed(e)
            raise

    async def scan(self) -> ScanResult:
        """An incremental scan in a worker thread (``serve``'s periodic task)."""
        return await self.call(self._locked_scan)

    # --- in the worker thread ------------------------------------------------

    def _in_thread(self, slot: ConnectionSlot | None, fn: Callable[..., T], args: tuple, fresh: bool) -> T:
        import apsw

        config = self.load_config()
        conn = self.connection(slot)
        try:
            if fresh and self._scan_before_reads:
                self._refresh(conn, config)
            return fn(conn, config, *args)
        except (apsw.Error, OSError) as e:
            from ..store import db_path
            from ..store.failures import explain_on

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
            from ..core import config as config_module

            self._config = config_module.load(self._config_path)
        return self._config

    def connection(self, slot: ConnectionSlot | None = None) -> apsw.Connection:
        """In a worker thread: this thread's store connection (or ``slot``'s), opened on first use."""
        slot = slot if slot is not None else self._thread_slot()
        if slot.conn is None:
            from ..store import connect

            slot.conn = connect()
        return slot.conn

    def connection_or_none(self) -> apsw.Connection | None:
        """In a worker thread: the connection if the store opens, for work that can do without."""
        try:
            return self.connection()
        except LlmSessionError:
            return None

    def _thread_slot(self) -> ConnectionSlot:
        slot = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = ConnectionSlot()
        return slot

    def _drop_connection(self, slot: ConnectionSlot | None) -> None:
        import apsw

        slot = slot if slot is not None else self._thread_slot()
        conn, slot.conn = slot.conn, None
        if conn is not None:
            try:
                conn.close()
            except apsw.Error:
                pass  # closing on the way out: nothing to tell

    def _diagnose(self, error: apsw.Error, slot: ConnectionSlot | None) -> LlmSessionError:
        """A failed statement as one line: why the store cannot be used, if it cannot."""
        try:
            self.connection(slot)
        except LlmSessionError as e:
            return e
        return StoreError(f"database error: {error}")

    def _refresh(self, conn: apsw.Connection, config: Config) -> None:
        with self._scan_lock:  # a second caller waits for the scan in progress, then skips its own
            if time.monotonic() - self._scanned_at < FRESH_S:
                return
            self._scan(conn, config)

    def _locked_scan(self, conn: apsw.Connection, config: Config) -> ScanResult:
        with self._scan_lock:
            return self._scan(conn, config)

    def _scan(self, conn: apsw.Connection, config: Config) -> ScanResult:
        from .. import ingest

        result = ingest.scan(conn, config)
        self._scanned_at = time.monotonic()
        return result
