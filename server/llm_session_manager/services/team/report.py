"""The team's usage as its server reports it to this device's user (``team usage``)."""

from __future__ import annotations

import os
from pathlib import Path

from ...core.models import UsageReport
from ...core.team_wire import USAGE_PATH
from . import client
from .link import Link


def usage(link: Link, by: str = "day", *, since: str | None = None, until: str | None = None,
          timezone: str | None = None) -> UsageReport:
    """Usage per day, model or device: the team's for an admin, one's own otherwise.

    Days are this machine's (``timezone``, else the local zone's IANA name where it
    has one), as ``usage`` has them, not the server's.
    """
    timezone = timezone or local_zone_name()
    query = {"by": by, **{k: v for k, v in (("since", since), ("until", until), ("timezone", timezone)) if v}}
    return client.request(link, USAGE_PATH, UsageReport, query=query)


def local_zone_name() -> str | None:
    """This machine's time zone as an IANA name (``$TZ``, else where /etc/localtime points), if it has one."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("TZ", "").removeprefix(":")
    if not name:
        try:
            target = str(Path("/etc/localtime").resolve())
        except OSError:
            return None
        name = target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a POSIX rule such as EST5EDT: the server's local time then
    return name
