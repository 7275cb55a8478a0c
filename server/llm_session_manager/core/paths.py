"""Where this install keeps its data: one directory, chosen by the environment."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing: the status line's client reads this module
if TYPE_CHECKING:
    from pathlib import Path

DATA_DIR_NAME = "llm-session-manager"


def data_dir() -> Path:
    """The database directory: ``LLM_SESSION_DATA_DIR``, else the XDG data dir."""
    from pathlib import Path

    return Path(data_dir_text())


def data_dir_text() -> str:
    """``data_dir()`` as a string, without pathlib (40 M instructions to import): for the
    status line's client, which must hand off to its agent before importing anything."""
    explicit = os.environ.get("LLM_SESSION_DATA_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(xdg, DATA_DIR_NAME)
