"""Claude Code: ``<config dir>/projects/<project>/<session>.jsonl`` transcripts.

Usage is counted as ccusage counts it (the rules are in ``_usage``); the
conversation kept is in ``_conversation``, with what each response did (its tool
calls, their results, sub-agents: ``_calls``); the line shapes in ``_lines``; and
``_chunk`` runs one chunk of a file through all three. They are imported on
first use: a rescan that finds nothing new never needs them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout, find_files


class ClaudeCode:
    provider = "claude-code"
    exact = True
    layout: Layout = "lines"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        """``CLAUDE_CONFIG_DIR`` (comma-separated) if set, else both places Claude Code has used."""
        raw = env.get("CLAUDE_CONFIG_DIR", "").strip()
        if not raw:
            config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
            return [config / "claude", home / ".claude"]
        roots: list[Path] = []
        for entry in raw.split(","):
            entry = entry.strip()
            if not entry:
                continue
            path = home / entry[2:] if entry == "~" or entry.startswith("~/") else Path(entry).expanduser()
            if path.name == "projects":  # ccusage also accepts the projects dir itself
                path = path.parent
            if path not in roots:
                roots.append(path)
        return roots

    def discover(self, root: Path) -> Iterator[str]:
        """Every transcript, sub-agent ones (``<session>/subagents/agent-*.jsonl``) included."""
        yield from find_files(root / "projects", lambda name: name.endswith(".jsonl"))

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._chunk import parse_chunk

        return parse_chunk(path, data, state)

    def prepare(self) -> None:
        """Import the parser: before a first scan forks its parse workers, which would
        each import it again (``ingest._rows``)."""
        from . import _chunk  # noqa: F401

    def parse_usage(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        """``parse`` without the messages and file references: the sessions (titles
        and models too), usage and state are the same. For a report that reads only
        usage (``ingest._files.read``); the conversation is stored later."""
        from ._chunk import parse_chunk

        return parse_chunk(path, data, state, usage_only=True)


SOURCE = ClaudeCode()

__all__ = ["SOURCE", "ClaudeCode"]
