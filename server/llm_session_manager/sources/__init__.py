"""One module per assistant; ``SOURCES`` lists those ingest reads."""

from __future__ import annotations

from . import claude_code
from . import codex
from . import copilot
from . import chatgpt
from . import usage_csv
from . import cursor
from . import llm_cli
from . import gemini
from . import aider
from .base import Source

SOURCES: tuple[Source, ...] = (
    claude_code.SOURCE,
    codex.SOURCE,
    copilot.SOURCE,
    copilot.CLI_SOURCE,
    usage_csv.OPENAI,
    usage_csv.ANTHROPIC,
    chatgpt.SOURCE,
    cursor.SOURCE,
    llm_cli.SOURCE,
    gemini.SOURCE,
    gemini.RECORDS_SOURCE,
    aider.SOURCE,
)

__all__ = ["SOURCES", "Source"]
