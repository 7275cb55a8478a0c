"""Where this install keeps its data: one directory, chosen by the environment."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The database directory: ``LLM_SESSION_DATA_DIR``, else the XDG data dir."""
    explicit = os.environ.get("LLM_SESSION_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(xdg) / "llm-session-manager"
