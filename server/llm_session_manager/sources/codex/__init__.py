"""OpenAI Codex CLI: rollout logs under ``$CODEX_HOME`` (default ``~/.codex``).

Codex appends one JSON line per item to
``sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl``; ``codex resume`` appends to the
same file and archiving moves it, flat, to ``archived_sessions/``.

Usage is counted as ``ccusage codex`` counts it (the rules are in ``_usage``); the
conversation kept and the files tool calls touched are in ``_conversation`` (shell
commands are read by ``..shell_paths``); the line shapes and the state carried from
one chunk to the next are in ``_lines``; and ``_chunk`` runs one chunk of a rollout
through them. They are imported on first use: a rescan that finds nothing new
never needs them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout, find_files


class Codex:
    provider = "codex"
    exact = True
    layout: Layout = "lines"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        codex_home = env.get("CODEX_HOME", "").strip()
        return [Path(codex_home).expanduser()] if codex_home else [home / ".codex"]

    def discover(self, root: Path) -> Iterator[str]:
        """Rollouts in ``sessions/`` and ``archived_sessions/``, as ccusage reads them.

        A root holding neither is taken as a directory of rollouts itself, so a
        configured path may name ``sessions/`` directly.
        """
        dirs = [d for d in (root / "sessions", root / "archived_sessions") if d.is_dir()]
        if not dirs and root.is_dir():
            dirs = [root]
        for d in dirs:
            yield from find_files(d, lambda name: name.startswith("rollout-") and name.endswith(".jsonl"))

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._chunk import parse_chunk

        return parse_chunk(path, data, state)


SOURCE = Codex()

__all__ = ["SOURCE", "Codex"]
