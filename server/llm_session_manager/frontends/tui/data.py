"""What the dashboard shows, read from the store only when it can have changed.

The dashboard never scans: ``serve`` or ``scan`` write the store, each through
its own connection, and ``store.changes`` sees their commits on our one
long-lived connection. A poll costs one integer; the services are asked again
only when the store changed, or when ``HEALTH_DRIFT_S`` passed, since health
and "last active" drift with idle time, which writes nothing.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import NamedTuple

import apsw

from ...core.config import Config
from ...core.errors import StoreError
from ...core.models import AnalyticsReport, Recommendation, Session
from ...services import analytics, recommend, sessions
from ...store.changes import ChangePoller

HEALTH_DRIFT_S = 30.0
TREND_DAYS = 30
MAX_ROWS = 200  # a table, not an archive: a year of heavy use is 20,000 sessions


class Snapshot(NamedTuple):
    """One reading of the store, and when it was taken (unix seconds)."""

    sessions: list[Session]  # the ``MAX_ROWS`` most recently active
    cut: bool  # there are older sessions than these
    report: AnalyticsReport
    taken_at: float


class StoreReader:
    """Polls the store from worker threads, one at a time, on one connection."""

    def __init__(self, conn: apsw.Connection, config: Config) -> None:
        self.conn = conn
        self.config = config
        self._changes = ChangePoller()
        self._taken_at = float("-inf")
        self._lock = threading.Lock()  # a tick and an ``r`` may overlap; the connection is shared

    def poll(self, *, force: bool = False) -> Snapshot | None:
        """A new snapshot, or None when nothing can have changed since the last one."""
        with self._lock:
            now = time.time()
            drifted = now - self._taken_at >= HEALTH_DRIFT_S
            try:
                snapshot = self._changes.read_if_changed(self.conn, partial(self._read, now), force=force or drifted)
            except apsw.Error as e:
                from ...store.failures import explain_on

                known = explain_on(e, self.conn, Path(self.conn.filename))  # damaged, disk full
                raise known or StoreError(f"cannot read the store: {e}") from e
            if snapshot is not None:
                self._taken_at = now
            return snapshot

    def _read(self, now: float) -> Snapshot:
        found = self._recent(now)
        report = analytics.report(self.conn, self.config, days=TREND_DAYS, now=now)
        return Snapshot(found[:MAX_ROWS], len(found) > MAX_ROWS, report, now)

    def _recent(self, now: float) -> list[Session]:
        """The most recent sessions: those of the trend's window if they fill the table, else all.

        Listing every session costs half a second at 20,000 of them; the window's
        few hundred cost a tenth of that, and fill the table for anyone busy.
        """
        since = sessions.Filters(since=now - TREND_DAYS * 86400)
        found = sessions.list_sessions(self.conn, self.config, since, now=now)
        return found if len(found) > MAX_ROWS else sessions.list_sessions(self.conn, self.config, now=now)

    def recommendations(self, session: Session, now: float) -> list[Recommendation]:
        """What to do about this one session, whatever its age (as ``recommend ID``)."""
        return recommend.for_sessions([session], self.config, now=now, only_recent=False)
