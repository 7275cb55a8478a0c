"""What a notification is, and what happened to it on each channel.

The JSON of ``llm-session notify check --json`` and ``notify test --json``.
"""

from __future__ import annotations

import msgspec


class Delivery(msgspec.Struct):
    channel: str  # desktop | terminal | slack | discord | email | teams
    ok: bool
    error: str | None = None


class Notification(msgspec.Struct):
    rule: str  # health_warning | health_critical | context | daily_budget | block_end | test
    severity: str  # warning | critical; quiet hours mute all but critical
    subject: str  # what it is about, the cooldown's key: a session id, a local day, a block start
    title: str
    message: str
    session_id: str | None = None
    deliveries: list[Delivery] = []


class ChannelFailed(Exception):
    """A channel could not deliver; the message is the one-line reason, without secrets."""
