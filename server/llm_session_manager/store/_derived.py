"""The upkeep shared by the tables derived from ``usage`` (``quarters``, ``session_sums``).

Writers only note what a write touched; the next reader sums those parts again,
or rebuilds the table whole when ``usage_version`` moved (a big write).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import apsw

from .connection import write_transaction

# Noting more than this costs more than rebuilding from every response.
NOTED_LIMIT = 5000


def usage_changed(conn: apsw.Connection) -> None:
    """Say, inside the transaction that changed them, that any response may have changed."""
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'usage_version'")


def refresh(conn: apsw.Connection, state: str, rebuild: str, update_noted: str,
            params: Mapping[str, object] | None = None) -> None:
    """Bring a derived table up to date: ``state`` answers (current, noted).

    ``params`` are bound in all three statements: what, besides the rows, the
    derived figures depend on (``session_sums``' pause).
    """
    current, noted = conn.execute(state, params).get
    if current and not noted:
        return
    # In a caller's transaction, its own: in a read-only one, the write fails with BusyError.
    with contextlib.nullcontext() if conn.in_transaction else write_transaction(conn):
        current, noted = conn.execute(state, params).get  # another process may have just done it
        if not current:
            conn.execute(rebuild, params)
        elif noted:
            conn.execute(update_noted, params)
