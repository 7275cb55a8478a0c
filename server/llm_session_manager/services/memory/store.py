"""Writing and reading memory rows: redaction, dedup, and the three tables in step.

Every memory enters through :func:`prepare` (redact, normalise, hash) and
:func:`write` (one transaction: ``memories``, its FTS5 index by trigger, and
``memories_vec``). Embedding happens before the write lock is taken, so a slow
embedder never holds up other writers.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import apsw

from ...core.errors import Ambiguous, BadArgument, BadInput, NotFound
from ...core.redact import redact_text
from ...store import write_transaction
from ..sessions import iso
from . import pieces, vectors
from .records import Memory

MAX_TEXT = 8_000  # characters; longer text is cut (a memory is a fact, not a file)
SOURCES = ("user", "import", "memorize", "mcp")

_COLUMNS = "id, text, project, session_id, created_at, tags, source, writer"


class Pending(NamedTuple):
    """A memory ready to store: redacted, normalised, hashed."""

    id: str
    text: str
    project: str | None
    session_id: str | None
    message_key: str | None
    tags: tuple[str, ...]
    metadata: str | None
    source: str
    writer: str | None
    created_at: float
    content_hash: str


def prepare(
    text: str,
    *,
    project: str | None = None,
    tags: Sequence[str] = (),
    session_id: str | None = None,
    message_key: str | None = None,
    source: str = "user",
    writer: str | None = None,
    memory_id: str | None = None,
    metadata: Any = None,
    created_at: float | None = None,
) -> Pending:
    """Check and clean one memory. Secrets are redacted here, before anything else sees it."""
    if source not in SOURCES:
        raise BadInput(f"memory source must be one of {', '.join(SOURCES)}, got {source!r}")
    clean = redact_text(" ".join(text.split()) if "\n" not in text else text.strip())[:MAX_TEXT].strip()
    if not clean:
        raise BadInput("a memory needs some text")
    project = (project or "").strip() or None
    if memory_id is not None:
        memory_id = memory_id.strip()
        if not memory_id or len(memory_id) > 200 or any(c.isspace() for c in memory_id):
            raise BadInput(f"invalid memory id {memory_id!r}: 1-200 characters without spaces")
    return Pending(
        id=memory_id or str(uuid.uuid4()),
        text=clean,
        project=project,
        session_id=session_id,
        message_key=message_key,
        tags=clean_tags(tags),
        metadata=redact_text(json.dumps(metadata, ensure_ascii=False, sort_keys=True)) if metadata is not None else None,
        source=source,
        writer=(writer or "").strip()[:200] or None,
        created_at=time.time() if created_at is None else created_at,
        content_hash=content_hash(clean, project),
    )


def clean_tags(tags: Sequence[str]) -> tuple[str, ...]:
    if isinstance(tags, str):
        tags = [tags]
    clean = sorted({t.strip() for t in tags})
    bad = [t for t in clean if not t or len(t) > 64 or any(c.isspace() for c in t)]
    if bad:
        raise BadInput(f"invalid tag {bad[0]!r}: tags are 1-64 characters without spaces")
    return tuple(clean)


def content_hash(text: str, project: str | None) -> str:
    """Same words, any case or spacing, in the same project: the same memory."""
    normal = " ".join(text.casefold().split())
    return hashlib.sha256(f"{project or ''}\x00{normal}".encode()).hexdigest()


def write(conn: apsw.Connection, pending: Sequence[Pending], embedder: Any) -> list[tuple[Memory, bool]]:
    """Store ``pending`` (all or nothing); for each, the stored memory and whether it is new.

    A memory whose id or content is already stored is not stored again: the one
    already there is returned. Vectors are made only for memories that are new.
    """
    if not pending:
        return []
    fresh = _unstored(conn, pending)
    todo = [p for p in pending if p.id in fresh]
    embedded = vectors.sync(conn, embedder) if todo else False
    vecs = vectors.embed(embedder, [p.text for p in todo]) if embedded else None
    by_id = {}
    if vecs is not None:
        codes = vectors.codes(vecs)
        by_id = {p.id: (vecs[i], codes[i]) for i, p in enumerate(todo)}
    with write_transaction(conn):
        # We hold the write lock: rows above this rid are the ones this call inserts.
        before = conn.execute("SELECT coalesce(max(rid), 0) FROM memories").get
        conn.executemany(
            "INSERT OR IGNORE INTO memories (id, text, project, session_id, message_key, tags, metadata,"
            " source, writer, created_at, content_hash, embedded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(p.id, p.text, p.project, p.session_id, p.message_key, json.dumps(list(p.tags)), p.metadata,
              p.source, p.writer, p.created_at, p.content_hash, 1 if p.id in by_id else 0) for p in pending],
        )
        mine = dict(conn.execute("SELECT id, rid FROM memories WHERE rid > ?", (before,)))
        pieces.store(conn, [(mine[p.id], p.text) for p in pending if p.id in mine])
        conn.executemany(
            "INSERT INTO memories_vec (rowid, project, bits, vector) VALUES (?, ?, vec_bit(?), ?)",
            [(mine[p.id], vectors.partition(p.project), by_id[p.id][1].tobytes(), by_id[p.id][0].tobytes())
             for p in pending if p.id in mine and p.id in by_id and by_id[p.id][0].any()],
        )
        out: list[tuple[Memory, bool]] = []
        for p in pending:
            if mine.pop(p.id, None) is not None:
                out.append((_memory(p), True))
            else:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM memories WHERE id = ? OR content_hash = ? LIMIT 1",
                    (p.id, p.content_hash),
                ).fetchone()
                assert row is not None, "_unstored left it out: its id or content is stored"
                out.append((from_row(row), False))
    return out


def _unstored(conn: apsw.Connection, pending: Sequence[Pending]) -> set[str]:
    """Ids of ``pending`` whose id and content are both new (and first of their content)."""
    ids = [p.id for p in pending]
    hashes = [p.content_hash for p in pending]
    seen_ids: set[str] = set()
    seen_hashes: set[str] = set()
    for chunk in range(0, len(ids), 500):
        marks = ",".join("?" * len(ids[chunk : chunk + 500]))
        seen_ids.update(r[0] for r in conn.execute(
            f"SELECT id FROM memories WHERE id IN ({marks})", ids[chunk : chunk + 500]))
        seen_hashes.update(r[0] for r in conn.execute(
            f"SELECT content_hash FROM memories WHERE content_hash IN ({marks})", hashes[chunk : chunk + 500]))
    fresh = set()
    for p in pending:
        if p.id not in seen_ids and p.content_hash not in seen_hashes:
            fresh.add(p.id)
            seen_ids.add(p.id)
            seen_hashes.add(p.content_hash)
    return fresh


def _memory(p: Pending) -> Memory:
    return Memory(id=p.id, text=p.text, score=None, project=p.project, session_id=p.session_id,
                  created_at=iso(p.created_at) or "", tags=list(p.tags), source=p.source, writer=p.writer)


def from_row(row: Sequence[Any], score: float | None = None) -> Memory:
    """A ``Memory`` from a row of ``SELECT {_COLUMNS}``."""
    mid, text, project, session_id, created_at, tags, source, writer = row
    return Memory(id=mid, text=text, score=score, project=project, session_id=session_id,
                  created_at=iso(created_at) or "", tags=json.loads(tags), source=source, writer=writer)


def by_rids(conn: apsw.Connection, rids: Sequence[int]) -> dict[int, Memory]:
    if not rids:
        return {}
    marks = ",".join("?" * len(rids))
    return {r[0]: from_row(r[1:]) for r in conn.execute(
        f"SELECT rid, {_COLUMNS} FROM memories WHERE rid IN ({marks})", list(rids))}


def list_memories(
    conn: apsw.Connection, *, project: str | None = None, tag: str | None = None, limit: int | None = None
) -> list[Memory]:
    """Memories, newest first."""
    clauses: list[str] = []
    params: list[Any] = []
    if project:
        clauses.append("project = ?")
        params.append(project)
    if tag:
        clauses.append("EXISTS (SELECT 1 FROM json_each(memories.tags) WHERE value = ?)")
        params.append(tag)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = f"SELECT {_COLUMNS} FROM memories {where} ORDER BY created_at DESC, rid DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(max(0, int(limit)))
    return [from_row(r) for r in conn.execute(sql, params)]


def resolve(conn: apsw.Connection, ref: str) -> tuple[int, str]:
    """(rid, id) of the memory whose id is ``ref`` or starts with it."""
    ref = ref.strip()
    if not ref:
        raise BadInput("empty memory id")
    row = conn.execute("SELECT rid, id FROM memories WHERE id = ?", (ref,)).fetchone()
    if row:
        return cast("tuple[int, str]", row)
    pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = cast("list[tuple[int, str]]", conn.execute(
        "SELECT rid, id FROM memories WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6", (pattern,)
    ).fetchall())
    if not rows:
        raise NotFound(f"no memory with id {ref!r} (see 'llm-session memory list')")
    if len(rows) > 1:
        raise Ambiguous(f"memory id prefix {ref!r} matches several memories: "
                        + ", ".join(r[1] for r in rows[:5]) + (", ..." if len(rows) > 5 else ""))
    return rows[0]


def get_memory(conn: apsw.Connection, ref: str) -> Memory:
    """The memory whose id is ``ref`` or starts with it (the MCP resource ``memory://{id}``)."""
    rid, _ = resolve(conn, ref)
    return by_rids(conn, [rid])[rid]


def forget(conn: apsw.Connection, memory_id: str) -> None:
    """Delete a memory (by id or unique prefix) from all three tables; NotFound if missing."""
    rid, mid = resolve(conn, memory_id)
    _delete(conn, [(rid, mid)])


def forget_where(
    conn: apsw.Connection,
    *,
    memory_id: str | None = None,
    session_id: str | None = None,
    tag: str | None = None,
    since: float | None = None,
    dry_run: bool = False,
) -> list[str]:
    """Ids of the memories matching every filter given, deleted unless ``dry_run``: a bulk undo
    (what a session's memorize stored, a tag, everything since a time).

    At least one filter is needed: forgetting everything takes deleting the store.
    Long-lived processes see the deletes through migration 005's counters.
    """
    if memory_id is None and session_id is None and tag is None and since is None:
        raise BadArgument(("memory_id", "session_id", "tag", "since"), "say what to forget")
    clauses: list[str] = []
    params: list[Any] = []
    if memory_id is not None:
        clauses.append("rid = ?")
        params.append(resolve(conn, memory_id)[0])
    if session_id is not None:
        clauses.append("session_id = ?")
        params.append(session_id)
    if tag is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(memories.tags) WHERE value = ?)")
        params.append(tag)
    if since is not None:
        clauses.append("created_at >= ?")
        params.append(since)
    rows = cast("list[tuple[int, str]]", conn.execute(
        f"SELECT rid, id FROM memories WHERE {' AND '.join(clauses)} ORDER BY rid", params).fetchall())
    if not dry_run:
        _delete(conn, rows)
    return [mid for _, mid in rows]


def _delete(conn: apsw.Connection, rows: Sequence[tuple[int, str]]) -> None:
    """Delete memories by (rid, id) from all three tables, and their import records, in one transaction."""
    with write_transaction(conn):
        conn.executemany("DELETE FROM memories WHERE rid = ?", [(rid,) for rid, _ in rows])
        conn.executemany("DELETE FROM memories_vec WHERE rowid = ?", [(rid,) for rid, _ in rows])
        pieces.forget(conn, [rid for rid, _ in rows])
        conn.executemany("DELETE FROM memory_imports WHERE memory_id = ?", [(mid,) for _, mid in rows])
    # The rows are zeroed (secure_delete) and their words left the index (FTS5
    # secure-delete), but earlier copies of those pages sit in the write-ahead
    # log until it is copied back and emptied.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
