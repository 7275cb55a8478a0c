"""Search past conversations: where something was said, newest first, with a snippet.

A plain case-insensitive substring match over ``messages`` (no full-text
index or ranking yet), so a distinctive word or phrase finds what it should.
Snippets are cut from redacted text: secrets never leave in a match.
"""

from __future__ import annotations

import apsw

from ..core import redact
from ..core.errors import BadInput
from ..core.models import SearchMatch, SearchResult
from . import sessions

SNIPPET_CHARS = 160  # around the match, each side


def search(conn: apsw.Connection, query: str, *, session_id: str | None = None, limit: int = 20) -> SearchResult:
    """The ``limit`` newest messages containing ``query``, in one session (id or unique prefix) or all."""
    if limit < 1:
        raise BadInput(f"limit must be at least 1, got {limit}")
    params: list[object] = [query]
    where = "instr(lower(m.text), lower(?1)) > 0"
    if session_id:
        where += " AND m.session_id = ?2"
        params.append(sessions.resolve_id(conn, session_id))
    # (session_id, provider, cwd, ts, role, kind, text), as the schema types them
    rows: list[tuple[str, str, str | None, float | None, str, str, str]] = conn.execute(  # type: ignore[assignment]
        f"""SELECT m.session_id, s.provider, s.cwd, m.ts, m.role, m.kind, m.text
            FROM messages m JOIN sessions s ON s.id = m.session_id
            WHERE {where} ORDER BY m.ts DESC, m.rowid DESC LIMIT {limit + 1}""",
        params,
    ).fetchall()
    matches = [
        SearchMatch(sid, provider, cwd, sessions.iso(ts), role, kind, _snippet(redact.redact_text(text), query))
        for sid, provider, cwd, ts, role, kind, text in rows[:limit]
    ]
    return SearchResult(matches=matches, truncated=len(rows) > limit)


def _snippet(text: str, query: str) -> str:
    """The text around the query's first match. Cut after redaction, never before:
    a secret cut in two (a PEM body, a token short of its last character) is no
    longer recognisable, and half of it would leak."""
    at = text.lower().find(query.lower())
    at = max(at, 0)
    start, end = max(0, at - SNIPPET_CHARS), min(len(text), at + len(query) + SNIPPET_CHARS)
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")
