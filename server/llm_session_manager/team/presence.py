"""Who has a session's page open now, in the team server's memory.

An open page sends a heartbeat every ``HEARTBEAT_S`` seconds; someone whose
last heartbeat is older than two intervals has left. Presence is kept in the
process, not the database: it is worth nothing after a restart (the pages send
their next heartbeat within one interval), and a heartbeat every few seconds
per viewer is no write a database should take. ``generation`` moves whenever
someone arrives or leaves, and is part of the dashboard's data version, so the
event stream tells every open page at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..services.dashboard import Viewer

HEARTBEAT_S = 10.0
Key = tuple[str, str]  # (the session's owner, its id): two owners may have a session of the same id


class Presence:
    def __init__(self, heartbeat_s: float = HEARTBEAT_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.heartbeat_s = heartbeat_s
        self._clock = clock
        self._seen: dict[Key, dict[str, float]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def beat(self, key: Key, name: str) -> bool:
        """``name`` is on the page of ``key`` now; whether they just arrived."""
        with self._lock:
            self._sweep()
            here = self._seen.setdefault(key, {})
            arrived = name not in here
            here[name] = self._clock()
            if arrived:
                self._generation += 1
            return arrived

    def leave(self, key: Key, name: str) -> None:
        with self._lock:
            if self._seen.get(key, {}).pop(name, None) is not None:
                self._generation += 1

    def viewers(self, key: Key) -> list[Viewer]:
        with self._lock:
            self._sweep()
            return [Viewer(name) for name in sorted(self._seen.get(key, {}))]

    def generation(self) -> int:
        """A number that moves when anyone arrives on or leaves any page (expired heartbeats included)."""
        with self._lock:
            self._sweep()
            return self._generation

    def _sweep(self) -> None:
        cutoff = self._clock() - 2 * self.heartbeat_s
        for key, here in list(self._seen.items()):
            gone = [name for name, at in here.items() if at < cutoff]
            for name in gone:
                del here[name]
            if gone:
                self._generation += 1
            if not here:
                del self._seen[key]
