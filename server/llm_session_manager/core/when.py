"""Times people type (``2025-01-31``, ``7d``, an ISO time) and the calendar they mean.

One parser for every ``since``/``until`` argument (``list``, ``usage``, ``recall``,
the MCP tools, the LSP), so that ``7d`` means the same everywhere. A bare date is a whole
day in some time zone: the process's local time (``TZ``) unless a report is
asked for another zone by IANA name.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from .errors import BadArgument, BadInput

_AGE = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# None is the process's local time, which follows ``TZ`` (POSIX rules included).
Zone = dt.tzinfo | None


def zone(name: str | None) -> Zone:
    """The IANA time zone ``name`` (``Europe/Berlin``); None for local time."""
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only reports in another zone pay for it

    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"unknown time zone {name!r}: give an IANA name like Europe/Berlin or UTC") from None


def parse(text: str, *, name: str = "since") -> dt.date | dt.datetime | float:
    """A bare date (``2025-01-31``) as a date, an ISO time as a datetime (naive without an
    offset), an age (30m, 12h, 7d, 2w) as the unix time that long ago.

    ``name`` is the argument the value was given as, for the error (the CLI
    says ``--since`` for ``since`` at its edge).
    """
    value = text.strip()
    m = _AGE.fullmatch(value)
    if m:
        return time.time() - dt.timedelta(**{_UNITS[m.group(2)]: int(m.group(1))}).total_seconds()
    try:
        if _DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value)  # Python 3.11 reads a trailing Z
    except ValueError:
        raise BadArgument(name, f"must be a date like 2025-01-31, an ISO time or an age like 7d, got {text!r}") from None


def is_date(text: str) -> bool:
    """Whether ``text`` has the form of a bare date, ``2025-01-31``."""
    return bool(_DATE.fullmatch(text))


def start(text: str, *, name: str = "since", tz: Zone = None) -> float:
    """Unix time where a ``since`` value begins: a date's midnight in ``tz``, a time
    without an offset read in ``tz``."""
    return _instant(parse(text, name=name), tz, days_after=0)


def end(text: str, *, name: str = "until", tz: Zone = None) -> float:
    """Unix time where an inclusive ``until`` value ends: after a whole date, in ``tz``."""
    return _instant(parse(text, name=name), tz, days_after=1)


def _instant(value: dt.date | dt.datetime | float, tz: Zone, days_after: int) -> float:
    if isinstance(value, dt.datetime):  # before date: a datetime is a date too
        return (value.replace(tzinfo=tz) if value.tzinfo is None and tz is not None else value).timestamp()
    if isinstance(value, dt.date):
        return midnight(value + dt.timedelta(days=days_after), tz)
    return value


def parse_since(text: str, *, name: str = "since") -> float:
    """A local date (2025-01-31), an ISO time or an age (30m, 12h, 7d, 2w) as unix seconds."""
    return start(text, name=name)


def local_date(at: float, tz: Zone) -> dt.date:
    """The calendar day unix time ``at`` falls on in ``tz``."""
    if tz is None:
        t = time.localtime(at)
        return dt.date(t.tm_year, t.tm_mon, t.tm_mday)
    return dt.datetime.fromtimestamp(at, tz).date()


def midnight(day: dt.date, tz: Zone) -> float:
    """Unix time the day begins in ``tz``; where clocks skip midnight, the first instant of the day."""
    if tz is None:
        return time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1))
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
