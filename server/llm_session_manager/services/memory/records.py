"""What memory hands to frontends; field order is the JSON contract of DESIGN.md."""

from __future__ import annotations

import msgspec


class Memory(msgspec.Struct):
    id: str
    text: str
    score: float | None  # recall's relevance in (0, 1]; None outside recall
    project: str | None
    session_id: str | None
    created_at: str  # ISO 8601, UTC
    tags: list[str]
    source: str = "user"  # user | import | memorize | mcp
    writer: str | None = None  # the program that wrote it ("claude-code 2.1.3 via remember"); None: a person or an import


class ImportResult(msgspec.Struct):
    imported: int  # new memories stored
    skipped: int  # lines whose id or content was already stored
    malformed: int  # lines that are not a JSON object with a non-blank "text"
