"""Notifications: rules over the store, sent to the desktop, a terminal, Slack, Discord or email.

``check`` runs one round (``serve`` after each scan, ``notify check`` by hand);
``send_test`` proves the channels work. docs/notifications.md has the config.
"""

from .check import check, in_quiet_hours, send_test
from .deliver import CHANNELS, enabled_channels, failures
from .notification import Delivery, Notification

__all__ = [
    "CHANNELS", "Delivery", "Notification", "check", "enabled_channels", "failures", "in_quiet_hours", "send_test",
]
