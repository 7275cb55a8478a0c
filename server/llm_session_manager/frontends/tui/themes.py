"""The dashboard's four colour schemes, as Textual themes named like ``dashboard.color_scheme``.

Registered under the config's own names, so ``app.theme`` is always one of
``dark``, ``light``, ``cyberpunk``, ``minimal``. Widgets that colour cells
themselves (health, context bars, chart) take the colours of the current
theme, so one switch recolours everything.
"""

from __future__ import annotations

import typing

from textual.theme import Theme

from ...core.config import ColorScheme

NAMES: tuple[str, ...] = typing.get_args(ColorScheme)

THEMES: dict[str, Theme] = {
    "dark": Theme(
        name="dark",
        primary="#0178D4",
        secondary="#004578",
        accent="#ffa62b",
        warning="#ffa62b",
        error="#e0556f",
        success="#4EBF71",
        foreground="#e0e0e0",
    ),
    "light": Theme(
        name="light",
        primary="#004578",
        secondary="#0178D4",
        accent="#b85f00",
        warning="#b86e00",
        error="#b3243e",
        success="#217a3c",
        surface="#D8D8D8",
        panel="#D0D0D0",
        background="#E8E8E8",
        foreground="#1e1e1e",
        dark=False,
    ),
    "cyberpunk": Theme(
        name="cyberpunk",
        primary="#ff2a6d",
        secondary="#05d9e8",
        accent="#05d9e8",
        warning="#f9c80e",
        error="#ff3864",
        success="#01ff89",
        foreground="#d1f7ff",
        background="#0d0221",
        surface="#1a0b3b",
        panel="#261447",
        variables={"footer-key-foreground": "#05d9e8", "block-cursor-background": "#ff2a6d"},
    ),
    # Greys only, so nothing but a problem draws the eye: critical stays red.
    "minimal": Theme(
        name="minimal",
        primary="#8a8a8a",
        secondary="#6c6c6c",
        accent="#d0d0d0",
        warning="#d0d0d0",
        error="#ff5f5f",
        success="#9e9e9e",
        foreground="#c6c6c6",
        background="#121212",
        surface="#1c1c1c",
        panel="#262626",
        variables={"block-cursor-text-style": "bold", "footer-key-foreground": "#d0d0d0"},
    ),
}


def following(name: str) -> str:
    """The theme after ``name`` in ``t``'s cycle."""
    return NAMES[(NAMES.index(name) + 1) % len(NAMES)] if name in NAMES else NAMES[0]
