"""Where Copilot keeps its sessions, and what a VS Code URI names on disk.

VS Code Copilot Chat: the chat framework of VS Code itself (``ChatSessionStore`` in
``src/vs/workbench/contrib/chat/common/model/chatSessionStore.ts``) writes one file
per session to ``<user data>/User/workspaceStorage/<hash>/chatSessions/`` and, for a
window with no folder open, to ``<user data>/User/globalStorage/emptyWindowChatSessions/``.
The user data directory is Electron's ``appData`` plus the product name: ``Code``,
``Code - Insiders`` or ``VSCodium``; ``VSCODE_APPDATA`` moves ``appData`` and a
portable install keeps it in ``$VSCODE_PORTABLE/user-data``.

Copilot CLI: ``$COPILOT_HOME`` (default ``~/.copilot``) holds ``session-state/<id>/events.jsonl``;
CLIs before 1.0 read ``$XDG_CONFIG_HOME/.copilot`` when that variable was set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import unquote

import msgspec

from ..base import list_dir, subdirs, warn

PRODUCTS = ("Code", "Code - Insiders", "VSCodium")
CHAT_DIRS = ("chatSessions", "emptyWindowChatSessions")
_SESSION_SUFFIXES = (".json", ".jsonl")


def vscode_roots(env: Mapping[str, str], home: Path) -> list[Path]:
    """Each product's user data directory on Linux, macOS and Windows, most specific first."""
    bases: list[Path] = []
    if moved := env.get("VSCODE_APPDATA", "").strip():
        bases.append(Path(moved).expanduser())
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    bases.append(Path(xdg).expanduser() if xdg else home / ".config")
    bases.append(home / "Library" / "Application Support")
    roaming = env.get("APPDATA", "").strip()
    bases.append(Path(roaming) if roaming else home / "AppData" / "Roaming")
    roots = [base / product for base in bases for product in PRODUCTS]
    if portable := env.get("VSCODE_PORTABLE", "").strip():
        roots.insert(0, Path(portable).expanduser() / "user-data")
    return list(dict.fromkeys(roots))


def copilot_homes(env: Mapping[str, str], home: Path) -> list[Path]:
    """``$COPILOT_HOME``, else ``~/.copilot`` and the pre-1.0 ``$XDG_CONFIG_HOME/.copilot``."""
    if explicit := env.get("COPILOT_HOME", "").strip():
        return [Path(explicit).expanduser()]
    homes = [home / ".copilot"]
    if xdg := env.get("XDG_CONFIG_HOME", "").strip():
        homes.append(Path(xdg).expanduser() / ".copilot")
    return list(dict.fromkeys(homes))


def chat_session_files(root: Path) -> Iterator[str]:
    """Session files under a user data directory, its ``User`` directory, or a chat directory.

    Only the chat directories are listed: ``workspaceStorage`` also holds every
    extension's state (edit snapshots, indexes), far too much to walk.
    """
    if root.name in CHAT_DIRS:
        yield from _session_files(os.fspath(root))
        return
    user = root / "User" if (root / "User").is_dir() else root
    for workspace in subdirs(os.path.join(user, "workspaceStorage")):
        yield from _session_files(os.path.join(workspace, "chatSessions"))
    yield from _session_files(os.path.join(user, "globalStorage", "emptyWindowChatSessions"))


def cli_session_files(root: Path) -> Iterator[str]:
    """``<id>/events.jsonl`` and the older flat ``<id>.jsonl`` under ``session-state``.

    ``root`` is a Copilot home or its ``session-state`` directory itself.
    """
    state = root / "session-state"
    if not state.is_dir():
        if root.name != "session-state":
            return
        state = root
    found: list[tuple[str, str]] = []  # (name in session-state, log)
    for entry in list_dir(os.fspath(state)):
        try:
            if entry.is_dir():
                events = os.path.join(entry.path, "events.jsonl")
                if os.path.isfile(events):
                    found.append((entry.name, events))
            elif entry.name.endswith(".jsonl") and entry.is_file():
                found.append((entry.name, entry.path))
        except OSError as e:
            warn(f"{entry.path}: {e.strerror or e}; skipped")
    # By name, as sorted Paths would be: "<id>/events.jsonl" sorts by "<id>".
    yield from (log for _, log in sorted(found))


def _session_files(top: str) -> list[str]:
    return sorted(e.path for e in list_dir(top) if e.name.endswith(_SESSION_SUFFIXES) and _is_file(e))


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError as e:  # a link that loops
        warn(f"{entry.path}: {e.strerror or e}; skipped")
        return False


class _Workspace(msgspec.Struct):
    folder: str | None = None
    workspace: str | None = None  # a multi-root ``.code-workspace`` file


_WORKSPACE = msgspec.json.Decoder(_Workspace)


def workspace_cwd(session_file: Path) -> str | None:
    """The folder of the window a chat session belongs to, from the ``workspace.json``
    next to its ``chatSessions`` directory; None for an empty window."""
    if session_file.parent.name != "chatSessions":
        return None
    try:
        ws = _WORKSPACE.decode((session_file.parent.parent / "workspace.json").read_bytes())
    except (OSError, msgspec.MsgspecError, UnicodeDecodeError):
        return None
    if ws.folder:
        return uri_path(ws.folder)
    if ws.workspace and (path := uri_path(ws.workspace)):
        return path.rpartition("/")[0] or "/"
    return None


def uri_path(uri: object) -> str | None:
    """The file system path of a ``file://`` or ``vscode-remote://`` URI, given as a
    string or as VS Code's serialized ``UriComponents`` (``{"scheme", "path", "fsPath"?}``)."""
    if isinstance(uri, dict):
        scheme, path = uri.get("scheme"), uri.get("path")
        if scheme not in ("file", "vscode-remote") or not isinstance(path, str) or not path:
            return None
        fs_path = uri.get("fsPath")
        return fs_path if isinstance(fs_path, str) and fs_path else _drive(path)
    if not isinstance(uri, str):
        return None
    for prefix in ("file://", "vscode-remote://"):
        if uri.startswith(prefix):
            rest = uri[len(prefix):]
            path = unquote(rest[rest.find("/"):]) if "/" in rest else ""
            return _drive(path.rstrip("/") or "/") if path else None
    return None


def _drive(path: str) -> str:
    """``/c:/Users/x`` (a Windows path in a URI) as ``c:/Users/x``."""
    if len(path) > 2 and path[0] == "/" and path[2] == ":" and path[1].isalpha():
        return path[1:]
    return path
