"""Gemini CLI: chat recordings under ``$GEMINI_CLI_HOME/.gemini/tmp`` (default ``~/.gemini/tmp``).

Each project has ``tmp/<project>/chats/``, where Gemini CLI records every session:
as one ``session-*.json`` document rewritten after each change (releases before
the JSONL recorder, spring 2026) or as ``session-*.jsonl`` records it appends;
sub-agents' chats sit in ``chats/<parent session id>/``. The two layouts are two
sources of the same provider, because ingest reads a rewritten document and an
appended log differently. Both hand their messages to ``_chat`` (usage, prompts,
answers, files the tools touched); the shapes are in ``_records``; which
directory a chat was about, which it does not record, is worked out in ``_project``.
The readers are imported on first use: a rescan that finds nothing new never needs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout, find_files, subdirs


def _chat_dirs(root: Path) -> list[Path]:
    """``<project>/chats`` of every project under ``root``: the ``.gemini`` or ``tmp`` directory."""
    tmp = root / "tmp" if (root / "tmp").is_dir() else root
    return [Path(p) / "chats" for p in subdirs(os.fspath(tmp))]


class _Gemini:
    provider = "gemini"
    exact = True
    watched = True
    suffix = ""

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        """``GEMINI_CLI_HOME`` replaces the home directory Gemini CLI keeps ``.gemini`` in."""
        cli_home = env.get("GEMINI_CLI_HOME", "").strip()
        base = Path(cli_home).expanduser() if cli_home else home
        return [base / ".gemini" / "tmp"]

    def discover(self, root: Path) -> Iterator[str]:
        suffix = self.suffix
        for chats in _chat_dirs(root):
            yield from find_files(chats, lambda name: name.endswith(suffix))


class GeminiDocuments(_Gemini):
    """``session-*.json``: the chat rewritten whole."""

    layout: Layout = "document"
    suffix = ".json"

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._document import parse_document

        return parse_document(path, data)


class GeminiRecords(_Gemini):
    """``session-*.jsonl``: the chat's records, appended."""

    layout: Layout = "lines"
    suffix = ".jsonl"

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._stream import parse_stream

        return parse_stream(path, data, state)


SOURCE = GeminiDocuments()
RECORDS_SOURCE = GeminiRecords()

__all__ = ["RECORDS_SOURCE", "SOURCE", "GeminiDocuments", "GeminiRecords"]
