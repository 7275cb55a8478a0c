"""The upkeep shared by the tables of sums derived from ``usage`` (``quarters``, ``session_sums``).

Writers only note what a write touched; the next reader sums those parts again,
or rebuilds the table whole when ``usage_version`` moved (a big write).
"""

from __future__ import annotations

import apsw

from .connection import write_transaction

# Noting more than this costs more than rebuilding from every response.
NOTED_LIMIT = 5000


def usage_changed(conn: apsw.Connection) -> None:
    """Say, inside the transaction that changed them, that any response may have changed."""
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'usage_version'")


def refresh(conn: apsw.Connection, state: str, rebuild: str, update_noted: str) -> None:
    """Bring a derived table up to date: ``state`` answers (current, noted)."""
    current, noted = conn.execute(state).get
    if current and not noted:
        return
    with write_transaction(conn):
        current, noted = conn.execute(state).get  # another process may have just done it
        if not current:
            conn.execute(rebuild)
        elif noted:
            conn.execute(update_noted)
