"""``llm-session dashboard``: a live terminal view of the store (docs/dashboard.md).

Imported only by the ``dashboard`` command: Textual costs start-up time that
no other command should pay.
"""

from __future__ import annotations

import apsw

from ...core.config import Config
from .app import DashboardApp
from .data import StoreReader


def open_dashboard(config: Config, conn: apsw.Connection, *, theme: str | None = None,
                   refresh: float | None = None) -> DashboardApp:
    """The app, with its first snapshot already read.

    Reading before the app starts means a broken store fails as one line on
    the terminal (``StoreError``), not inside a full-screen app.
    """
    reader = StoreReader(conn, config)
    first = reader.poll(force=True)
    assert first is not None  # a forced poll always reads
    return DashboardApp(
        reader, first,
        theme=theme or config.dashboard.color_scheme,
        refresh=refresh or config.dashboard.refresh_interval,
    )


__all__ = ["DashboardApp", "open_dashboard"]
