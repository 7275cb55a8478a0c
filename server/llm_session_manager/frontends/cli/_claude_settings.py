"""Claude Code's user settings file, ``settings.json``: found, read and written safely.

It lives in ``$CLAUDE_CONFIG_DIR`` (its first entry, as Claude Code reads one
directory) or ``~/.claude``. The user edits it by hand and other tools write
it too, so a change keeps every key we do not own, is written atomically (a
crash never leaves half a file) and copies the old file to
``settings.json.bak-<timestamp>`` first. A file that does not parse as a JSON
object is never rewritten: the error says what to add by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...core.errors import BadInput

FILE_NAME = "settings.json"


def config_dir(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """Claude Code's config directory: ``CLAUDE_CONFIG_DIR`` (its first entry) or ``~/.claude``."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    raw = env.get("CLAUDE_CONFIG_DIR", "").split(",")[0].strip()
    return Path(raw).expanduser() if raw else home / ".claude"


def settings_path(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    return config_dir(env, home) / FILE_NAME


def read(path: Path) -> dict[str, Any]:
    """The settings as a dict; ``{}`` when there is no file (or an empty one)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from e
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"cannot parse {path} ({e.msg} at line {e.lineno}); it is left as it is") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path} does not hold a JSON object; it is left as it is")
    return data


def write(path: Path, data: dict[str, Any], now: float | None = None) -> Path | None:
    """Write ``data`` to ``path`` atomically, after a backup of the old file; the backup's path."""
    backup = None
    if path.exists():
        stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
        backup = path.with_name(f"{path.name}.bak-{stamp}")
        shutil.copy2(path, backup)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.llm-session-tmp")
        tmp.write_text(text, encoding="utf-8")
        if backup is not None:
            shutil.copymode(backup, tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise BadInput(f"cannot write {path}: {e.strerror}") from e
    return backup
