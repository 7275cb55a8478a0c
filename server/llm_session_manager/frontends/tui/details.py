"""The details pane: everything about the selected session, and what to do about it."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.theme import Theme
from textual.widgets import Static

from ...core.config import Config
from ...core.models import Recommendation, Session, short_id
from ..formatting import ago, compact, local_time, money
from . import cells

_LABEL = 14
_SEVERITY = {"critical": "error", "warning": "warning", "info": "secondary"}


class DetailsPane(VerticalScroll):
    """Scrolls when a session has more to say than fits.

    The body is held, not queried: a row may be highlighted before Textual has
    mounted the pane's children (seen on a loaded machine), and the text set
    then is shown once they are.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._body = Static(id="details-body")

    def compose(self):
        yield self._body

    def show_session(self, s: Session | None, recs: list[Recommendation], now: float, config: Config) -> None:
        body = self._body
        if s is None:
            body.update(Text("No session selected.", style="dim"))
            return
        self.border_title = f"Session {short_id(s.id)}"
        body.update(describe(s, recs, now, self.app.current_theme, config))


def describe(s: Session, recs: list[Recommendation], now: float, theme: Theme, config: Config) -> RenderableType:
    """The session as aligned ``label  value`` lines, then its recommendations."""
    out = Text()
    out.append_text(cells.plain(s.title or s.project or s.id))
    out.stylize("bold")
    out.append("\n\n")

    def line(label: str, *value: Text | str) -> None:
        out.append(f"{label:<{_LABEL}}", style="dim")
        for v in value:
            out.append_text(v if isinstance(v, Text) else Text(v))
        out.append("\n")

    t = s.tokens
    line("id", s.id)
    line("provider", s.provider, Text("  ● running", style=theme.success or "") if s.active else Text("  idle", style="dim"))
    line("project", cells.plain(s.project))
    line("directory", cells.plain(s.cwd))
    line("model", cells.plain(s.model))
    line("started", local_time(s.started_at))
    line("last active", f"{ago(s.last_activity, now)} ({local_time(s.last_activity)})")
    line("tokens", f"{t.total:,} ({compact(t.total)}, {t.source})")
    line("  in / out", f"{t.input:,} / {t.output:,}")
    line("  cache w / r", f"{t.cache_creation:,} / {t.cache_read:,}")
    line("context", cells.context(s.context.percent, 12, theme, critical_at=config.recommendations.context_percent),
         f"  {s.context.used:,} of {s.context.limit:,}")
    line("cost", money(s.cost_usd))
    line("health", cells.health(s.health, theme, emoji=config.dashboard.show_emoji), Text(f"  {s.health.status}"))
    for name, value in s.health.components.items():
        line(f"  {name.replace('_', ' ')}", cells.score(value, 12, theme, config.health_thresholds))
    line("tags", cells.plain(" ".join(f"#{tag}" for tag in s.tags)) if s.tags else Text("—", style="dim"))
    out.append("\nRecommendations", style="bold")
    if not recs:
        out.append("\n  none: this session is in good shape", style="dim")
        return out
    # A grid, so that a long message or action wraps under itself, not under the severity.
    advice = Table.grid(padding=(0, 1))
    advice.add_column(width=_LABEL - 1)
    advice.add_column(ratio=1)
    for r in recs:
        colour = getattr(theme, _SEVERITY[r.severity]) or ""
        advice.add_row(Text(f"  {r.severity}", style=colour), cells.plain(r.message))
        advice.add_row("", Text("→ ") + cells.plain(r.action))
    return Group(out, advice)
