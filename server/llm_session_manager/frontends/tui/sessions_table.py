"""The sessions table: one row per session, most recently active first."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.theme import Theme
from textual.widgets import DataTable

from ...core.config import Config
from ...core.models import Session
from ..formatting import ago, compact, money, short_model
from . import cells

# The title comes last and takes what room is left, so that a narrow terminal
# shortens titles instead of hiding the numbers behind a horizontal scroll.
_COLUMNS = ("#", "", "Provider", "Project", "Model", "Tokens", "Context", "Cost", "Health", "Last active", "Title")
_MIN_TITLE = 12


class SessionsTable(DataTable):
    """Rows keyed by session id, so the cursor stays on its session across refreshes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, config: Config, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.config = config
        self.sessions: list[Session] = []
        self._width = 0

    def on_mount(self) -> None:
        self.add_columns(*_COLUMNS)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:  # titles are cut to the width: cut them again
            self._width = event.size.width
            self.set_sessions(self.sessions)

    def set_sessions(self, found: list[Session]) -> None:
        """Fill the table with ``found``, keeping the cursor on the session it was on."""
        current = self.selected()
        self.sessions = found
        theme = self.app.current_theme
        now = time.time()
        rows = [self._cells(n, s, theme, now) for n, s in enumerate(found, 1)]
        pad = 2 * self.cell_padding
        fixed = sum(
            max([len(label)] + [row[i].cell_len for row in rows]) + pad for i, label in enumerate(_COLUMNS[:-1])
        )
        room = max(_MIN_TITLE, self.scrollable_content_region.width - fixed - pad - 1)
        self.clear()
        for s, row in zip(found, rows, strict=True):
            row[-1].truncate(room, overflow="ellipsis")
            self.add_row(*row, key=s.id)
        ids = [s.id for s in found]
        if current is not None and current.id in ids:
            self.move_cursor(row=ids.index(current.id), animate=False)

    def selected(self) -> Session | None:
        """The session under the cursor."""
        return self.sessions[self.cursor_row] if 0 <= self.cursor_row < len(self.sessions) else None

    def jump(self, n: int) -> None:
        """Put the cursor on the ``n``-th session (1-based), if there is one."""
        if 1 <= n <= self.row_count:
            self.move_cursor(row=n - 1)

    def _cells(self, n: int, s: Session, theme: Theme, now: float) -> list[Text]:
        return [
            Text(str(n), style="dim"),
            Text("●", style=theme.success or "") if s.active else Text(""),
            Text(s.provider),
            cells.plain(s.project, 16),
            cells.plain(short_model(s.model), 18),
            Text(compact(s.tokens.total), justify="right"),
            cells.context(s.context.percent, 8, theme, critical_at=self.config.recommendations.context_percent),
            Text(money(s.cost_usd), justify="right"),
            cells.health(s.health, theme, emoji=self.config.dashboard.show_emoji),
            Text(ago(s.last_activity, now), justify="right"),
            cells.plain(s.title),
        ]
