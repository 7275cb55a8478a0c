"""Numbers, models, money and times as short text, for both terminal frontends.

The CLI's rich output (``render``) and the dashboard (``tui``) show the same
figures side by side in people's terminals, so they must print them the same
way. Plain strings only: no rich, no Textual, nothing that costs start-up time.
"""

from __future__ import annotations

import re
import time
from datetime import datetime


def compact(n: int) -> str:
    """1234567 -> 1.2M: a token count that fits a narrow column."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def money(usd: float | None, complete: bool = True) -> str:
    """Dollars; ``unknown`` for a cost without a price (never $0.00, which reads as free),
    and a trailing ``+?`` for a known part of a cost that has an unpriced part too."""
    if usd is None:
        return "unknown"
    return f"${usd:,.2f}" + ("" if complete else "+?")


def short_model(model: str | None) -> str | None:
    """claude-sonnet-4-5-20250929 -> sonnet-4-5: enough to tell models apart in a column."""
    return re.sub(r"-\d{8}$", "", model).removeprefix("claude-") if model else model


def epoch(iso: str) -> float:
    """An ISO time from the store as unix seconds."""
    return datetime.fromisoformat(iso).timestamp()


def ago(iso: str | None, now: float) -> str:
    """How long before ``now`` an ISO time was: ``3h ago``; ``—`` when unknown."""
    if not iso:
        return "—"
    seconds = max(0.0, now - epoch(iso))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return "now"


def local_time(iso: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO time (the store keeps UTC) in the user's time zone; ``—`` when unknown."""
    return time.strftime(fmt, time.localtime(epoch(iso))) if iso else "—"
