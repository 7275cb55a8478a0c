"""Usage and cost exports of the OpenAI and Anthropic APIs, as downloaded CSVs.

Neither console writes anything to disk by itself: the user downloads an
export and hands it to ``llm-session import``, or keeps exports in a directory
listed under ``sources.openai-api.paths`` / ``sources.anthropic-api.paths`` for
``scan`` to pick up. So there are no default roots, and a directory is searched
for ``.csv`` files whose header is the vendor's.

Exports are totals per day (or hour), not per response: one usage row per CSV
line, exact, keyed by the columns that identify it (``_sheet``); the vendors'
shapes are in ``_openai`` and ``_anthropic``. A usage export carries tokens and
is priced from the table; a cost export carries the vendor's own dollars and no
tokens. Importing both for the same days counts the cost twice.

A vendor's module is imported on first use (a file to sniff or read): a rescan
that finds nothing new never needs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from pathlib import Path
from types import ModuleType

from ...core.models import Batch
from ..base import Layout, find_sniffed


class UsageExport:
    """A vendor's CSV exports, read whole each time the file changes."""

    exact = True
    layout: Layout = "document"
    watched = True
    totals = True  # a row sums a day's responses: priced without the per-response 200k tiers

    def __init__(self, provider: str, vendor: str) -> None:
        """``vendor`` names the module (``_openai``) whose ``kind`` and ``read`` know its shapes."""
        self.provider = provider
        self._vendor = vendor

    def _shapes(self) -> ModuleType:
        return import_module(f"{__name__}.{self._vendor}")

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        return []

    def discover(self, root: Path) -> Iterator[str]:
        """The ``.csv`` files under ``root`` whose header is this vendor's."""
        return find_sniffed(root, ".csv", self.sniff)

    def sniff(self, head: bytes) -> bool:
        """Whether the first bytes of a file are the header of one of this vendor's exports."""
        from ._sheet import columns

        return self._shapes().kind(columns(head)) is not None

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        return self._shapes().read(data)


OPENAI = UsageExport("openai-api", "_openai")
ANTHROPIC = UsageExport("anthropic-api", "_anthropic")

__all__ = ["ANTHROPIC", "OPENAI", "UsageExport"]
