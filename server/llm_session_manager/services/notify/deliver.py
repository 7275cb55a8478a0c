"""Which channels are on, and sending through them all at once.

Every channel runs in its own thread, so a slow or dead one costs the others
nothing; each attempt is bounded by ``notifications.timeout``. Once a channel
has failed, the rest of that batch is not tried on it (the same error is
recorded for each), so a dead SMTP server costs one timeout, not one per
notification.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from msgspec.structs import replace

from ...core.config import Config
from ...core.errors import BadInput
from .local import desktop, terminal
from .notification import ChannelFailed, Delivery, Notification
from .smtp import email
from .webhooks import discord, slack, teams

CHANNELS: dict[str, Callable[[Any, Notification, float], None]] = {
    "desktop": desktop,
    "terminal": terminal,
    "slack": slack,
    "discord": discord,
    "email": email,
    "teams": teams,
}


def enabled_channels(config: Config, only: str | None = None) -> list[str]:
    """The channels the config turns on, or just ``only`` (which must be one of them)."""
    on = [name for name in CHANNELS if getattr(config.notifications.channels, name).enabled]
    if only is None:
        return on
    if only not in CHANNELS:
        raise BadInput(f"unknown channel {only!r}; one of {', '.join(CHANNELS)}")
    if only not in on:
        raise BadInput(f"channel {only!r} is not set up in notifications.channels (see docs/notifications.md)")
    return [only]


def deliver(config: Config, notes: list[Notification], names: list[str]) -> list[Notification]:
    """``notes`` with their deliveries on each of ``names``."""
    if not notes or not names:
        return notes
    with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="notify") as pool:
        results = list(pool.map(lambda name: _send_all(config, name, notes), names))
    return [replace(note, deliveries=[*note.deliveries, *(r[i] for r in results)]) for i, note in enumerate(notes)]


def failures(notes: list[Notification]) -> list[str]:
    """One line per channel that failed: what a frontend prints as a warning."""
    seen: dict[str, str] = {}
    for note in notes:
        for d in note.deliveries:
            if not d.ok and d.channel not in seen:
                seen[d.channel] = f"notify: {d.channel} failed: {d.error}"
    return list(seen.values())


def _send_all(config: Config, name: str, notes: list[Notification]) -> list[Delivery]:
    settings = getattr(config.notifications.channels, name)
    timeout = config.notifications.timeout
    done: list[Delivery] = []
    for note in notes:
        if done and not done[-1].ok:
            done.append(Delivery(name, False, done[-1].error))
            continue
        try:
            CHANNELS[name](settings, note, timeout)
        except ChannelFailed as e:
            done.append(Delivery(name, False, str(e)))
        except Exception as e:  # noqa: BLE001 -- a bug in a channel must not cost the others their message
            done.append(Delivery(name, False, f"{e.__class__.__name__}: {e}"))
        else:
            done.append(Delivery(name, True))
    return done
