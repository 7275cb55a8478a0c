"""Alerts: a member passed a daily or weekly budget, told once by webhook and/or email.

``due`` runs after each push, for the member who pushed: their spending today
and this week (UTC; a response counted once however many of their devices
pushed it) against ``team_alerts``' budgets. An alert passed is recorded in
``alerts_sent`` in the same statement that finds it new, so two pushes at once
cannot both send it; ``send`` then delivers it, and forgets it if no channel
took it, so the next push tries again. A session turning critical is
``critical_alerts``' to find; ``send`` and ``forget`` serve both kinds.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import urllib.request
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

import msgspec

if TYPE_CHECKING:
    import psycopg

    from ..core.config_alerts import TeamAlertsConfig

logger = logging.getLogger(__name__)
TIMEOUT_S = 10


class Told(Protocol):
    """An alert of any kind: a msgspec struct (the webhook's JSON) with its key and a one-line subject."""

    @property
    def key(self) -> str: ...

    def subject(self) -> str: ...


class Alert(msgspec.Struct):
    """What the webhook receives (JSON) and the email says."""

    kind: str  # budget
    user: str
    period: str  # day | week
    starting: str  # the day, or the week's Monday, YYYY-MM-DD (UTC)
    spent_usd: float
    budget_usd: float
    key: str

    def subject(self) -> str:
        adjective = "daily" if self.period == "day" else "weekly"
        return (f"{self.user} passed the {adjective} budget: ${self.spent_usd:.2f} of ${self.budget_usd:.2f} "
                f"({self.period} of {self.starting}, UTC)")


def due(conn: psycopg.Connection, user_id: int, config: TeamAlertsConfig, now: dt.datetime | None = None) -> list[Alert]:
    """The alerts ``user_id``'s spending makes due now that were not sent before (recorded as sent)."""
    if not config.sends:
        return []
    today = (now or dt.datetime.now(dt.UTC)).date()
    monday = today - dt.timedelta(days=today.weekday())
    found = []
    for period, start, budget in (("day", today, config.daily_budget_usd), ("week", monday, config.weekly_budget_usd)):
        if budget is None:
            continue
        since = dt.datetime.combine(start, dt.time(), dt.UTC).timestamp()
        row = conn.execute(
            "SELECT u.name, coalesce((SELECT sum(x.cost_usd) FROM usage x WHERE x.ts >= %s AND EXISTS "
            "(SELECT 1 FROM usage_seen s JOIN devices d ON d.id = s.device_id WHERE s.dedup_key = x.dedup_key "
            "AND d.user_id = u.id)), 0) FROM users u WHERE u.id = %s", (since, user_id)).fetchone()
        if row is None or row[1] <= budget:
            continue
        key = f"budget:{period}:{row[0]}:{start.isoformat()}"
        with conn.transaction():
            new = conn.execute("INSERT INTO alerts_sent (key) VALUES (%s) ON CONFLICT DO NOTHING RETURNING key",
                               (key,)).fetchone()
        if new is not None:
            found.append(Alert("budget", row[0], period, start.isoformat(), round(float(row[1]), 6), budget, key))
    return found


def send(alert: Told, config: TeamAlertsConfig) -> bool:
    """Deliver ``alert`` on every channel configured; whether any took it (failures are logged)."""
    delivered = False
    if config.webhook_url:
        try:
            request = urllib.request.Request(config.webhook_url, data=msgspec.json.encode(alert), method="POST",
                                             headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=TIMEOUT_S):  # the admin's own URL
                delivered = True
        except OSError as e:
            logger.warning("alert %s: the webhook failed: %s", alert.key, e)
    if config.smtp_host and config.mail_to:
        try:
            _mail(alert, config)
            delivered = True
        except (OSError, smtplib.SMTPException) as e:
            logger.warning("alert %s: the email failed: %s", alert.key, e)
    return delivered


def forget(conn: psycopg.Connection, alert: Told) -> None:
    """``alert`` went nowhere: the next push makes it due again."""
    with conn.transaction():
        conn.execute("DELETE FROM alerts_sent WHERE key = %s", (alert.key,))


def _mail(alert: Told, config: TeamAlertsConfig) -> None:
    message = EmailMessage()
    message["Subject"] = alert.subject()
    message["From"] = config.mail_from
    message["To"] = ", ".join(config.mail_to)
    message.set_content(f"{alert.subject()}.\n\n{msgspec.json.format(msgspec.json.encode(alert)).decode()}\n")
    assert config.smtp_host is not None
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT_S) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        password = os.environ.get(config.smtp_password_env)
        if config.smtp_user and password:
            smtp.login(config.smtp_user, password)
        smtp.send_message(message)
