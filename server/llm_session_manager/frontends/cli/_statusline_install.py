"""``llm-session statusline install|uninstall``: the ``statusLine`` entry in Claude Code's settings.

Claude Code reads ``statusLine`` from ``settings.json`` in its config directory
(``$CLAUDE_CONFIG_DIR``, else ``~/.claude``): ``{"type": "command", "command": ...}``.
Installing is idempotent (the same entry leaves the file untouched), keeps every
other setting, copies the file to ``settings.json.bak-<timestamp>`` before
changing it, and never replaces another program's status line without
``--force``. A file that is not JSON is never rewritten.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import msgspec

from ...core import assistant_files
from ...core.errors import BadInput
from ._context import Context

KEY = "statusLine"


class Outcome(msgspec.Struct):
    path: str
    changed: bool
    backup: str | None
    entry: dict[str, Any] | None  # what the file holds now (None: no status line)
    action: str  # installed, updated, unchanged, removed, absent


def settings_path(given: str | None = None) -> Path:
    return Path(given).expanduser() if given else assistant_files.claude_settings()


def command_line() -> str:
    """How Claude Code should run us: an absolute path, as it runs commands with its own PATH."""
    return shlex.join(assistant_files.llm_session_command("statusline"))


def is_ours(entry: object) -> bool:
    command = entry.get("command") if isinstance(entry, dict) else None
    return isinstance(command, str) and "statusline" in command and (
        "llm-session" in command or "llm_session_manager" in command)


def install(path: Path, *, force: bool = False, dry_run: bool = False, now: float | None = None) -> Outcome:
    data = assistant_files.read_json(path)
    entry = {"type": "command", "command": command_line(), "padding": 0}
    old = data.get(KEY)
    if old == entry:
        return Outcome(str(path), False, None, entry, "unchanged")
    if old is not None and not is_ours(old) and not force:
        raise BadInput(f"{path} already has a status line ({_shown(old)}); it is left as it is. "
                       "Use --force to replace it (the file is backed up first)")
    data[KEY] = entry
    backup = None if dry_run else _backup_name(assistant_files.write_json(path, data, now))
    return Outcome(str(path), True, backup, entry, "updated" if old is not None else "installed")


def uninstall(path: Path, *, force: bool = False, dry_run: bool = False, now: float | None = None) -> Outcome:
    data = assistant_files.read_json(path)
    old = data.get(KEY)
    if old is None:
        return Outcome(str(path), False, None, None, "absent")
    if not is_ours(old) and not force:
        raise BadInput(f"{path} has another program's status line ({_shown(old)}); it is left as it is. "
                       "Use --force to remove it anyway")
    del data[KEY]
    backup = None if dry_run else _backup_name(assistant_files.write_json(path, data, now))
    return Outcome(str(path), True, backup, None, "removed")


def _shown(entry: object) -> str:
    command = entry.get("command") if isinstance(entry, dict) else None
    return repr(command) if isinstance(command, str) else json.dumps(entry)[:80]


def _backup_name(backup: Path | None) -> str | None:
    return None if backup is None else str(backup)


def cmd_statusline_install(ctx: Context) -> None:
    a = ctx.args
    _show(ctx, install(settings_path(a.settings), force=a.force, dry_run=a.print), a.print)


def cmd_statusline_uninstall(ctx: Context) -> None:
    a = ctx.args
    _show(ctx, uninstall(settings_path(a.settings), force=a.force, dry_run=a.print), a.print)


def _show(ctx: Context, outcome: Outcome, dry_run: bool) -> None:
    if ctx.args.json:
        from ._context import write_json

        write_json(msgspec.json.format(msgspec.json.encode(outcome), indent=2))
        return
    would = "would be " if dry_run and outcome.changed else ""
    says = {"installed": f"status line {would}installed in {outcome.path}",
            "updated": f"status line {would}updated in {outcome.path}",
            "unchanged": f"status line already installed in {outcome.path}; nothing changed",
            "removed": f"status line {would}removed from {outcome.path}",
            "absent": f"no status line in {outcome.path}; nothing changed"}
    print(says[outcome.action])
    if outcome.entry is not None and outcome.action != "removed":
        print(json.dumps({KEY: outcome.entry}, indent=2))
    if outcome.backup:
        print(f"backup: {outcome.backup}")
