"""Search past conversations: where something was said, best or newest first, with a snippet.

Every stored message is in a full-text index (``messages_fts``, FTS5, migration
019) kept in step with ``messages`` by triggers. A search parses the query into
words and phrases (``_query``), finds and scores the matching messages with BM25
(``_candidates``), re-orders the best by meaning with vectors made at query time
(``_rerank``) unless asked for the newest, and cuts each hit's snippet from its
redacted text (``_snippet``). Each hit names its session and its place in it,
which ``message_context`` (``show ID --message N``) shows with its neighbours.
docs/search.md has the design and its measured cost.

The history outlives the logs: a session whose transcript was deleted is
searched like any other, since the index is over the store, not the files.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

import apsw

from ...core import args, redact
from ...core.errors import BadArgument, NotFound
from ...core.models import (
    SEARCH_ROLES,
    SEARCH_SORTS,
    MessageContext,
    MessageLine,
    SearchMatch,
    SearchResult,
    ToolCallLine,
)
from ...store import tool_uses
from .. import sessions
from . import _candidates, _query, _rerank, _snippet
from ._candidates import Filters

__all__ = ["Filters", "message_context", "search"]

CONTEXT = 2  # messages shown each side by ``message_context``


def search(
    conn: apsw.Connection,
    query: str,
    *,
    session_id: str | None = None,
    provider: str | None = None,
    project: str | None = None,
    since: float | None = None,
    role: str | None = None,
    sort: str = "best",
    limit: int = 20,
) -> SearchResult:
    """The ``limit`` best (or newest) messages matching ``query``, in one session (id or unique prefix) or all."""
    args.check(limit, args.SearchLimit, "limit")
    if sort not in SEARCH_SORTS:
        raise BadArgument("sort", f"must be one of {', '.join(SEARCH_SORTS)}, got {sort!r}")
    if role is not None and role not in SEARCH_ROLES:
        raise BadArgument("role", f"must be one of {', '.join(SEARCH_ROLES)}, got {role!r}")
    parsed = _query.parse(conn, query)
    filters = Filters(session_id=sessions.resolve_id(conn, session_id) if session_id else None,
                      provider=provider, project=(project or "").strip() or None, since=since, role=role)
    found = _candidates.find(conn, parsed, filters)
    ordered = _ordered(conn, query, found.scores, sort)
    tokenize = _query.tokenizer(conn)
    matches: list[SearchMatch] = []
    seen = 0
    for rowid, score, row in _rows(conn, ordered, limit):
        seen += 1
        sid, ts, role_, kind, text, provider_, cwd, project_ = row
        cut = _snippet.snippet(tokenize, text, parsed)
        if cut is None:  # it matched only inside a secret
            continue
        matches.append(SearchMatch(
            sid, provider_, cwd, sessions.iso(ts), role_, kind, cut.text, message=_place(conn, sid, ts, rowid),
            project=project_, score=score, highlights=cut.highlights,
        ))
        if len(matches) == limit:
            break
    return SearchResult(matches=matches, truncated=seen < len(ordered) or not found.complete, sort=sort,
                        complete=found.complete)


def _ordered(conn: apsw.Connection, query: str, scores: dict[int, float], sort: str) -> list[tuple[int, float | None]]:
    """The candidates in the order asked: fused BM25 and meaning, or newest first (then no score)."""
    if sort == "newest":
        times = _column(conn, "ts", list(scores))
        return [(r, None) for r in sorted(scores, key=lambda r: (times.get(r) or 0.0, r), reverse=True)]
    by_words = sorted(scores, key=lambda r: (-scores[r], -r))
    return list(_rerank.fuse(query, by_words, lambda rowids: _column(conn, "text", rowids)))


def _column(conn: apsw.Connection, column: str, rowids: list[int]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for at in range(0, len(rowids), 500):
        part = rowids[at:at + 500]
        out.update(conn.execute(  # type: ignore[arg-type]  # (rowid, value) pairs
            f"SELECT rowid, lsm_open({column}) FROM messages WHERE rowid IN ({','.join('?' * len(part))})", part).fetchall())
    return out


_DETAILS = """SELECT m.rowid, m.session_id, m.ts, m.role, m.kind, lsm_open(m.text), s.provider, s.cwd, s.project
              FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.rowid IN ({})"""


def _rows(conn: apsw.Connection, ordered: list[tuple[int, float | None]], limit: int) -> Iterator[tuple[int, float | None, tuple]]:
    """Each candidate's row, in order, read a batch at a time (a few more than ``limit``: some may not show)."""
    batch = limit + 5
    for at in range(0, len(ordered), batch):
        part = ordered[at:at + batch]
        rows = {r[0]: r[1:] for r in conn.execute(_DETAILS.format(",".join("?" * len(part))), [r for r, _ in part])}
        for rowid, score in part:
            if rowid in rows:
                yield rowid, score, rows[rowid]


def _place(conn: apsw.Connection, session_id: str, ts: float, rowid: int) -> int:
    """The message's place in its session (from 1), in the order ``show --message`` counts: time, then storage."""
    place: int = conn.execute(
        "SELECT count(*) FROM messages WHERE session_id = ?1 AND (ts < ?2 OR (ts = ?2 AND rowid <= ?3))",
        (session_id, ts, rowid)).get
    return place


def message_context(conn: apsw.Connection, session_id: str, message: int, *, around: int = CONTEXT) -> MessageContext:
    """Message ``message`` (from 1) of a session (id or unique prefix), with ``around`` messages each side, redacted."""
    sid = sessions.resolve_id(conn, session_id)
    provider, project = conn.execute(  # type: ignore[misc]  # resolve_id found it
        "SELECT provider, project FROM sessions WHERE id = ?", (sid,)).fetchone()
    total: int = conn.execute("SELECT count(*) FROM messages WHERE session_id = ?", (sid,)).get
    if not total:
        raise NotFound(f"session {sid} has no stored messages")
    if not 1 <= message <= total:
        raise BadArgument("message", f"must be a whole number from 1 to {total}, got {message}")
    first = max(1, message - around)
    shown = min(total, message + around) - first + 1
    rows: list[tuple[float, str, str, str]] = conn.execute(  # type: ignore[assignment]
        "SELECT ts, role, kind, lsm_open(text) FROM messages WHERE session_id = ? ORDER BY ts, rowid LIMIT ? OFFSET ?",
        (sid, shown + 1, first - 1)).fetchall()  # one more: where the last one's tool calls end
    after = rows[shown][0] if len(rows) > shown else None
    rows = rows[:shown]
    texts = redact.redact_many([text for *_, text in rows])
    lines = [MessageLine(first + i, sessions.iso(ts), role, kind, text)
             for i, ((ts, role, kind, _), text) in enumerate(zip(rows, texts, strict=True))]
    _attach_calls(conn, sid, lines, [r[0] for r in rows], after)
    return MessageContext(sid, provider, project, message, total, lines)


def _attach_calls(conn: apsw.Connection, sid: str, lines: list[MessageLine], times: list[float],
                  after: float | None) -> None:
    """Each tool call from the first line's time up to the next message's onto the line it follows."""
    if not lines:
        return
    calls = [c for c in tool_uses.of_session(conn, sid) if c[0] >= times[0] and (after is None or c[0] < after)]
    if not calls:
        return
    texts = redact.redact_many([c[4] or "" for c in calls])
    for (ts, _seq, _id, name, _given, size, _key), text in zip(calls, texts, strict=True):
        line = lines[bisect_right(times, ts) - 1]
        line.tools.append(ToolCallLine(name, text or None, size, sessions.iso(ts)))
