"""Memories in: one at a time (``remember``) or a JSON-lines file (``import_jsonl``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import apsw
import msgspec

from ...core.errors import BadInput, LlmSessionError
from . import store
from .records import ImportResult, Memory

if TYPE_CHECKING:
    from ...core.config import Config
    from ...core.embed import Embedder

IMPORT_BATCH = 1000  # lines per transaction: a killed import loses at most one batch, and a rerun skips the rest


def resolve_embedder(embedder: Embedder | None = None, config: Config | None = None) -> Embedder:
    """``embedder``, else the one the config's ``memory.embedder`` section asks for
    (the bundled model without a config). Each memory function resolves its own,
    so a frontend passes the config it loaded and nothing more."""
    if embedder is not None:
        return embedder
    from ...core.embed import get_embedder

    return get_embedder(config.memory.embedder if config is not None else None)


def remember(
    conn: apsw.Connection,
    text: str,
    *,
    project: str | None = None,
    tags: Sequence[str] = (),
    session_id: str | None = None,
    source: str = "user",
    writer: str | None = None,
    embedder: Embedder | None = None,
    config: Config | None = None,
) -> Memory:
    """Store one memory (redacted). Its content already stored: the stored one is returned.

    ``writer`` names the program that wrote it (an MCP client and tool), so a
    reader can tell a fact a person gave from one a model planted.
    """
    pending = store.prepare(text, project=project, tags=tags, session_id=session_id, source=source, writer=writer)
    [(memory, _)] = store.write(conn, [pending], resolve_embedder(embedder, config))
    return memory


class _Line(msgspec.Struct):
    text: str
    id: str | None = None
    project: str | None = None
    tags: list[str] = []
    metadata: dict[str, Any] | None = None
    created_at: float | str | None = None


_decode = msgspec.json.Decoder(_Line).decode


def import_jsonl(
    conn: apsw.Connection,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    embedder: Embedder | None = None,
    config: Config | None = None,
) -> ImportResult:
    """Import ``{"id"?, "text", "project"?, "tags"?, "metadata"?, "created_at"?}`` lines.

    A given id is kept. A line whose id or content is already stored is skipped,
    which makes an import idempotent: rerun one that was killed (a batch is
    committed at a time) and it completes; two processes importing at once
    both end with every line stored once. ``progress(bytes_done, bytes_total)``
    is called after each batch.
    """
    path = Path(path)
    model = resolve_embedder(embedder, config)
    try:
        total = path.stat().st_size
        handle = path.open("rb")
    except OSError as e:
        raise BadInput(f"cannot read {path}: {e.strerror}") from e
    imported = skipped = malformed = 0
    batch: list[store.Pending] = []
    done = 0

    def flush() -> None:
        nonlocal imported, skipped
        for _, created in store.write(conn, batch, model):
            imported += created
            skipped += not created
        batch.clear()
        if progress is not None:
            progress(done, total)

    with handle:
        for raw in handle:
            done += len(raw)
            if not raw.strip():
                continue
            try:
                line = _decode(raw)
                batch.append(store.prepare(
                    line.text, project=line.project, tags=line.tags, source="import", memory_id=line.id,
                    metadata=line.metadata, created_at=_timestamp(line.created_at),
                ))
            except (msgspec.DecodeError, LlmSessionError):
                malformed += 1
                continue
            if len(batch) >= IMPORT_BATCH:
                flush()
        flush()
    return ImportResult(imported=imported, skipped=skipped, malformed=malformed)


def _timestamp(value: float | str | None) -> float | None:
    """Unix seconds or an ISO 8601 string; anything else means now."""
    if value is None or isinstance(value, float | int):
        return value
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
