"""GitHub Copilot: VS Code Copilot Chat sessions and Copilot CLI sessions.

Two sources under one provider id, because the two write differently:

* ``SOURCE`` — VS Code (``Code``, ``Code - Insiders``, ``VSCodium``) keeps each chat
  session as one file under the user data directory (``_paths``): a JSON document
  rewritten in place, or since early 2026 a mutation log replayed into that document
  (``_journal``); either is read whole whenever it changes. Copilot Chat logs token
  counts only in recent versions; older turns are estimated (``_chat``, ``_chat_parts``).
* ``CLI_SOURCE`` — the Copilot CLI appends events to
  ``$COPILOT_HOME/session-state/<id>/events.jsonl`` (``_cli_events``); only appended
  lines are read, with the state of the chunk before (``_cli``).

The readers are imported on first use: a rescan that finds nothing new never needs them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout
from ._paths import chat_session_files, cli_session_files, copilot_homes, vscode_roots


class CopilotChat:
    provider = "copilot"
    exact = False  # rows say which of their counts VS Code recorded
    layout: Layout = "document"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        return vscode_roots(env, home)

    def discover(self, root: Path) -> Iterator[str]:
        """Sessions of every workspace and of empty windows; a configured path may also
        name a ``User`` directory or a ``chatSessions`` directory itself."""
        return chat_session_files(root)

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._chat import parse_chat

        return parse_chat(path, data)


class CopilotCli:
    provider = "copilot"
    exact = True
    layout: Layout = "lines"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        return copilot_homes(env, home)

    def discover(self, root: Path) -> Iterator[str]:
        return cli_session_files(root)

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._cli import parse_events

        return parse_events(path, data, state)


SOURCE = CopilotChat()
CLI_SOURCE = CopilotCli()

__all__ = ["CLI_SOURCE", "SOURCE", "CopilotChat", "CopilotCli"]
