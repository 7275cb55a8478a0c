"""Service calls off the event loop: worker threads, one store connection each.

A service call blocks on SQLite and on files, so it runs in a worker thread
(``anyio.to_thread``) on that thread's own connection, opened on first use --
SQLite connections are cheap, and one per thread means no call waits on
another's cursor. The config is read once, on first use, in a thread too.

Reads see fresh data: before a tool that reads sessions runs, the store is
brought up to date with the logs (an incremental scan; with nothing new it
costs a stat per log file), at most once per ``FRESH_S`` seconds. ``serve``
turns this off because its own periodic scan keeps the store fresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

T = TypeVar("T")

WORKER_THREADS = 4  # service calls in flight at once; more would only queue on SQLite
FRESH_S = 2.0  # a scan at most this often before reads


class Backend:
    def __init__(self, config_path: Path | None = None, *, scan_before_reads: bool = True) -> None:
        self._config_path = config_path
        self._config = None
        self._local = threading.local()
        self._limiter = anyio.CapacityLimiter(WORKER_THREADS)
        self._scan_before_reads = scan_before_reads
        self._scan_lock = threading.Lock()
        self._scanned_at = float("-inf")

    async def call(self, fn: Callable[..., T], *args: Any, fresh: bool = False) -> T:
        """``fn(conn, config, *args)`` in a worker thread; ``fresh`` scans first."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(
            self._in_thread, fn, args, fresh, limiter=self._limiter, abandon_on_cancel=True
        )

    async def scan(self) -> Any:
        """An incremental scan in a worker thread (``serve``'s periodic task)."""
        return await self.call(self._locked_scan)

    # --- in the worker thread ------------------------------------------------

    def _in_thread(self, fn: Callable[..., T], args: tuple, fresh: bool) -> T:
        import apsw

        from ...core.errors import StoreError

        config = self.config()
        conn = self.connection()
        try:
            if fresh and self._scan_before_reads:
                self._refresh(conn, config)
            return fn(conn, config, *args)
        except (apsw.Error, OSError) as e:
            from ...store import db_path
            from ...store.failures import explain_on

            known = explain_on(e, conn, db_path())
            if isinstance(e, apsw.Error):
                self._drop_connection()
            if known is not None:
                raise known from e
            if isinstance(e, OSError):
                raise
            raise StoreError(f"database error: {e}") from e

    def config(self):
        if self._config is None:
            from ...core import config as config_module

            self._config = config_module.load(self._config_path)
        return self._config

    def connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            from ...store import connect

            conn = self._local.conn = connect()
        return conn

    def _refresh(self, conn, config) -> None:
        with self._scan_lock:  # a second caller waits for the scan in progress, then skips its own
            if time.monotonic() - self._scanned_at < FRESH_S:
                return
            self._scan(conn, config)

    def _locked_scan(self, conn, config):
        with self._scan_lock:
            return self._scan(conn, config)

    def _scan(self, conn, config):
        from ... import ingest

        result = ingest.scan(conn, config)
        self._scanned_at = time.monotonic()
        return result

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 -- closing on the way out: nothing to tell
                pass
