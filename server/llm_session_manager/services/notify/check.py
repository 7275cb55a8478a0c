"""One round of notifications: evaluate the rules, mute, cool down, deliver, record.

``check`` is what ``serve`` calls after each scan and ``llm-session notify
check`` runs by hand; ``llm-session scan`` never notifies, so scripts that
scan stay quiet.
"""

from __future__ import annotations

import time

import apsw

from ...core.config import Config
from ...core.config_notifications import QuietHours
from ...core.errors import BadInput
from . import deliver, rules, state
from .notification import Delivery, Notification


def check(conn: apsw.Connection, config: Config, now: float | None = None, *,
          dry_run: bool = False) -> list[Notification]:
    """The notifications sent at ``now`` (default: the present), with each channel's outcome.

    With ``dry_run`` nothing is sent or recorded: the result is what would be
    sent, with no deliveries. With no channel set up, nothing is evaluated
    either (``serve`` pays nothing for a feature nobody turned on).
    """
    now = time.time() if now is None else now
    names = deliver.enabled_channels(config)
    if not names and not dry_run:
        return []
    settings = config.notifications
    found = rules.evaluate(conn, config, now)
    if in_quiet_hours(settings.quiet_hours, now):
        found = [n for n in found if n.severity == "critical"]
    if dry_run:
        return state.due(conn, found, settings, now)
    return deliver.deliver(config, state.claim(conn, found, settings, now), names)


def send_test(config: Config, channel: str | None = None) -> list[Delivery]:
    """A test message through every channel that is set up (or just ``channel``)."""
    names = deliver.enabled_channels(config, channel)
    if not names:
        raise BadInput("no notification channel is set up (notifications.channels, see docs/notifications.md)")
    note = Notification(
        rule="test", severity="warning", subject="test",
        title="llm-session test notification",
        message="Notifications from llm-session-manager reach you here.",
    )
    return deliver.deliver(config, [note], names)[0].deliveries


def in_quiet_hours(quiet: QuietHours | None, now: float) -> bool:
    """Whether local time at ``now`` is within ``quiet`` (start inclusive, end exclusive)."""
    if quiet is None:
        return False
    local = time.localtime(now)
    minute = local.tm_hour * 60 + local.tm_min
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (quiet.start, quiet.end))
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end  # spans midnight
