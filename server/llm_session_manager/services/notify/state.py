"""Cooldowns: a rule speaks about one subject at most once per cooldown.

Kept in the store (``notifications_sent``, migration 003) so that ``serve``
and a ``notify check`` by hand share them. A notification is claimed under the
write lock before it is delivered: of two processes checking at once, one
sends it and the other sees it sent.
"""

from __future__ import annotations

import apsw

from ...core.config_notifications import Notifications
from ...store import write_transaction
from .notification import Notification


def cooldown_seconds(settings: Notifications, rule: str) -> float:
    """The rule's own cooldown if it has one, else the section's."""
    return (getattr(settings.rules, rule).cooldown_minutes or settings.cooldown_minutes) * 60


def due(conn: apsw.Connection, found: list[Notification], settings: Notifications, now: float) -> list[Notification]:
    """Those of ``found`` not sent within their cooldown before ``now``; changes nothing."""
    return [n for n in found if _is_due(conn, n, settings, now)]


def claim(conn: apsw.Connection, found: list[Notification], settings: Notifications, now: float) -> list[Notification]:
    """Those of ``found`` that are due, recorded as sent at ``now``."""
    with write_transaction(conn):
        fresh = [n for n in found if _is_due(conn, n, settings, now)]
        conn.executemany(
            """INSERT INTO notifications_sent (rule, subject, sent_at) VALUES (?, ?, ?)
               ON CONFLICT (rule, subject) DO UPDATE SET sent_at = excluded.sent_at""",
            [(n.rule, n.subject, now) for n in fresh],
        )
        # A row older than every cooldown says no more than a missing one.
        longest = max(cooldown_seconds(settings, rule) for rule in settings.rules.__struct_fields__)
        conn.execute("DELETE FROM notifications_sent WHERE sent_at < ?", (now - longest,))
    return fresh


def _is_due(conn: apsw.Connection, n: Notification, settings: Notifications, now: float) -> bool:
    row = conn.execute(
        "SELECT sent_at FROM notifications_sent WHERE rule = ? AND subject = ?", (n.rule, n.subject)
    ).fetchone()
    return row is None or now - row[0] >= cooldown_seconds(settings, n.rule)
