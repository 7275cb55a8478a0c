"""One module per assistant; ``SOURCES`` lists those ingest reads."""

from __future__ import annotations

from . import claude_code
from . import codex
from .base import Source

SOURCES: tuple[Source, ...] = (
    claude_code.SOURCE,
    codex.SOURCE,
)

__all__ = ["SOURCES", "Source"]
