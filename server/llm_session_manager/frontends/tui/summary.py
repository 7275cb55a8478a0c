"""The header: totals now, today, over the trend's window, and Claude's 5-hour block."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.theme import Theme
from textual.widgets import Static

from ...core.models import BillingBlock
from ..formatting import compact, epoch, money
from .data import Snapshot


class Summary(Static):
    def show_snapshot(self, snap: Snapshot) -> None:
        self.update(describe(snap, self.app.current_theme))


def describe(snap: Snapshot, theme: Theme) -> Text:
    """Two lines: counts and money; then the Claude block (or that there is none)."""
    r = snap.report
    today = r.daily[-1]
    active = sum(s.active for s in snap.sessions)
    # The count of the table below it (which also lists older sessions), then how
    # many of them worked in the trend's window: "0 sessions" above 21 rows read as a bug.
    shown = f"{len(snap.sessions):,}{'+' if snap.cut else ''}"
    out = Text.assemble(
        ("llm-session", f"bold {theme.primary}"), "  ",
        (shown, "bold"), f" {_plural(len(snap.sessions), 'session')} · ",
        (f"{r.sessions.count:,}", "bold"), f" used in {r.days} days · ",
        (f"{active}", f"bold {theme.success}" if active else "bold"), " active · today ",
        (compact(today.total_tokens), "bold"), " tokens ", (money(today.cost_usd), "bold"),
        f" · {r.days} days ", (compact(r.totals.total_tokens), "bold"), " tokens ",
        (money(r.totals.cost_usd), "bold"),
        ("  updated " + datetime.fromtimestamp(snap.taken_at).strftime("%H:%M:%S"), "dim"),
    )
    out.append("\n")
    out.append_text(_block(r.claude_block, snap.taken_at, theme))
    return out


def _block(b: BillingBlock | None, now: float, theme: Theme) -> Text:
    if b is None:
        return Text("Claude 5-hour block: none active", style="dim")
    left = max(0, round((epoch(b.end) - now) / 60))
    out = Text.assemble(
        "Claude 5-hour block: ", (compact(b.total_tokens), "bold"), " tokens ", (money(b.cost_usd), "bold"),
        " used",
    )
    if b.projection is not None:
        p = b.projection
        out.append_text(Text.assemble(
            " · projected ", (compact(p.total_tokens), "bold"), " tokens ", (money(p.cost_usd), "bold"),
        ))
    out.append_text(Text.assemble(" · ", (f"{left // 60}h {left % 60:02d}m", f"bold {theme.accent}"), " left"))
    return out


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"
