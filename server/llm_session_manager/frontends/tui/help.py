"""The ``?`` screen: every key, and where the numbers come from."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("j / ↓", "next session"),
    ("k / ↑", "previous session"),
    ("1 … 9", "jump to the Nth session"),
    ("Enter / click", "select a session and show its details"),
    ("Tab", "focus the details pane, to scroll it with ↑ ↓"),
    ("r", "reload from the store now"),
    ("t", "next theme: dark, light, cyberpunk, minimal"),
    ("?", "this help"),
    ("q", "quit"),
)

NOTE = (
    "The dashboard only reads the store; 'llm-session serve' (or 'llm-session scan') "
    "reads the assistants' logs into it. It reloads when the store changes, and every "
    "30 s so that health and idle times stay current."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        keys = "\n".join(f"[b]{key:<14}[/b]{what}" for key, what in KEYS)
        with Vertical(id="help"):
            yield Static(f"[b]Keys[/b]\n\n{keys}\n\n[dim]{NOTE}[/dim]\n\nPress Esc to close.")
