"""Small coloured pieces of text the table, the details pane and the header share.

They take the theme, not fixed colour names, so a theme switch recolours them.
Everything user-written (titles, paths, tags) becomes ``Text`` verbatim: plain
strings in a DataTable are read as Rich markup, and a title with ``[`` in it
must not be.
"""

from __future__ import annotations

from rich.text import Text
from textual.theme import Theme

from ...core.config import HealthThresholds
from ...core.models import Health

_EMOJI = {"healthy": "🟢", "warning": "🟡", "critical": "🔴"}  # all two cells wide everywhere
_WORD = {"healthy": "ok", "warning": "warn", "critical": "crit"}


def status_colour(theme: Theme, status: str) -> str:
    return {"healthy": theme.success, "warning": theme.warning}.get(status, theme.error) or theme.primary


def health(h: Health, theme: Theme, *, emoji: bool) -> Text:
    """``🟢 80`` with emoji, else ``80 ok``, in the status colour."""
    score = f"{h.score:.0f}"
    label = f"{_EMOJI[h.status]} {score}" if emoji else f"{score} {_WORD[h.status]}"
    return Text(label, style=status_colour(theme, h.status))


def bar(percent: float, width: int, colour: str) -> Text:
    """A ``███░░░`` bar ``percent`` full."""
    filled = max(0, min(width, round(percent / 100 * width)))
    return Text("█" * filled, style=colour) + Text("░" * (width - filled), style="dim")


def context(percent: float, width: int, theme: Theme, *, critical_at: float) -> Text:
    """The context bar with its percentage: amber past 60 %, red past ``critical_at``."""
    status = "critical" if percent > critical_at else "warning" if percent > 60 else "healthy"
    return bar(percent, width, status_colour(theme, status)) + Text(f" {percent:4.1f}%")


def score(value: float, width: int, theme: Theme, thresholds: HealthThresholds) -> Text:
    """A 0-100 health score (100 is best) as a bar in its band's colour."""
    status = "healthy" if value >= thresholds.healthy else "warning" if value >= thresholds.warning else "critical"
    return bar(value, width, status_colour(theme, status)) + Text(f" {value:3.0f}")


def plain(value: str | None, limit: int | None = None) -> Text:
    """User text as-is (never markup), cut to ``limit`` cells with an ellipsis; ``—`` when missing."""
    text = Text(" ".join(value.split()) if value else "—")
    if limit is not None:
        text.truncate(limit, overflow="ellipsis")
    return text
