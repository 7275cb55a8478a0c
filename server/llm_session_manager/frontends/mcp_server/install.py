"""``llm-session mcp install``: add this server to an MCP client's configuration.

Each client keeps its servers somewhere else, in its own shape:

=============  ==============================================  =====================================
client         user scope                                      project scope (current directory)
=============  ==============================================  =====================================
claude-code    ``~/.claude.json`` ``mcpServers``               ``.mcp.json`` ``mcpServers``
cursor         ``~/.cursor/mcp.json`` ``mcpServers``           ``.cursor/mcp.json``
vscode         ``<user config>/Code/User/mcp.json`` ``servers``  ``.vscode/mcp.json`` ``servers``
codex          ``$CODEX_HOME/config.toml`` ``[mcp_servers.*]``   ``.codex/config.toml``
gemini         ``~/.gemini/settings.json`` ``mcpServers``      ``.gemini/settings.json``
=============  ==============================================  =====================================

Installing is idempotent (an entry already as it should be is left alone,
file untouched), keeps every other server and setting, and copies a file to
``<file>.bak-<timestamp>`` before changing it. A file we cannot parse (JSON
with comments, say) is never rewritten: the error shows the entry to add by hand.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ...core import assistant_files
from ...core.errors import BadInput
from ...core.models import MCP_SERVER_NAME

SERVER_NAME = MCP_SERVER_NAME  # our tools show in the assistants' logs as mcp__llm-session__<tool>
CLIENTS = ("claude-code", "cursor", "vscode", "codex", "gemini")
SCOPES = ("user", "project")


class Target(NamedTuple):
    client: str
    scope: str
    path: Path
    key: str | None  # the JSON object holding servers; None for Codex's TOML
    entry: dict[str, Any]


class Outcome(NamedTuple):
    path: Path
    changed: bool
    backup: Path | None
    snippet: str  # the entry as it appears in the file's format


def server_command() -> tuple[str, list[str]]:
    """How a client should start ``llm-session mcp``: an absolute path, as clients run with a bare PATH."""
    command, *args = assistant_files.llm_session_command("mcp")
    return command, args


def target(client: str, scope: str = "user", *, home: Path | None = None, cwd: Path | None = None,
           env: Mapping[str, str] | None = None) -> Target:
    """Where and what to write for ``client`` in ``scope``."""
    if client not in CLIENTS:
        raise BadInput(f"unknown MCP client {client!r}; one of {', '.join(CLIENTS)}")
    if scope not in SCOPES:
        raise BadInput(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    cwd = Path.cwd() if cwd is None else cwd
    command, args = server_command()
    project = scope == "project"
    if client == "claude-code":
        claude_dir = Path(env["CLAUDE_CONFIG_DIR"]) if env.get("CLAUDE_CONFIG_DIR") else home
        path = cwd / ".mcp.json" if project else claude_dir / ".claude.json"
        return Target(client, scope, path, "mcpServers", {"type": "stdio", "command": command, "args": args, "env": {}})
    if client == "cursor":
        path = (cwd if project else home) / ".cursor" / "mcp.json"
        return Target(client, scope, path, "mcpServers", {"command": command, "args": args})
    if client == "vscode":
        path = cwd / ".vscode" / "mcp.json" if project else _vscode_user_dir(home, env) / "mcp.json"
        return Target(client, scope, path, "servers", {"type": "stdio", "command": command, "args": args})
    if client == "codex":
        path = cwd / ".codex" / "config.toml" if project else assistant_files.codex_config(env, home)
        return Target(client, scope, path, None, {"command": command, "args": args})
    path = cwd / ".gemini" / "settings.json" if project else assistant_files.gemini_settings(env, home)
    return Target(client, scope, path, "mcpServers", {"command": command, "args": args})


def install(t: Target, *, dry_run: bool = False, now: float | None = None) -> Outcome:
    """Write ``t``'s entry into its file (unless ``dry_run``); what was (or would be) done."""
    old_text = assistant_files.read_text(t.path)
    if t.key is None:
        new_text, snippet = _toml_with_entry(t, old_text)
    else:
        new_text, snippet = _json_with_entry(t, old_text)
    changed = new_text != old_text
    backup = None
    if changed and not dry_run:
        assert new_text is not None  # changed: only an unchanged text comes back as None
        backup = assistant_files.write(t.path, new_text, now)
    return Outcome(t.path, changed, backup, snippet)


# --- JSON clients ------------------------------------------------------------


def _json_with_entry(t: Target, old_text: str | None) -> tuple[str | None, str]:
    key = t.key
    assert key is not None  # install() sends only targets with a JSON key here
    snippet = json.dumps({t.key: {SERVER_NAME: t.entry}}, indent=2)
    if old_text is None or not old_text.strip():
        data: dict[str, Any] = {}
    else:
        try:
            data = json.loads(old_text)
        except json.JSONDecodeError as e:
            raise BadInput(
                f"cannot parse {t.path} ({e.msg} at line {e.lineno}); it is left as it is. "
                f"Add this entry by hand:\n{snippet}"
            ) from None
        if not isinstance(data, dict):
            raise BadInput(f"{t.path} does not hold a JSON object; it is left as it is")
    servers = data.get(key)
    if servers is None:
        servers = data[key] = {}
    elif not isinstance(servers, dict):
        raise BadInput(f"{t.path}: {t.key!r} is not an object; it is left as it is")
    if servers.get(SERVER_NAME) == t.entry:
        return old_text, snippet
    servers[SERVER_NAME] = t.entry
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n", snippet


# --- Codex (TOML) ------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[")
_OUR_TABLE = re.compile(r"""^\s*\[\s*mcp_servers\s*\.\s*(?:llm-session|"llm-session"|'llm-session')\s*\]\s*(?:#.*)?$""")


def _toml_with_entry(t: Target, old_text: str | None) -> tuple[str | None, str]:
    block = (
        f"[mcp_servers.{SERVER_NAME}]\n"
        f"command = {json.dumps(t.entry['command'])}\n"
        f"args = [{', '.join(json.dumps(a) for a in t.entry['args'])}]\n"
    )
    old = old_text or ""
    try:
        data = tomllib.loads(old)
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"cannot parse {t.path} ({e}); it is left as it is. Add this by hand:\n{block}") from None
    current = data.get("mcp_servers", {}).get(SERVER_NAME)
    if isinstance(current, dict) and {k: current.get(k) for k in ("command", "args")} == t.entry:
        return old_text, block
    lines = old.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _OUR_TABLE.match(line)), None)
    if start is None:
        sep = "" if not old or old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
        new = old + sep + block
    else:  # replace our table's own keys; its sub-tables ([mcp_servers.llm-session.env]) stay
        end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + block + ("\n" + tail if tail else "")
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        raise BadInput(
            f"{t.path} defines {SERVER_NAME} in a form this installer does not edit; "
            f"it is left as it is. Replace that definition with:\n{block}"
        ) from None
    return new, block




def _vscode_user_dir(home: Path, env: Mapping[str, str]) -> Path:
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Code" / "User"
    if sys.platform == "win32":
        return Path(env.get("APPDATA") or home / "AppData" / "Roaming") / "Code" / "User"
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "Code" / "User"
