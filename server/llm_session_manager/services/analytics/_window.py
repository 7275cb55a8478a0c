"""The report's window: the last N local days, today included, honouring ``TZ``.

Days are cut at local midnight exactly as ``usage --by day`` cuts them (the same
``usage`` helper finds each midnight), so a day's numbers are the same in both.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from typing import NamedTuple

from ...core.errors import BadInput
from ..usage import local_midnight

MAX_DAYS = 3650
MAX_TOP = 1000


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
    check_count("--days", days, MAX_DAYS)
    today = datetime.date.fromtimestamp(now)
    dates = [(today - datetime.timedelta(days=days - 1 - k)).isoformat() for k in range(days)]
    bounds = [local_midnight("days", d) for d in dates]
    bounds.append(local_midnight("days", dates[-1], days_after=1))
    return Window(days, dates, bounds)


def parse_count(name: str, text: str, largest: int) -> int:
    """A frontend's ``--days``/``--top`` text as an int from 1 to ``largest``, or one clear error."""
    value = text.strip()
    return check_count(name, int(value) if value.isascii() and value.isdigit() else text, largest)


def check_count(name: str, value: object, largest: int) -> int:
    if type(value) is not int or not 1 <= value <= largest:
        raise BadInput(f"{name} must be a whole number from 1 to {largest}, got {value!r}")
    return value
