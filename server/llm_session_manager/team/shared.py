"""Storing the conversation and memories a device pushes: each row once per device.

A message or file reference is keyed by the pushing device and the store's own
key of it, so a batch pushed twice stores nothing twice; a memory is brought up
to date (its scope or text may change when its owner shares it again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec.structs import astuple

from ..core.errors import BadInput
from ..core.team_share_wire import MemoriesBatch, MemoriesResult, MessagesBatch, MessagesResult
from . import access
from .auth import Caller
from .push import _bind_client

if TYPE_CHECKING:
    import psycopg

SCOPES = ("personal", "project", "team")
_MESSAGES = """
INSERT INTO messages (device_id, key, session_id, ts, role, kind, text)
SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::float8[], %s::text[], %s::text[], %s::text[])
ON CONFLICT (device_id, key) DO NOTHING
"""
_FILE_REFS = """
INSERT INTO file_refs (device_id, key, session_id, ts, path, action)
SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::float8[], %s::text[], %s::text[])
ON CONFLICT (device_id, key) DO NOTHING
"""
_MEMORY = """
INSERT INTO memories (device_id, id, scope, text, project, session_id, tags, created_at, embedder, embedding)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (device_id, id) DO UPDATE SET
    scope = excluded.scope, text = excluded.text, project = excluded.project, session_id = excluded.session_id,
    tags = excluded.tags, embedder = excluded.embedder, embedding = excluded.embedding
"""


def store_messages(conn: psycopg.Connection, who: Caller, batch: MessagesBatch) -> MessagesResult:
    """``batch``'s messages and file references for ``who``'s device, in one transaction."""
    _may_push(conn, who)
    with conn.transaction():
        _bind_client(conn, who, batch.client_id)
        messages = file_refs = 0
        if batch.messages:
            columns = [list(c) for c in zip(*map(astuple, batch.messages))]
            messages = conn.execute(_MESSAGES, (who.device_id, *columns)).rowcount
        if batch.file_refs:
            columns = [list(c) for c in zip(*map(astuple, batch.file_refs))]
            file_refs = conn.execute(_FILE_REFS, (who.device_id, *columns)).rowcount
    return MessagesResult(messages_new=max(messages, 0), file_refs_new=max(file_refs, 0))


def store_memories(conn: psycopg.Connection, who: Caller, batch: MemoriesBatch) -> MemoriesResult:
    """``batch``'s memories for ``who``'s device, each stored or brought up to date."""
    _may_push(conn, who)
    for m in batch.memories:
        if m.scope not in SCOPES:
            raise BadInput(f"memory {m.id}: scope must be one of {', '.join(SCOPES)}, got {m.scope!r}")
    with conn.transaction():
        _bind_client(conn, who, batch.client_id)
        with conn.cursor() as cur:
            cur.executemany(_MEMORY, [(who.device_id, m.id, m.scope, m.text, m.project, m.session_id, m.tags,
                                       m.created_at, m.embedder, m.vector) for m in batch.memories])
    return MemoriesResult(memories=len(batch.memories))


def _may_push(conn: psycopg.Connection, who: Caller) -> None:
    """The push rule of ``access``: a member's or admin's device token, never a web sign-in."""
    access.require(conn, who, "push", access.Resource("device", who.user_id, who.device or ""))
