"""Files a Cursor bubble touched: its tool call, and the files attached to a prompt.

An agent step is an assistant bubble whose ``toolFormerData`` names the tool and
carries its arguments as JSON text (``params``, or ``rawArgs`` in older versions),
with keys that changed across versions (``target_file`` → ``targetFile``, and
``relativeWorkspacePath`` for ``edit_file_v2``). Terminal commands go through
``shell_paths``. A prompt's attached files (``context.fileSelections``) and the
files Cursor put in its context (``relevantFiles``) count as read.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from ..base import DECODE_ERRORS
from ..shell_paths import paths_from_command
from ._shapes import Bubble

Ref = tuple[str, str]  # (path, action)

_ACTIONS = {
    "read_file": "read",
    "read_file_v2": "read",
    "edit_file": "edit",
    "edit_file_v2": "edit",
    "search_replace": "edit",
    "delete_file": "edit",
    "write": "write",
    "list_dir": "list",
    "list_dir_v2": "list",
    "grep_search": "search",
    "file_search": "search",
    "glob_file_search": "search",
    "codebase_search": "search",
}
_SHELLS = frozenset({"run_terminal_cmd", "run_terminal_command_v2"})
_PATH_KEYS = (
    "target_file",
    "targetFile",
    "relativeWorkspacePath",
    "relative_workspace_path",
    "file_path",
    "filePath",
    "path",
    "target_directory",
    "targetDirectory",
)


def file_refs(b: Bubble, cwd: str | None) -> list[Ref]:
    refs: list[Ref] = []
    tool = b.toolFormerData
    if tool is not None and tool.name:
        args = _arguments(tool.params) or _arguments(tool.rawArgs)
        if tool.name in _SHELLS:
            command = args.get("command")
            if isinstance(command, str) and command:
                refs += paths_from_command(command, _str(args.get("cwd")) or cwd)
        elif (action := _ACTIONS.get(tool.name)) is not None:
            path = next((p for k in _PATH_KEYS if (p := _str(args.get(k)))), None)
            if path:
                refs.append((_absolute(path, cwd), action))
    for path in _attached(b):
        refs.append((_absolute(path, cwd), "read"))
    return list(dict.fromkeys(refs))


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw:
        try:
            decoded = msgspec.json.decode(raw)
        except DECODE_ERRORS:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def _attached(b: Bubble) -> list[str]:
    """Paths in ``relevantFiles`` and ``context.fileSelections`` (strings, or objects
    with ``path``, ``fsPath`` or ``uri.fsPath``)."""
    items: list[Any] = []
    if isinstance(b.relevantFiles, list):
        items += b.relevantFiles
    if isinstance(b.context, dict) and isinstance(b.context.get("fileSelections"), list):
        items += b.context["fileSelections"]
    paths = []
    for item in items:
        if isinstance(item, dict):
            uri = item.get("uri")
            inner = uri.get("fsPath") if isinstance(uri, dict) else None
            item = inner or item.get("fsPath") or item.get("path")
        if isinstance(item, str) and item:
            paths.append(item)
    return paths


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _absolute(path: str, cwd: str | None) -> str:
    if os.path.isabs(path) or not cwd:
        return path
    return os.path.normpath(os.path.join(cwd, path))
