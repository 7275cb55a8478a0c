"""Redacting what an older version stored raw: once, at the first scan after the upgrade.

Ingest redacts everything before it is stored (``_redact``). A store written
before that holds conversation text, titles and paths as the logs had them, and
memories redacted by older, narrower rules. Migration 010 marks such a store
(``scrub_secrets`` in ``meta``; redaction is Python, which a migration is not)
and the next scan goes over every stored text once, in batches of short
transactions, then empties the write-ahead log. With ``secure_delete`` on, the
rows it rewrites leave no copy of the old text in the file.
"""

from __future__ import annotations

from typing import Any

import apsw

from ..store import write_transaction
from ._redact import state_without_secrets

BATCH = 5000

# (table, key, text columns): every column a person's words reach.
_TABLES = (
    ("messages", "rowid", ("text",)),
    ("file_refs", "rowid", ("path",)),
    ("sessions", "id", ("title", "cwd", "git_branch")),
    ("memories", "rid", ("metadata",)),
)


def scrub_if_marked(conn: apsw.Connection) -> None:
    """Redact every stored text, if migration 010 asked for it; else one lookup."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'scrub_secrets'").fetchone() is None:
        return
    changed = sum(_scrub_table(conn, table, key, columns) for table, key, columns in _TABLES)
    changed += _scrub_memories(conn) + _scrub_states(conn)
    with write_transaction(conn):
        conn.execute("DELETE FROM meta WHERE key = 'scrub_secrets'")
    if changed:  # a new store is marked too: it has nothing to scrub, and no disk to wait for
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _scrub_table(conn: apsw.Connection, table: str, key: str, columns: tuple[str, ...]) -> int:
    """How many rows it rewrote."""
    from ..core import redact

    select = (f"SELECT {key}, {', '.join(columns)} FROM {table} WHERE {key} > ? ORDER BY {key} LIMIT {BATCH}")
    update = f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE {key} = ?"
    after: Any = "" if key == "id" else -1
    rewritten = 0
    while rows := conn.execute(select, (after,)).fetchall():
        after = rows[-1][0]
        rows = [row for row in rows if not isinstance(row[1], bytes)]  # sealed: stored redacted, by a later version
        texts = [("" if value is None else redact.whole_words(str(value)) if column == "title" else str(value))
                 for row in rows for column, value in zip(columns, row[1:])]
        clean = iter(redact.redact_many(texts))
        changes = []
        for row in rows:
            new = [text if value is not None else None for value, text in zip(row[1:], clean)]
            if new != list(row[1:]):
                changes.append((*new, row[0]))
        if changes:
            with write_transaction(conn):
                conn.executemany(update, changes)
            rewritten += len(changes)
    return rewritten


def _scrub_memories(conn: apsw.Connection) -> int:
    """Memories again under today's rules (an AWS secret in prose, say): text and content hash
    change together; one that becomes a copy of another memory is forgotten. How many changed."""
    from ..core import redact

    rows: list[Any] = conn.execute("SELECT rid, id, text, project FROM memories").fetchall()
    clean = redact.redact_many([text for _, _, text, _ in rows])
    if all(new == text for (_, _, text, _), new in zip(rows, clean, strict=True)):
        return 0
    # vectors and numpy come with it: only when a memory changes
    from ..services.memory.store import content_hash, forget

    changed = [(new, content_hash(new, project), rid, mid)
               for (rid, mid, text, project), new in zip(rows, clean, strict=True) if new != text]
    copies = []
    with write_transaction(conn):
        for text, digest, rid, mid in changed:
            if conn.execute("SELECT 1 FROM memories WHERE content_hash = ? AND rid != ?", (digest, rid)).fetchone():
                copies.append(mid)
            else:
                conn.execute("UPDATE memories SET text = ?, content_hash = ? WHERE rid = ?", (text, digest, rid))
    for mid in copies:
        forget(conn, mid)
    return len(changed)


def _scrub_states(conn: apsw.Connection) -> int:
    """Parsers' saved states, which may hold a title or an unfinished prompt's lines. How many changed."""
    rows: list[Any] = conn.execute("SELECT path, state FROM source_files WHERE state IS NOT NULL").fetchall()
    changes = [(new, path) for path, state in rows if (new := state_without_secrets(state)) != state]
    if changes:
        with write_transaction(conn):
            conn.executemany("UPDATE source_files SET state = ? WHERE path = ?", changes)
    return len(changes)
