"""``memorize``: turn one stored session into memories, offline (heuristics in extract.py)."""

from __future__ import annotations

from typing import Any

import apsw

from ..sessions import resolve_id
from . import extract, store
from .records import Memory
from .remember import resolve_embedder


def memorize(
    conn: apsw.Connection, config: Any, session_ref: str, *, writer: str | None = None, embedder: Any = None
) -> list[Memory]:
    """The new memories taken from session ``session_ref`` (id or unique prefix).

    ``writer`` names the program that asked (an MCP client), as ``remember`` does.

    Memories already stored (from an earlier run, or the same sentence in
    another session of the project) are skipped, so running it twice adds nothing.
    """
    sid = resolve_id(conn, session_ref)
    project, cwd, last_activity = conn.execute(
        "SELECT project, cwd, last_activity FROM sessions WHERE id = ?", (sid,)).fetchone()
    messages = [extract.Message(*r) for r in conn.execute(
        "SELECT key, role, kind, text FROM messages WHERE session_id = ? ORDER BY ts, rowid", (sid,))]
    refs = [extract.FileRef(*r) for r in conn.execute(
        "SELECT path, action FROM file_refs WHERE session_id = ? ORDER BY ts, rowid", (sid,))]
    times = dict(conn.execute("SELECT key, ts FROM messages WHERE session_id = ?", (sid,)))
    pending = []
    for c in extract.candidates(messages, refs, cwd):
        pending.append(store.prepare(
            c.text, project=project, tags=[c.tag], session_id=sid, message_key=c.message_key,
            source="memorize", writer=writer, created_at=times.get(c.message_key, last_activity) if c.message_key else last_activity,
        ))
    seen: set[str] = set()
    unique = [p for p in pending if not (p.content_hash in seen or seen.add(p.content_hash))]
    written = store.write(conn, unique, resolve_embedder(embedder))
    return [memory for memory, created in written if created]
