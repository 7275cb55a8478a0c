"""The assistants' own config files we edit (MCP entries, hooks, status line, telemetry): found, read, written safely.

Their users edit these files by hand and other tools write them too, so a
change keeps every key we do not own, is written atomically (a crash never
leaves half a file) with the old file's mode, and copies the old file to
``<file>.bak-<timestamp>`` first. A JSON file that does not parse as an object
is never rewritten: the error says so, and what we wanted is added by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import BadInput


def claude_dir(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """Claude Code's config directory: ``CLAUDE_CONFIG_DIR`` (its first entry, the one it reads) or ``~/.claude``."""
    env = os.environ if env is None else env
    raw = env.get("CLAUDE_CONFIG_DIR", "").split(",")[0].strip()
    return Path(raw).expanduser() if raw else (Path.home() if home is None else home) / ".claude"


def claude_settings(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    return claude_dir(env, home) / "settings.json"


def codex_config(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """Codex's ``config.toml``: in ``CODEX_HOME``, else ``~/.codex``."""
    env = os.environ if env is None else env
    codex_home = env.get("CODEX_HOME", "").strip()
    return (Path(codex_home).expanduser() if codex_home else (Path.home() if home is None else home) / ".codex") \
        / "config.toml"


def gemini_settings(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """Gemini CLI's user settings: ``$GEMINI_CLI_HOME/.gemini/settings.json``, else ``~/.gemini/settings.json``."""
    env = os.environ if env is None else env
    cli_home = env.get("GEMINI_CLI_HOME", "").strip()
    base = Path(cli_home).expanduser() if cli_home else (Path.home() if home is None else home)
    return base / ".gemini" / "settings.json"


def llm_session_command(*args: str) -> list[str]:
    """How an assistant should start ``llm-session ARGS``: an absolute path, as assistants run with a bare PATH."""
    script = Path(sys.executable).with_name("llm-session")
    if script.exists():
        return [str(script), *args]
    found = shutil.which("llm-session")
    if found:
        return [str(Path(found).resolve()), *args]
    return [sys.executable, "-m", "llm_session_manager", *args]


def read_text(path: Path) -> str | None:
    """The file's text; None when there is no file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from e


def read_json(path: Path) -> dict[str, Any]:
    """A JSON settings file as a dict; ``{}`` when there is no file (or an empty one)."""
    text = read_text(path)
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"cannot parse {path} ({e.msg} at line {e.lineno}); it is left as it is") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path} does not hold a JSON object; it is left as it is")
    return data


def write(path: Path, text: str, now: float | None = None) -> Path | None:
    """Write ``text`` to ``path`` atomically, after a backup of the old file; the backup's path."""
    backup = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
            backup = path.with_name(f"{path.name}.bak-{stamp}")
            shutil.copy2(path, backup)
        tmp = path.with_name(f".{path.name}.llm-session-tmp")
        tmp.write_text(text, encoding="utf-8")
        if backup is not None:
            shutil.copymode(backup, tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise BadInput(f"cannot write {path}: {e.strerror}") from e
    return backup


def write_json(path: Path, data: Mapping[str, Any], now: float | None = None) -> Path | None:
    """``write`` of a JSON settings file, indented as people keep them."""
    return write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", now)
