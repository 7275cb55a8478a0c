"""The messages a query matches, each with a BM25 score, at a bounded cost.

FTS5's own ``bm25()`` counts, on every query, every message holding each term
(for its idf): at a million messages a word in most of them ("test", "error")
costs 25-30 ms before a single row is scored. So the score is worked out here,
by an auxiliary function (``lsm_bm25``, in Python through apsw, about 2 µs a
row) from the same numbers FTS5 would use, except the document frequency: it is
counted up to ``DF_COUNT`` matches and, past that, estimated from how far into
the index those first matches reach (the rowids are dense).

And only the ``CANDIDATES`` most recently stored matches are scored: FTS5 walks
a term's matches in rowid order, newest first, and stops there. A query
matching more than that ranks the newest of its matches (the result says so:
``complete`` false); fewer, and every match is ranked.

Filters on sessions (``--in``, provider, project, since) that leave few
messages (``SCOPE_MAX``) are applied the other way round: the filtered
messages' rowids are read from the ``messages_session`` index first, and the
FTS5 walk covers only the span of rowids they lie in, so a common word searched
in one session costs that session's matches, not the whole store's. Past
``SCOPE_MAX`` the filters are checked on each match of the walk instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import apsw
import msgspec

from ._query import ParsedQuery

CANDIDATES = 500
DF_COUNT = 5_000
SCOPE_MAX = 50_000  # filtered messages read as rowids; more, and the filters ride along the FTS5 walk
K1, B = 1.2, 0.75


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """Which messages may match; ``None``: any."""

    session_id: str | None = None  # a full id
    provider: str | None = None
    project: str | None = None
    since: float | None = None  # unix seconds; the message's time
    role: str | None = None  # user | assistant | tool | system

    def session_clauses(self) -> tuple[list[str], list[Any]]:
        """Conditions on ``sessions s``: what decides which sessions' messages may match."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("id", self.session_id), ("provider", self.provider), ("project", self.project)):
            if value is not None:
                clauses.append(f"s.{column} = ?")
                params.append(value)
        if self.since is not None:  # a session last active before it holds no message after it
            clauses.append("(s.last_activity IS NULL OR s.last_activity >= ?)")
            params.append(self.since)
        return clauses, params

    def message_clauses(self) -> tuple[list[str], list[Any]]:
        """Conditions on ``messages m``."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.since is not None:
            clauses.append("m.ts >= ?")
            params.append(self.since)
        if self.role == "tool":
            clauses.append("m.kind = 'tool_error'")
        elif self.role == "user":
            clauses.append("m.role = 'user' AND m.kind <> 'tool_error'")
        elif self.role is not None:
            clauses.append("m.role = ?")
            params.append(self.role)
        return clauses, params


class Candidates(msgspec.Struct):
    scores: dict[int, float]  # message rowid -> BM25 (higher is better)
    complete: bool  # every match is in ``scores``


def find(conn: apsw.Connection, query: ParsedQuery, filters: Filters) -> Candidates:
    """The matches of ``query`` within ``filters``: all of them, or the ``CANDIDATES`` newest stored."""
    expression = query.expression()
    weights = _idf(conn, query)
    _register_bm25(conn)
    scope = _scope(conn, filters)
    if scope is not None:
        return _in_scope(conn, expression, weights, scope)
    return _walk(conn, expression, weights, filters)


def _walk(conn: apsw.Connection, expression: str, weights: Sequence[float], filters: Filters) -> Candidates:
    """The FTS5 walk, newest stored first, with the filters checked on each match."""
    s_clauses, s_params = filters.session_clauses()
    m_clauses, m_params = filters.message_clauses()
    joins = ""
    if s_clauses or m_clauses:
        joins = " JOIN messages m ON m.rowid = f.rowid"
    if s_clauses:
        joins += " JOIN sessions s ON s.id = m.session_id"
    where = " AND ".join(["messages_fts MATCH ?", *m_clauses, *s_clauses])
    marks = ", ".join("?" * len(weights))
    rows: list[tuple[int, float]] = conn.execute(  # type: ignore[assignment]
        f"SELECT f.rowid, lsm_bm25(messages_fts, {marks}) FROM messages_fts f{joins} "
        f"WHERE {where} ORDER BY f.rowid DESC LIMIT {CANDIDATES + 1}",
        [*weights, expression, *m_params, *s_params],
    ).fetchall()
    return Candidates(dict(rows[:CANDIDATES]), complete=len(rows) <= CANDIDATES)


def _scope(conn: apsw.Connection, filters: Filters) -> list[int] | None:
    """The rowids of the messages the filters allow, ascending, if they limit sessions and few pass."""
    s_clauses, s_params = filters.session_clauses()
    if not s_clauses:
        return None
    sessions_where = " AND ".join(s_clauses)
    # Worth reading their rowids? Judged first from how many sessions pass (a scan of
    # ``sessions``, a few thousand rows), so a wide filter does not read SCOPE_MAX rowids in vain.
    passing, total = conn.execute(  # type: ignore[misc]  # one row: aggregates
        f"SELECT count(*) FILTER (WHERE {sessions_where}), count(*) FROM sessions s", s_params).fetchone()
    if not passing:
        return []
    top: int = conn.execute("SELECT max(rowid) FROM messages").get or 0
    if top * passing / max(1, total) > SCOPE_MAX:
        return None
    m_clauses, m_params = filters.message_clauses()
    where = " AND ".join([f"m.session_id IN (SELECT s.id FROM sessions s WHERE {sessions_where})", *m_clauses])
    rowids = [r for (r,) in conn.execute(
        f"SELECT m.rowid FROM messages m WHERE {where} LIMIT {SCOPE_MAX + 1}", [*s_params, *m_params])]
    if len(rowids) > SCOPE_MAX:
        return None
    rowids.sort()
    return rowids


def _in_scope(conn: apsw.Connection, expression: str, weights: Sequence[float], rowids: list[int]) -> Candidates:
    """The FTS5 walk within the span of ``rowids``, each match checked against them in SQLite."""
    if not rowids:
        return Candidates({}, complete=True)
    marks = ", ".join("?" * len(weights))
    # ``+rowid``: an expression, not the column, so FTS5 is not asked to seek each rowid
    # (a seek per message costs a millisecond for a common word); SQLite checks the
    # list, made once per query, on each match the walk of the span meets.
    rows: list[tuple[int, float]] = conn.execute(  # type: ignore[assignment]
        f"SELECT rowid, lsm_bm25(messages_fts, {marks}) FROM messages_fts "
        "WHERE messages_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?)) "
        f"ORDER BY rowid DESC LIMIT {CANDIDATES + 1}",
        [*weights, expression, rowids[0], rowids[-1], msgspec.json.encode(rowids).decode()],
    ).fetchall()
    return Candidates(dict(rows[:CANDIDATES]), complete=len(rows) <= CANDIDATES)


def _idf(conn: apsw.Connection, query: ParsedQuery) -> list[float]:
    """Each phrase's BM25 idf, as FTS5's bm25() has it, from a document frequency counted or estimated
    (a prefix: 1.0, a middling weight)."""
    top: int = conn.execute("SELECT max(rowid) FROM messages").get or 0
    weights = []
    for phrase in query.phrases:
        if phrase.prefix:  # counting would merge the doclist of every word with the prefix once more
            weights.append(1.0)
            continue
        count, reached = conn.execute(  # type: ignore[misc]  # one row: an aggregate
            f"SELECT count(*), max(rowid) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? "
            f"ORDER BY rowid LIMIT {DF_COUNT})", (phrase.fts(),)).fetchone()
        df = count if count < DF_COUNT or not reached else min(top, count * top / reached)
        weights.append(max(1e-6, math.log((top - df + 0.5) / (df + 0.5))) if top else 1.0)
    return weights


def _bm25(api: apsw.FTS5ExtensionApi, *weights: apsw.SQLiteValue) -> float:
    """BM25 of this row: the sum over phrases of idf x saturated term frequency, length-normalised."""
    average = api.aux_data
    if average is None:
        average = api.aux_data = api.column_total_size(0) / max(1, api.row_count)
    norm = K1 * (1 - B + B * api.column_size(0) / (average or 1.0))
    score = 0.0
    for i, weight in enumerate(weights):
        tf = len(api.phrase_column_offsets(i, 0))
        score += cast(float, weight) * tf * (K1 + 1) / (tf + norm)
    return score


def _register_bm25(conn: apsw.Connection) -> None:
    conn.register_fts5_function("lsm_bm25", _bm25)
