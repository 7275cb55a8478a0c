"""``llm-session dashboard``: the Textual app, which wires widgets to a ``StoreReader``.

All reading happens in worker threads (``StoreReader.poll``); the app only
places what comes back. A timer polls every ``refresh`` seconds, and the
reader answers in microseconds unless the store moved (see ``data.py``).

The same timer checks that the terminal is still there. When its window is
closed without a hangup signal reaching us (we are not the session leader of
that terminal), Textual's input thread reads end-of-file forever at full CPU;
a hung-up terminal ends the app instead.
"""

from __future__ import annotations

import select
import sys
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Static

from ...core.errors import LlmSessionError
from . import themes
from .chart import TrendChart
from .data import Snapshot, StoreReader
from .details import DetailsPane
from .help import HelpScreen
from .sessions_table import SessionsTable
from .summary import Summary

EMPTY = (
    "[b]No sessions in the store yet.[/b]\n\n"
    "Run [b]llm-session scan[/b] to read your assistants' logs once, or keep\n"
    "[b]llm-session serve[/b] running to follow them live.\n\n"
    "This screen fills in as soon as the store has sessions."
)


class DashboardApp(App[None]):
    CSS_PATH = "dashboard.tcss"
    TITLE = "llm-session dashboard"
    ENABLE_COMMAND_PALETTE = False  # ``t`` is the theme switch; the palette would offer Textual's own
    AUTO_FOCUS = "SessionsTable"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("r", "reload", "Refresh"),
        Binding("t", "next_theme", "Theme"),
        Binding("question_mark", "help", "Help", key_display="?"),
        *(Binding(str(n), f"jump({n})", f"Session {n}", show=False) for n in range(1, 10)),
    ]

    def __init__(self, reader: StoreReader, first: Snapshot, *, theme: str, refresh: float) -> None:
        super().__init__()
        self.reader = reader
        self.snapshot = first
        self._refresh_s = refresh
        self._loading = False
        for t in themes.THEMES.values():
            self.register_theme(t)
        self.theme = theme

    def compose(self) -> ComposeResult:
        config = self.reader.config
        yield Summary(id="summary")
        with Vertical(id="main"):
            yield SessionsTable(config, id="sessions")
            with Horizontal(id="bottom"):
                yield DetailsPane(id="details")
                yield TrendChart(id="chart")
        yield Static(EMPTY, id="empty")
        yield Footer()

    def on_mount(self) -> None:
        # Held, not queried later: ``query_one`` searches the screen on top, which is
        # the help screen while it is open, and the timer keeps ticking under it.
        self._main, self._empty = self.query_one("#main"), self.query_one("#empty")
        self._summary, self._table = self.query_one(Summary), self.query_one(SessionsTable)
        self._details, self._chart = self.query_one(DetailsPane), self.query_one(TrendChart)
        self.theme_changed_signal.subscribe(self, lambda _: self._show(self.snapshot))
        self._show(self.snapshot)
        self.set_interval(self._refresh_s, self._tick)

    # --- reading ---------------------------------------------------------------

    def _tick(self) -> None:
        if _terminal_hung_up():
            self.exit(return_code=1)
            return
        if not self._loading:  # a slow read is not queued up behind itself
            self._loading = True
            self._load(force=False)

    def action_reload(self) -> None:
        self._loading = True
        self._load(force=True)

    @work(thread=True, group="reload")
    def _load(self, force: bool) -> None:
        try:
            snap = self.reader.poll(force=force)
        except LlmSessionError as e:
            self.call_from_thread(self.notify, str(e), title="Cannot read the store", severity="error")
            return
        finally:
            self._loading = False
        if snap is not None:
            self.call_from_thread(self._show, snap)

    def _show(self, snap: Snapshot) -> None:
        self.snapshot = snap
        empty = not snap.sessions
        self._main.display = not empty
        self._empty.display = empty
        self._summary.show_snapshot(snap)
        self._table.set_sessions(snap.sessions)
        self._table.border_title = f"Sessions · {len(snap.sessions)}{' most recent' if snap.cut else ''}"
        self._chart.set_days(snap.report.daily)
        self._show_details()

    def _show_details(self) -> None:
        session = self._table.selected()
        recs = self.reader.recommendations(session, self.snapshot.taken_at) if session else []
        self._details.show_session(session, recs, self.snapshot.taken_at, self.reader.config)

    # --- keys --------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_details()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._show_details()

    def action_jump(self, n: int) -> None:
        self._table.jump(n)

    def action_next_theme(self) -> None:
        self.theme = themes.following(self.theme)
        self.notify(f"Theme: {self.theme}", timeout=1.5)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())


def _terminal_hung_up() -> bool:
    """Whether the terminal on stdout has been closed at its other end."""
    if not hasattr(select, "poll"):  # Windows: consoles are not hung up
        return False
    poller = select.poll()
    if sys.__stdout__ is None:  # started with no stdout at all: nothing to hang up
        return False
    poller.register(sys.__stdout__.fileno(), 0)  # hang-up and errors are reported whatever is asked
    return any(events & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, events in poller.poll(0))
