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
    """1234567 -> 1.2M: a token count that fits a narrow column.

    Rounded to a tenth of its unit; 999,960 is 1.0M, not 1000.0k.
    """
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size * 0.99995:
            return f"{n / size:.1f}{unit}"
    return str(n)


def money(usd: float | None, complete: bool = True) -> str:
    """The one way dollars are shown to people: ``$1,234.56``.

    ``unknown`` for a cost without a price (never $0.00, which reads as free), and a
    trailing ``+?`` for a known part of a cost that has an unpriced part too.
    """
    if usd is None:
        return "unknown"
    return f"${usd:,.2f}" + ("" if complete else "+?")


def middle(path: str, width: int) -> str:
    """``path`` in at most ``width`` cells, cut in the middle: ``/home/u/…/src/app.py``.

    Paths in one table often share a long start; cutting their ends would show
    the same prefix on every line. The file name is kept whole whenever it fits,
    then as many directories from either end as fit around the ``…``.
    """
    if len(path) <= width:
        return path
    sep = "\\" if "\\" in path and "/" not in path else "/"
    parts = path.split(sep)
    head: list[str] = []
    tail = [parts[-1]]
    inner = parts[:-1]
    sides = [True, False]  # True: the next directory from the start; False: from the end
    while inner and sides:
        from_head = sides[0]
        grown = ([*head, inner[0]], tail) if from_head else (head, [inner[-1], *tail])
        if len(_joined(*grown, sep)) > width:
            sides.pop(0)  # that end is full; the other may still take a short name
            continue
        head, tail = grown
        inner.pop(0 if from_head else -1)
        if len(sides) == 2:
            sides.reverse()  # alternate ends while both take more
    text = _joined(head, tail, sep)
    if len(text) <= width:
        return text
    name = parts[-1]  # even the file name alone does not fit: cut it, keeping its end
    if width <= 1:
        return "…"[:width]
    keep = width - 1
    return name[: keep // 2] + "…" + name[len(name) - (keep - keep // 2):]


def _joined(head: list[str], tail: list[str], sep: str) -> str:
    return sep.join([*head, "…", *tail])


def ellipsis(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, its end replaced by ``…`` when cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"[:width]


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
