"""What a chat command answers, before any platform draws it.

One small model for every command and every platform: a title, a line of
text, facts (label: value pairs, drawn as Slack fields, embed fields or an
Adaptive Card FactSet) and items (one per session or memory, each with facts
of its own). ``tone`` colours it where the platform can (an embed's colour,
a card's container style).
"""

from __future__ import annotations

from typing import Literal

import msgspec

Tone = Literal["info", "good", "warning", "critical", "refused"]


class Fact(msgspec.Struct, frozen=True):
    label: str
    value: str


class Item(msgspec.Struct, frozen=True):
    title: str
    text: str = ""
    facts: tuple[Fact, ...] = ()
    ask: str = ""  # a follow-up command a button on the item asks (Slack), e.g. "health 9e8d7c6b"


class Answer(msgspec.Struct, frozen=True):
    title: str
    text: str = ""
    facts: tuple[Fact, ...] = ()
    items: tuple[Item, ...] = ()
    tone: Tone = "info"
    footer: str = "llm-session-manager"


def tokens(n: int | None) -> str:
    """``1,234,567`` tokens as ``1.23M``: a chat line has no room for every digit."""
    if n is None:
        return "–"
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def dollars(usd: float | None, complete: bool = True) -> str:
    """A cost, with ``+`` when part of it has no price (``cost_complete`` false)."""
    if usd is None:
        return "unknown"
    return f"${usd:,.2f}" + ("" if complete else "+")
