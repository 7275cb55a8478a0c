"""Who asks what: a verified request from any platform, and the checks every platform shares."""

from __future__ import annotations

import msgspec

from ...core.errors import ChatRefused
from .commands import Command


class Question(msgspec.Struct, frozen=True):
    platform: str  # slack | discord | teams
    workspace: str  # Slack's team id, Discord's guild id ("" in a DM), Teams' tenant id
    user: str  # the platform's user id: who must be allowed (or linked) before anything is shown
    command: Command
    user_name: str = ""
    also_known_as: str = ""  # a second id the platform gives the same person (Teams: from.id beside aadObjectId)
    response_url: str | None = None  # Slack: where a later answer (a button's, a slow one's) is posted


class Ping(msgspec.Struct, frozen=True):
    """Discord checking the endpoint (and its signature checks) when it is saved in the portal."""


def fresh(timestamp: float, now: float, window: float) -> None:
    """Refuse a signed request older (or further in the future) than ``window`` seconds: a replay."""
    if abs(now - timestamp) > window:
        raise ChatRefused(f"the request's timestamp is {abs(now - timestamp):.0f} s from now, "
                          f"beyond the {window:.0f} s replay window")


def header(headers: dict[str, str], name: str) -> str:
    """A header's value (names compared lower-case), refused as unsigned when missing."""
    value = headers.get(name.lower())
    if not value:
        raise ChatRefused(f"the request is unsigned: no {name} header")
    return value
