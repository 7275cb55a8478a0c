"""``llm-session hooks install|uninstall|status``: our hooks in each assistant's settings.

=============  =============================================  ==========================================
client         where                                          what
=============  =============================================  ==========================================
claude-code    ``$CLAUDE_CONFIG_DIR/settings.json`` (or        a command hook per event in ``EVENTS``:
               ``~/.claude/settings.json``) ``hooks``          ``llm-session hook EVENT``, JSON on stdin
codex          ``$CODEX_HOME/config.toml`` (or                 ``notify = [llm-session, hook, codex-notify]``:
               ``~/.codex/config.toml``) top-level ``notify``  JSON as the last argument
gemini         ``$GEMINI_CLI_HOME/.gemini/settings.json`` (or  a command hook per event in ``GEMINI_EVENTS``:
               ``~/.gemini/settings.json``) ``hooks``          ``llm-session hook --client gemini EVENT``
=============  =============================================  ==========================================

Gemini CLI's ``hooks`` have Claude Code's shape (event -> matcher groups -> command
handlers), with ``timeout`` in milliseconds and a ``name``; Gemini runs them only
where ``hooksConfig.enabled`` is not false, which is the user's to set.

Installing is idempotent (our entries already there: the file is not touched),
never removes or changes another hook, and backs the file up before changing
it. Uninstalling removes only our entries. Ours are told by their command: the
program ``llm-session`` (or ``python -m llm_session_manager``) and the word
``hook``, so an install from another path is recognised and replaced, not doubled.
Codex runs one ``notify`` program: one that is not ours is left alone and the
install says so.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ...core import assistant_files
from ...core.assistant_files import codex_config, gemini_settings
from ...core.errors import BadInput

CLIENTS = ("claude-code", "codex", "gemini")
EVENTS = ("SessionStart", "PreCompact", "Stop", "SubagentStop", "SessionEnd")
GEMINI_EVENTS = ("SessionStart", "PreCompress", "AfterAgent", "SessionEnd")
CODEX_EVENT = "codex-notify"
# Seconds Claude Code waits for one of our hooks before it kills it: far above
# our own time budget, so only a hook that hangs meets it.
TIMEOUT_S = 10


class Change(NamedTuple):
    client: str
    path: Path
    changed: bool
    backup: Path | None
    events: list[str]  # ours, registered after the change


def program() -> list[str]:
    """How an assistant should start ``llm-session``: an absolute path, as hooks run with a bare PATH."""
    return assistant_files.llm_session_command()


def command_for(event: str, client: str = "claude-code") -> str:
    return shlex.join([*program(), "hook", *(["--client", client] if client != "claude-code" else []), event])


def _handler(event: str, client: str) -> dict[str, Any]:
    if client == "gemini":  # Gemini CLI's timeout is in milliseconds, and a hook has a name
        return {"name": "llm-session", "type": "command", "command": command_for(event, client),
                "timeout": TIMEOUT_S * 1000}
    return {"type": "command", "command": command_for(event), "timeout": TIMEOUT_S}


def is_ours(command: object) -> bool:
    """Whether a hook's command runs ``llm-session hook`` (from wherever it is installed)."""
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return any(word == "hook" and i > 0 and (Path(words[i - 1]).name == "llm-session"
                                             or words[i - 1] == "llm_session_manager")
               for i, word in enumerate(words))


# --- Claude Code ---------------------------------------------------------------


def claude_events(settings: Mapping[str, Any]) -> tuple[list[str], int]:
    """The events our hook is registered for, and how many other command hooks there are."""
    ours: list[str] = []
    others = 0
    hooks = settings.get("hooks")
    for event, groups in (hooks.items() if isinstance(hooks, dict) else ()):
        for group in groups if isinstance(groups, list) else ():
            for handler in (group.get("hooks") or []) if isinstance(group, dict) else ():
                if isinstance(handler, dict) and is_ours(handler.get("command")):
                    if event not in ours:
                        ours.append(event)
                else:
                    others += 1
    return ours, others


def _without_ours(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` less our hooks; groups and events left empty by that go too."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return settings
    kept: dict[str, Any] = {}
    for event, groups in hooks.items():
        if not isinstance(groups, list):
            kept[event] = groups
            continue
        new_groups = []
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(handlers, list):
                new_groups.append(group)
                continue
            left = [h for h in handlers if not (isinstance(h, dict) and is_ours(h.get("command")))]
            if left or not handlers:
                new_groups.append({**group, "hooks": left})
        if new_groups or not groups:
            kept[event] = new_groups
    out = dict(settings)
    if kept:
        out["hooks"] = kept
    else:
        out.pop("hooks", None)
    return out


def _with_ours(settings: dict[str, Any], client: str = "claude-code") -> dict[str, Any]:
    hooks = settings.get("hooks", {})
    if not isinstance(hooks, dict):
        raise BadInput("settings.json: 'hooks' is not an object; it is left as it is")
    out = _without_ours(settings)
    hooks = dict(out.get("hooks", {}))
    for event in GEMINI_EVENTS if client == "gemini" else EVENTS:
        groups = hooks.get(event, [])
        if not isinstance(groups, list):
            raise BadInput(f"settings.json: hooks.{event} is not a list; it is left as it is")
        hooks[event] = [*groups, {"hooks": [_handler(event, client)]}]
    return {**out, "hooks": hooks}


def install_claude(path: Path, now: float | None = None, client: str = "claude-code") -> Change:
    """Our hooks in a ``settings.json`` of Claude Code's (or, ``client``, Gemini CLI's) shape."""
    settings = assistant_files.read_json(path)
    wanted = _with_ours(settings, client)
    if sorted(_mine(settings)) == sorted(_mine(wanted)):
        return Change(client, path, False, None, claude_events(settings)[0])
    backup = assistant_files.write_json(path, wanted, now)
    return Change(client, path, True, backup, claude_events(wanted)[0])


def _mine(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Our (event, command) pairs, in order: what an install must find to change nothing."""
    hooks = settings.get("hooks")
    return [(event, h["command"]) for event, groups in (hooks.items() if isinstance(hooks, dict) else ())
            for group in (groups if isinstance(groups, list) else ()) if isinstance(group, dict)
            for h in (group.get("hooks") or []) if isinstance(h, dict) and is_ours(h.get("command"))]


def uninstall_claude(path: Path, now: float | None = None, client: str = "claude-code") -> Change:
    settings = assistant_files.read_json(path)
    if not claude_events(settings)[0]:
        return Change(client, path, False, None, [])
    backup = assistant_files.write_json(path, _without_ours(settings), now)
    return Change(client, path, True, backup, [])



# --- Codex ---------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[")
_NOTIFY = re.compile(r"^\s*notify\s*=")



def codex_notify(text: str) -> list[str] | None:
    """The top-level ``notify`` program of a Codex config, if it has one."""
    value = _parse_toml(text).get("notify")
    return [str(v) for v in value] if isinstance(value, list) else None


def _parse_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"cannot parse the Codex config ({e}); it is left as it is") from None


def _notify_span(lines: list[str]) -> tuple[int, int] | None:
    """Lines [start, end) of the top-level ``notify = [...]`` (an array may span lines)."""
    for i, line in enumerate(lines):
        if _HEADER.match(line):
            return None  # past the top level
        if _NOTIFY.match(line):
            end, depth = i, 0
            while end < len(lines):
                depth += lines[end].count("[") - lines[end].count("]")
                end += 1
                if depth <= 0:
                    break
            return i, end
    return None


def install_codex(path: Path, now: float | None = None) -> Change:
    text = assistant_files.read_text(path) or ""
    current = codex_notify(text)
    wanted = [*program(), "hook", CODEX_EVENT]
    if current == wanted:
        return Change("codex", path, False, None, [CODEX_EVENT])
    if current is not None and not is_ours(shlex.join(current)):
        raise BadInput(f"{path} already runs another notify program ({shlex.join(current)}); Codex runs "
                       "only one, so it is left as it is. To use ours instead, replace that line with:\n"
                       f"notify = {_toml_array(wanted)}")
    lines = text.splitlines(keepends=True)
    line = f"notify = {_toml_array(wanted)}\n"
    span = _notify_span(lines)
    if span is not None:
        lines[span[0]:span[1]] = [line]
    else:
        at = next((i for i, ln in enumerate(lines) if _HEADER.match(ln)), len(lines))
        while at > 0 and not lines[at - 1].strip():
            at -= 1  # after the last top-level key, before the blank lines that set off the tables
        if at > 0 and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines[at:at] = [line] + (["\n"] if at == 0 and lines else [])
    new = "".join(lines)
    if codex_notify(new) != wanted:
        raise BadInput(f"{path} defines notify in a form this installer does not edit; add by hand:\n{line}")
    backup = assistant_files.write(path, new, now)
    return Change("codex", path, True, backup, [CODEX_EVENT])


def uninstall_codex(path: Path, now: float | None = None) -> Change:
    text = assistant_files.read_text(path) or ""
    current = codex_notify(text)
    if current is None or not is_ours(shlex.join(current)):
        return Change("codex", path, False, None, [])
    lines = text.splitlines(keepends=True)
    span = _notify_span(lines)
    if span is None:  # ours, but not where this installer puts it: leave it
        raise BadInput(f"{path}: notify is set in a form this uninstaller does not edit; remove it by hand")
    end = span[1] + (1 if span[0] == 0 and span[1] < len(lines) and not lines[span[1]].strip() else 0)
    del lines[span[0]:end]
    backup = assistant_files.write(path, "".join(lines), now)
    return Change("codex", path, True, backup, [])


def _toml_array(words: list[str]) -> str:
    import json

    return "[" + ", ".join(json.dumps(w) for w in words) + "]"




# --- both ----------------------------------------------------------------------


class Status(NamedTuple):
    client: str
    path: Path
    exists: bool
    events: list[str]  # ours
    others: int  # hooks (or a notify program) that are not ours


def status(client: str) -> Status:
    if client in ("claude-code", "gemini"):
        path = assistant_files.claude_settings() if client == "claude-code" else gemini_settings()
        ours, others = claude_events(assistant_files.read_json(path))
        return Status(client, path, path.exists(), ours, others)
    path = codex_config()
    current = codex_notify(assistant_files.read_text(path) or "")
    mine = current is not None and is_ours(shlex.join(current))
    return Status(client, path, path.exists(), [CODEX_EVENT] if mine else [], int(current is not None and not mine))


def install(client: str) -> Change:
    if client == "codex":
        return install_codex(codex_config())
    if client == "gemini":
        return install_claude(gemini_settings(), client=client)
    return install_claude(assistant_files.claude_settings())


def uninstall(client: str) -> Change:
    if client == "codex":
        return uninstall_codex(codex_config())
    if client == "gemini":
        return uninstall_claude(gemini_settings(), client=client)
    return uninstall_claude(assistant_files.claude_settings())
