"""Memory: what sessions learned and users asked to keep, recalled by words and meaning.

One SQLite store holds it (``memories``, ``memories_fts``, ``memories_vec``;
store/migrations/002.sql). Everything stored is redacted first and
deduplicated by content; recall fuses BM25 and vector rankings. docs/memory.md
describes the design and its measurements.
"""

from __future__ import annotations

from .context_files import import_to_session
from .memorize import memorize
from .recall import recall
from .records import ImportResult, Memory, MemoryExcerpt, Recalled, excerpt
from .remember import import_jsonl, remember
from .store import forget, forget_where, get_memory, list_memories

__all__ = [
    "ImportResult",
    "Memory",
    "MemoryExcerpt",
    "Recalled",
    "excerpt",
    "forget",
    "forget_where",
    "get_memory",
    "import_jsonl",
    "import_to_session",
    "list_memories",
    "memorize",
    "recall",
    "remember",
]
