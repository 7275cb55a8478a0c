"""The ``search_history`` tool: find where something was said in past sessions."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ..tool import Args, NonEmpty, tool

SNIPPET_CHARS = 160  # around the match, each side


class SearchArgs(Args, frozen=True):  # frozen like Args: said again so type checkers see it
    query: Annotated[str, Meta(min_length=1, max_length=500, description="Text to find, matched case-insensitively as a substring.")]
    session_id: Annotated[NonEmpty | None, Meta(description="Search only this session (id or unique prefix).")] = None
    limit: Annotated[int, Meta(ge=1, le=200, description="At most this many matches, newest first.")] = 20


class Match(msgspec.Struct):
    session_id: str
    provider: str
    cwd: str | None
    ts: str | None  # ISO 8601 UTC
    role: str  # user | assistant | system
    kind: str  # prompt | text | summary | compact | api_error | tool_error
    snippet: str


class SearchResult(msgspec.Struct):
    matches: list[Match]
    truncated: bool  # more matched than ``limit``


@tool(SearchArgs, SearchResult, title="Search past conversations", fresh=True)
def search_history(conn, config, a: SearchArgs) -> SearchResult:
    """Search the messages of past sessions (prompts, answers, summaries, errors) for a piece of text.

    A plain case-insensitive substring match (no full-text index or ranking yet):
    give a distinctive word or phrase. Returns the newest matches first, each with a
    snippet around the match; secrets in snippets are redacted.
    """
    from ....core import redact
    from ....services import sessions

    params: list = [a.query]
    where = "instr(lower(m.text), lower(?1)) > 0"
    if a.session_id:
        where += " AND m.session_id = ?2"
        params.append(sessions.resolve_id(conn, a.session_id))
    rows = conn.execute(
        f"""SELECT m.session_id, s.provider, s.cwd, m.ts, m.role, m.kind, m.text
            FROM messages m JOIN sessions s ON s.id = m.session_id
            WHERE {where} ORDER BY m.ts DESC, m.rowid DESC LIMIT {a.limit + 1}""",
        params,
    ).fetchall()
    matches = [
        Match(sid, provider, cwd, sessions.iso(ts), role, kind, _snippet(redact.redact_text(text), a.query))
        for sid, provider, cwd, ts, role, kind, text in rows[: a.limit]
    ]
    return SearchResult(matches=matches, truncated=len(rows) > a.limit)


def _snippet(text: str, query: str) -> str:
    """The text around the query's first match. Cut after redaction, never before:
    a secret cut in two (a PEM body, a token short of its last character) is no
    longer recognisable, and half of it would leak."""
    at = text.lower().find(query.lower())
    at = max(at, 0)
    start, end = max(0, at - SNIPPET_CHARS), min(len(text), at + len(query) + SNIPPET_CHARS)
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")
