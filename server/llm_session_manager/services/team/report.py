"""The team's usage as its server reports it to this device's user (``team usage``)."""

from __future__ import annotations

from ...core.models import UsageReport
from ...core.team_wire import USAGE_PATH
from . import client
from .link import Link


def usage(link: Link, by: str = "day", *, since: str | None = None, until: str | None = None,
          timezone: str | None = None) -> UsageReport:
    """Usage per day, model or device: the team's for an admin, one's own otherwise."""
    query = {"by": by, **{k: v for k, v in (("since", since), ("until", until), ("timezone", timezone)) if v}}
    return client.request(link, USAGE_PATH, UsageReport, query=query)
