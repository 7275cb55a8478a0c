"""Where serve's scrapes and OTLP exports get their snapshots (docs/metrics.md).

One snapshot at a time, on one connection of its own: askers arriving while
one is being taken share it (Prometheus servers in pairs, an export at the
same moment) instead of each reading the store, and the store's sums are read
again only when another connection committed since the last snapshot
(``services.metrics.StoredCache``). Nothing here counts anything: each answer
is the store's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import trio

if TYPE_CHECKING:
    from ...runtime.engine import Engine
    from ...services.metrics import Snapshot


class SnapshotSource:
    """``await source()``: a snapshot taken after the call began."""

    def __init__(self, engine: Engine) -> None:
        from ...runtime.engine import ConnectionSlot

        self._engine = engine
        self._slot = ConnectionSlot()
        self._cache: Any = None  # a StoredCache, made in the worker thread with the services it needs
        self._lock = trio.Lock()
        self._begun = 0  # snapshots begun so far; the n-th has number n
        self._last: tuple[int, Snapshot] | None = None  # the latest taken, with its number

    async def __call__(self) -> Snapshot:
        asked = self._begun  # a snapshot numbered above this began after we asked
        async with self._lock:
            if self._last is not None and self._last[0] > asked:
                return self._last[1]
            self._begun += 1
            number = self._begun
            snap = await self._engine.call_on(self._slot, self._take)
            self._last = (number, snap)
            return snap

    def _take(self, conn: Any, config: Any) -> Snapshot:
        from ...services.metrics import StoredCache, snapshot

        if self._cache is None:
            self._cache = StoredCache()
        return snapshot(conn, config, cache=self._cache)
