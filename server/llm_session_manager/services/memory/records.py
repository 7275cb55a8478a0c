"""What memory hands to frontends: ``Memory`` (in core/models.py, so a frontend can name it
without loading the service), a short excerpt of one, and an import's counts."""

from __future__ import annotations

import msgspec

from ...core.models import Memory, MemoryExcerpt


def excerpt(memory: Memory, chars: int) -> Memory:
    """``memory`` with its text cut to ``chars`` characters, an ellipsis last and
    ``text_cut`` saying so; a memory that short already, as it is."""
    if len(memory.text) <= chars:
        return memory
    text = memory.text[: chars - 1].rstrip() + "…"
    return MemoryExcerpt(**{**msgspec.structs.asdict(memory), "text": text}, text_cut=True)


class ImportResult(msgspec.Struct):
    imported: int  # new memories stored
    skipped: int  # lines whose id or content was already stored
    malformed: int  # lines that are not a JSON object with a non-blank "text"
