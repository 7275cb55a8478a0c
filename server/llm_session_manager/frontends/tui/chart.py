"""Tokens per day as a bar chart of Unicode eighth-blocks, drawn to fit the widget."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ...core.models import DailyUsage
from ..formatting import compact, money

_EIGHTHS = " ▁▂▃▄▅▆▇█"


def columns(values: list[int], height: int) -> list[str]:
    """Rows of the chart, top first, one character per value, scaled to the largest.

    A value above zero shows at least ``▁``: a day with a little use is not a
    day without any.
    """
    top = max(values, default=0)
    heights = [max(1, round(v / top * height * 8)) if v > 0 else 0 for v in values]
    return [
        "".join(_EIGHTHS[max(0, min(8, h - (level - 1) * 8))] for h in heights)
        for level in range(height, 0, -1)
    ]


class TrendChart(Widget):
    """The last N days of the analytics report, today on the right in the accent colour."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.daily: list[DailyUsage] = []

    def set_days(self, daily: list[DailyUsage]) -> None:
        self.daily = daily
        days = len(daily)
        tokens = sum(d.total_tokens for d in daily)
        cost = sum(d.cost_usd or 0.0 for d in daily)
        self.border_title = f"Tokens per day · last {days} days"
        self.border_subtitle = f"{compact(tokens)} tokens · {money(cost)}"
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        values = [d.total_tokens for d in self.daily]
        if not any(values):
            return Text(f"No usage in the last {len(values)} days.", style="dim")
        theme = self.app.current_theme
        top_label = compact(max(values))
        axis = len(top_label) + 2
        step = max(1, min(3, (width - axis) // len(values)))
        bar = max(1, step - 1)
        rows = columns(values, max(1, height - 1))
        out = Text(no_wrap=True, overflow="crop")
        for i, row in enumerate(rows):
            label = top_label if i == 0 else "0" if i == len(rows) - 1 else ""
            out.append(f"{label:>{axis - 2}} {'┤' if label else '│'}", style="dim")
            for day, ch in enumerate(row):
                today = day == len(row) - 1
                out.append(ch * bar, style=(theme.accent if today else theme.primary) or "")
                out.append(" " * (step - bar))
            out.append("\n")
        first, last = self.daily[0].date[5:], self.daily[-1].date[5:]
        span = step * len(values)
        out.append(" " * axis + first + last.rjust(max(0, span - len(first))), style="dim")
        return out
