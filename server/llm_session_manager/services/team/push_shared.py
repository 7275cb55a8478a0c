"""Pushing what is shared beyond usage: the conversation of the projects that opted in
(``team.push_messages``), and the memories the user shared (``memory share``).

Messages and file references go once each, keyed by the store's own key of the
line, noted in ``team_pushed_rows`` (migration 025) when the server acknowledges
their batch, as usage is. Their text is redacted again here: ingest redacts what
it stores, but a store written by an older version may hold what today's rules
catch. A shared memory goes again when its scope or text changed since it was sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

import apsw
import msgspec

from ...core.errors import BadInput, NotFound
from ...core.redact import redact
from ...core.team_share_wire import (
    MEMORIES_PATH,
    MESSAGES_PATH,
    MemoriesBatch,
    MemoriesResult,
    MessagesBatch,
    MessagesResult,
    PushFileRef,
    PushMemory,
    PushMessage,
)
from ...store.connection import write_transaction
from . import client
from .link import Link

if TYPE_CHECKING:
    from ...core.config import Config

SCOPES = ("personal", "project", "team")
T = TypeVar("T")


class SharedPushed(msgspec.Struct):
    messages: int = 0  # messages sent
    file_refs: int = 0
    memories: int = 0


def push_shared(conn: apsw.Connection, link: Link, me: str, config: Config, batch_size: int) -> SharedPushed:
    """Send the opted-in projects' conversation and the shared memories the server has not had."""
    done = SharedPushed()
    projects = list(config.team.push_messages)
    if projects:
        _push_messages(conn, link, me, projects, batch_size, done)
    _push_memories(conn, link, me, config, batch_size, done)
    return done


def share(conn: apsw.Connection, memory_id: str, scope: str) -> str:
    """Mark a memory to be pushed with ``scope`` (the next push sends it); its id."""
    if scope not in SCOPES:
        raise BadInput(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    with write_transaction(conn):
        row = conn.execute("SELECT id FROM memories WHERE id = ? OR id LIKE ? ORDER BY id = ? DESC LIMIT 2",
                           (memory_id, memory_id + "%", memory_id)).fetchall()
        if not row:
            raise NotFound(f"no memory {memory_id!r} (see 'llm-session memory list')")
        found = str(row[0][0])
        conn.execute("INSERT INTO team_shared_memories (memory_id, scope) VALUES (?, ?) "
                     "ON CONFLICT (memory_id) DO UPDATE SET scope = excluded.scope", (found, scope))
    return found


def forget_pushed(conn: apsw.Connection) -> None:
    """Another server or device joined: everything is news to it (called inside the caller's transaction)."""
    conn.execute("DELETE FROM team_pushed_rows")
    conn.execute("UPDATE team_shared_memories SET sent = NULL")


def _push_messages(conn: apsw.Connection, link: Link, me: str, projects: list[str], batch_size: int,
                   done: SharedPushed) -> None:
    marks = ",".join("?" * len(projects))
    messages = [PushMessage(key, sid, ts, role, kind, redact(text).text) for key, sid, ts, role, kind, text in conn.execute(
        f"SELECT m.key, m.session_id, m.ts, m.role, m.kind, lsm_open(m.text) FROM messages m "
        f"JOIN sessions s ON s.id = m.session_id "
        f"WHERE s.project IN ({marks}) AND NOT EXISTS "
        f"(SELECT 1 FROM team_pushed_rows p WHERE p.kind = 'message' AND p.key = m.key) ORDER BY m.ts, m.key",
        projects)]
    refs = [PushFileRef(*r) for r in conn.execute(
        f"SELECT f.key, f.session_id, f.ts, f.path, f.action FROM file_refs f JOIN sessions s ON s.id = f.session_id "
        f"WHERE s.project IN ({marks}) AND NOT EXISTS "
        f"(SELECT 1 FROM team_pushed_rows p WHERE p.kind = 'file_ref' AND p.key = f.key) ORDER BY f.ts, f.key",
        projects)]
    for chunk in _chunks(messages, batch_size):
        client.request(link, MESSAGES_PATH, MessagesResult, body=msgspec.json.encode(MessagesBatch(me, messages=chunk)))
        _noted(conn, "message", [m.key for m in chunk])
        done.messages += len(chunk)
    for refs_chunk in _chunks(refs, batch_size):
        client.request(link, MESSAGES_PATH, MessagesResult,
                       body=msgspec.json.encode(MessagesBatch(me, file_refs=refs_chunk)))
        _noted(conn, "file_ref", [f.key for f in refs_chunk])
        done.file_refs += len(refs_chunk)


def _push_memories(conn: apsw.Connection, link: Link, me: str, config: Config, batch_size: int,
                   done: SharedPushed) -> None:
    rows: list[tuple[str, str, str, str | None, str | None, str, float, str | None]] = conn.execute(  # type: ignore[assignment]
        "SELECT m.id, t.scope, m.text, m.project, m.session_id, m.tags, m.created_at, t.sent "
        "FROM team_shared_memories t JOIN memories m ON m.id = t.memory_id ORDER BY m.created_at, m.id").fetchall()
    waiting = [(r, _looks(r[1], r[2])) for r in rows if r[7] != _looks(r[1], r[2])]
    if not waiting:
        return
    from ..memory.remember import resolve_embedder

    embedder = resolve_embedder(config=config)
    for chunk in _chunks(waiting, batch_size):
        vectors = embedder.embed([r[2] for r, _ in chunk])
        memories = [PushMemory(i, scope, redact(text).text, project, session_id, list(json.loads(tags or "[]")),
                               created, embedder.name, [float(x) for x in vector])
                    for ((i, scope, text, project, session_id, tags, created, _), _), vector in zip(chunk, vectors)]
        client.request(link, MEMORIES_PATH, MemoriesResult, body=msgspec.json.encode(MemoriesBatch(me, memories)))
        with write_transaction(conn):
            conn.executemany("UPDATE team_shared_memories SET sent = ? WHERE memory_id = ?",
                             [(looks, r[0]) for r, looks in chunk])
        done.memories += len(chunk)


def _looks(scope: str, text: str) -> str:
    return scope + ":" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _noted(conn: apsw.Connection, kind: str, keys: Sequence[str]) -> None:
    with write_transaction(conn):
        conn.executemany("INSERT OR IGNORE INTO team_pushed_rows (kind, key) VALUES (?, ?)", [(kind, k) for k in keys])


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
