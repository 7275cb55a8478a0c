"""What memory hands to frontends: ``Memory`` (in core/models.py, so a frontend can name it
without loading the service), a short excerpt of one, and an import's counts."""

from __future__ import annotations

import msgspec

from ...core.models import Memory, MemoryExcerpt, Recalled
from . import rerank


def tokens(text: str) -> int:
    """What quoting ``text`` costs in tokens, estimated with the bundled model's word
    pieces (loaded for recall anyway; o200k would add a second of loading to a CLI recall)."""
    return rerank.pieces().count(text)


def recalled(memory: Memory, pieces: int | None = None) -> Recalled:
    """``memory`` as recall answers it; ``pieces``: its stored word-piece count, if known
    (the same number ``tokens`` works out)."""
    return Recalled(**{**msgspec.structs.asdict(memory), "tokens": tokens(memory.text) if pieces is None else pieces})


def excerpt(memory: Memory, chars: int) -> Memory:
    """``memory`` with its text cut to ``chars`` characters, an ellipsis last and
    ``text_cut`` saying so (its ``tokens`` those of the cut text); a memory that short
    already, as it is."""
    if len(memory.text) <= chars:
        return memory
    text = memory.text[: chars - 1].rstrip() + "…"
    return MemoryExcerpt(**{**msgspec.structs.asdict(memory), "text": text, "tokens": tokens(text)}, text_cut=True)


class ImportResult(msgspec.Struct):
    imported: int  # new memories stored
    skipped: int  # lines whose id or content was already stored
    malformed: int  # lines that are not a JSON object with a non-blank "text"
