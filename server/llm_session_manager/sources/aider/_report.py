"""Aider's usage report: the ``Tokens: … received.`` line after every response.

``Coder.calculate_and_show_tokens_and_cost`` (``aider/coders/base_coder.py``) writes::

    Tokens: 3.7k sent, 1.5k received. Cost: $0.0020 message, $0.0029 session.
    Tokens: 5.4k sent, 4.9k cache write, 12k cache hit, 612 received.
    Cost: $0.03 message, $0.08 session.

Counts go through ``utils.format_tokens`` (``999``, ``1.2k``, ``12k``): rounded, so
only a count under 1,000 is exact. Releases before it printed ``12,345 sent, 1,024
cached, 567 received``, exact. The cost part is there only when the model has a
price; with both cache parts it goes on the next line, which the history file
writes without the ``> `` mark. ``sent`` is the prompt tokens plus cache writes;
whether it includes cache hits depends on the provider (DeepSeek's prompt count
does, as do LiteLLM's OpenAI-style counts), so hits are taken as part of it
unless there are more hits than were sent.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_REPORT = re.compile(r"Tokens: (.+?) received\.(?:\s+(Cost: .*?))?\s*")
_COST = re.compile(r"Cost: \$(\d+(?:\.\d+)?) \w+, \$\d+(?:\.\d+)? session\.\s*")
_COUNT = re.compile(r"(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d))?(k?)")
_LABELS = {"sent": "sent", "cache write": "write", "cache hit": "hit", "cached": "hit"}


class Report(NamedTuple):
    input_tokens: int  # fresh input: sent less cache writes and (when inside it) cache hits
    output_tokens: int
    cache_write: int
    cache_hit: int
    exact: bool  # every count printed in full
    cost: float | None  # the message's cost, when aider knew the model's price


def read_report(text: str) -> Report | None:
    """The report in ``text`` (a tool line without its ``> ``); None if it is not one aider writes."""
    m = _REPORT.fullmatch(text)
    if m is None:
        return None
    *parts, last = m.group(1).split(", ")
    counts = {"sent": 0, "write": 0, "hit": 0}
    exact = True
    for part in parts:
        number, _, label = part.partition(" ")
        value = _count(number)
        if value is None or label not in _LABELS:
            return None
        counts[_LABELS[label]] = value[0]
        exact &= value[1]
    received = _count(last)
    if received is None:
        return None
    cost = None
    if m.group(2) is not None:
        cost = read_cost(m.group(2))
        if cost is None:
            return None
    fresh = max(counts["sent"] - counts["write"], 0)
    hit = counts["hit"]
    return Report(
        fresh - hit if hit <= fresh else fresh,
        received[0], counts["write"], hit, exact and received[1], cost,
    )


def read_cost(text: str) -> float | None:
    """The message's cost in a ``Cost: $… message, $… session.`` part; None if it is not one."""
    m = _COST.fullmatch(text)
    return float(m.group(1)) if m else None


def _count(text: str) -> tuple[int, bool] | None:
    """``12,345`` (exact), ``310`` (exact), ``1.2k`` or ``12k`` (rounded to 100 or 1,000)."""
    m = _COUNT.fullmatch(text)
    if m is None:
        return None
    whole, tenth, k = m.groups()
    if not k:
        return None if tenth else (int(whole.replace(",", "")), True)
    return int(whole.replace(",", "")) * 1000 + int(tenth or 0) * 100, False
