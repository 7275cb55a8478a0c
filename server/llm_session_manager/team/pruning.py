"""Pruning what the team database no longer needs: ended sign-ins, old audit entries, stale counters.

``team serve`` runs ``prune`` when it starts and every ``EVERY_S`` after
(``serve.run``), in a worker thread, one short transaction: each delete
follows an index (``web_sessions_expires``, ``audit_log_at``: team migration
008), so a run that finds nothing costs next to nothing. What goes:

* sign-in sessions expired or signed out (``web_sessions``): a cookie holding
  one is refused already, so the row only grows the table;
* audit entries older than ``team_server.audit_retention_days`` (365 by default);
* failed sign-in counters past the back-off window (``web_session.FAILURE_WINDOW``),
  which no longer make anyone wait, and chat link codes past their expiry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from .web_session import FAILURE_WINDOW

if TYPE_CHECKING:
    import psycopg

EVERY_S = 3600.0


class Pruned(msgspec.Struct):
    web_sessions: int
    audit_entries: int
    login_failures: int
    link_codes: int


def prune(conn: psycopg.Connection, audit_retention_days: int) -> Pruned:
    """Delete what has outlived its use; how many rows of each went."""
    with conn.transaction():
        sessions = conn.execute("DELETE FROM web_sessions WHERE expires_at <= now() OR ended_at IS NOT NULL")
        audit = conn.execute("DELETE FROM audit_log WHERE at < now() - make_interval(days => %s)",
                             (audit_retention_days,))
        failures = conn.execute("DELETE FROM login_failures WHERE last_at <= now() - %s", (FAILURE_WINDOW,))
        codes = conn.execute("DELETE FROM chat_link_codes WHERE expires_at <= now()")
    return Pruned(sessions.rowcount, audit.rowcount, failures.rowcount, codes.rowcount)
