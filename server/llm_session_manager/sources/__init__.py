"""One module per assistant; ``SOURCES`` lists those ingest reads, and ``plugins``
adds those other packages declare, when a scan runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Source

if TYPE_CHECKING:  # built by ``__getattr__`` when first asked for
    SOURCES: tuple[Source, ...]
    TOTALS_PROVIDERS: frozenset[str]


def __getattr__(name: str) -> Any:
    """``SOURCES`` and ``TOTALS_PROVIDERS``, built when first asked for: a scan imports
    every source, a command reading one log (a status line) only that log's."""
    if name not in ("SOURCES", "TOTALS_PROVIDERS"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import aider, chatgpt, claude_code, codex, copilot, cursor, gemini, llm_cli, usage_csv

    sources: tuple[Source, ...] = (
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
    # Their rows are priced without the per-response 200k tiers, at ingest and when repriced.
    globals().update(SOURCES=sources, TOTALS_PROVIDERS=frozenset(s.provider for s in sources if is_totals(s)))
    return globals()[name]


def is_totals(source: Source) -> bool:
    """Whether a source's usage rows are totals over many responses (a vendor's daily
    export: ``totals = True``) rather than one response each, as most sources' are."""
    return getattr(source, "totals", False)


__all__ = ["SOURCES", "TOTALS_PROVIDERS", "Source", "is_totals"]
