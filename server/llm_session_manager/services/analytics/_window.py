"""The report's window: the last N local days, today included, honouring ``TZ``.

Days are cut at local midnight exactly as ``usage --by day`` cuts them (the same
``usage`` helper finds each midnight), so a day's numbers are the same in both.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from typing import NamedTuple

from ...core import args
from ..usage import local_midnight


class Window(NamedTuple):
    days: int
    dates: list[str]  # local YYYY-MM-DD, oldest first
    bounds: list[float]  # unix time of each day's local midnight, then the end of the last day

    @property
    def start(self) -> float:
        return self.bounds[0]

    @property
    def end(self) -> float:
        return self.bounds[-1]

    def day_of(self, ts: float) -> int:
        """Index into ``dates`` of the local day holding ``ts`` (which must be in the window)."""
        return bisect_right(self.bounds, ts) - 1


def window(days: int, now: float) -> Window:
    """The ``days`` local days ending with the one holding ``now``."""
    args.check(days, args.Days, "days")
    today = datetime.date.fromtimestamp(now)
    dates = [(today - datetime.timedelta(days=days - 1 - k)).isoformat() for k in range(days)]
    bounds = [local_midnight("days", d) for d in dates]
    bounds.append(local_midnight("days", dates[-1], days_after=1))
    return Window(days, dates, bounds)


def parse_count(name: str, text: str, bounded: object) -> int:
    """A count typed as text (``days``, ``top``) as an int of the ``bounded`` type
    (``args.Days``, ``args.Top``), or a ``BadArgument`` naming ``name``."""
    value = text.strip()
    number: int = args.check(int(value) if value.isascii() and value.isdigit() else text, bounded, name)
    return number
