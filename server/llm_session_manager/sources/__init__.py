"""One module per assistant; ``SOURCES`` lists those ingest reads, and ``plugins``
adds those other packages declare, when a scan runs."""

from __future__ import annotations

from . import aider, chatgpt, claude_code, codex, copilot, cursor, gemini, llm_cli, usage_csv
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



def is_totals(source: Source) -> bool:
    """Whether a source's usage rows are totals over many responses (a vendor's daily
    export: ``totals = True``) rather than one response each, as most sources' are."""
    return getattr(source, "totals", False)


# Their rows are priced without the per-response 200k tiers, at ingest and when repriced.
TOTALS_PROVIDERS = frozenset(s.provider for s in SOURCES if is_totals(s))

__all__ = ["SOURCES", "TOTALS_PROVIDERS", "Source", "is_totals"]
