"""Sessions as the contract shows them: tokens, context fill, cost, health, tags."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import NamedTuple

import apsw

from ..config import Config
from ..errors import Ambiguous, BadInput, NotFound
from ..models import Context, Session, Tokens
from ..store import write_transaction
from . import health, pricing, processes


class Filters(NamedTuple):
    provider: str | None = None
    tag: str | None = None
    project: str | None = None
    active: bool = False
    since: float | None = None  # unix seconds: last activity at or after


class _Facts(NamedTuple):
    """One row of ``_SELECT``, before it becomes a ``Session``."""

    id: str
    provider: str
    project: str | None
    cwd: str | None
    title: str | None
    model: str | None
    started_at: float | None
    last_activity: float | None
    context_tokens: int | None
    context_window: int | None
    input: int
    output: int
    cache_creation: int
    cache_read: int
    cost_usd: float
    exact: int
    turns: int
    errors: int
    tags: str | None


_SELECT = """
SELECT s.id, s.provider, s.project, s.cwd,
       coalesce((SELECT text FROM messages m WHERE m.session_id = s.id AND m.kind = 'summary'
                 ORDER BY m.ts DESC LIMIT 1), s.title),
       s.model, s.started_at, s.last_activity,
       s.context_tokens, s.context_window,
       coalesce(u.input, 0), coalesce(u.output, 0), coalesce(u.cache_creation, 0),
       coalesce(u.cache_read, 0), coalesce(u.cost, 0.0), coalesce(u.exact, 1),
       coalesce(u.turns, 0), coalesce(e.errors, 0),
       (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags t WHERE t.session_id = s.id ORDER BY tag))
FROM sessions s
LEFT JOIN (
    SELECT session_id, sum(input_tokens) AS input, sum(output_tokens) AS output,
           sum(cache_creation_tokens) AS cache_creation, sum(cache_read_tokens) AS cache_read,
           sum(cost_usd) AS cost, min(exact) AS exact, count(*) AS turns
    FROM usage {usage_where} GROUP BY session_id
) u ON u.session_id = s.id
LEFT JOIN (
    SELECT session_id, count(*) AS errors FROM messages
    WHERE kind IN ('api_error', 'tool_error') {error_where} GROUP BY session_id
) e ON e.session_id = s.id
{where}
ORDER BY s.last_activity DESC, s.id
"""


def list_sessions(
    conn: apsw.Connection, config: Config, filters: Filters = Filters(), *, now: float | None = None
) -> list[Session]:
    """Sessions matching ``filters``, most recently active first."""
    clauses, params = [], []
    if filters.provider:
        clauses.append("s.provider = ?")
        params.append(filters.provider)
    if filters.project:
        clauses.append("s.project = ?")
        params.append(filters.project)
    if filters.tag:
        clauses.append("EXISTS (SELECT 1 FROM tags t WHERE t.session_id = s.id AND t.tag = ?)")
        params.append(filters.tag)
    if filters.since is not None:
        clauses.append("s.last_activity >= ?")
        params.append(filters.since)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = _SELECT.format(usage_where="", error_where="", where=where)
    facts = [_Facts(*row) for row in conn.execute(sql, params)]
    active = _active(facts)
    sessions = [_session(f, f.id in active, config, now) for f in facts]
    if filters.active:
        sessions = [s for s in sessions if s.active]
    return sessions


def get_session(conn: apsw.Connection, config: Config, ref: str, *, now: float | None = None) -> Session:
    """One session by id or unique id prefix."""
    sid = resolve_id(conn, ref)
    sql = _SELECT.format(
        usage_where="WHERE session_id = ?1", error_where="AND session_id = ?1", where="WHERE s.id = ?1"
    )
    facts = _Facts(*conn.execute(sql, (sid,)).fetchone())
    return _session(facts, sid in _active([facts]), config, now)


def resolve_id(conn: apsw.Connection, ref: str) -> str:
    """The full id of the one session whose id is ``ref`` or starts with it."""
    ref = ref.strip()
    if not ref:
        raise BadInput("empty session id")
    exact = conn.execute("SELECT id FROM sessions WHERE id = ?", (ref,)).fetchone()
    if exact:
        return exact[0]
    # Escape LIKE wildcards so an id containing % or _ matches literally.
    pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM sessions WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6", (pattern,)
    )]
    if not ids:
        raise NotFound(f"no session with id {ref!r} (see 'llm-session list')")
    if len(ids) > 1:
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise Ambiguous(f"session id prefix {ref!r} matches several sessions: {shown}")
    return ids[0]


def tag(conn: apsw.Connection, ref: str, tags: list[str]) -> str:
    return _change_tags(conn, ref, tags, "INSERT OR IGNORE INTO tags (session_id, tag) VALUES (?, ?)")


def untag(conn: apsw.Connection, ref: str, tags: list[str]) -> str:
    return _change_tags(conn, ref, tags, "DELETE FROM tags WHERE session_id = ? AND tag = ?")


def _change_tags(conn: apsw.Connection, ref: str, tags: list[str], sql: str) -> str:
    sid = resolve_id(conn, ref)
    clean = _clean_tags(tags)
    with write_transaction(conn):
        conn.executemany(sql, [(sid, t) for t in clean])
    return sid


def set_project(conn: apsw.Connection, ref: str, name: str) -> str:
    sid = resolve_id(conn, ref)
    name = name.strip()
    if not name:
        raise BadInput("project name must not be empty")
    with write_transaction(conn):
        conn.execute("UPDATE sessions SET project = ? WHERE id = ?", (name, sid))
    return sid


def _clean_tags(tags: list[str]) -> list[str]:
    clean = [t.strip() for t in tags]
    bad = [t for t in clean if not t or any(c.isspace() for c in t) or len(t) > 64]
    if bad or not clean:
        raise BadInput(f"invalid tag {bad[0]!r}: tags are 1-64 characters without spaces" if bad else "no tags given")
    return clean


def _active(facts: list[_Facts]) -> dict[str, int]:
    keys = [processes.SessionKey(f.id, f.provider, f.cwd, f.last_activity or 0.0) for f in facts]
    return processes.match(processes.running(), keys)


def context_limit(model: str | None, log_window: int | None, config: Config) -> int:
    """The user's configured limit first, then what the log says, then the table."""
    if model and model in config.token_limits:
        return config.token_limits[model]
    return log_window or pricing.context_limit(model or "", config.token_limits)


def _session(f: _Facts, active: bool, config: Config, now: float | None) -> Session:
    now = time.time() if now is None else now
    used = f.context_tokens or 0
    limit = context_limit(f.model, f.context_window, config)
    percent = round(100.0 * used / limit, 1) if limit else 0.0
    signals = health.Signals(
        context_percent=percent,
        duration_s=(f.last_activity or 0) - (f.started_at or 0),
        idle_s=max(0.0, now - (f.last_activity or now)),
        errors=f.errors,
        turns=f.turns,
    )
    return Session(
        id=f.id,
        provider=f.provider,
        project=f.project,
        cwd=f.cwd,
        title=f.title,
        model=f.model,
        started_at=iso(f.started_at),
        last_activity=iso(f.last_activity),
        active=active,
        tokens=Tokens(
            input=f.input,
            output=f.output,
            cache_creation=f.cache_creation,
            cache_read=f.cache_read,
            total=f.input + f.output + f.cache_creation + f.cache_read,
            source="exact" if f.exact else "estimated",
        ),
        context=Context(used=used, limit=limit, percent=percent),
        cost_usd=round(f.cost_usd, 6),
        health=health.score(signals, config),
        tags=f.tags.split("\x1f") if f.tags else [],
    )


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC with a Z, the form the assistants' logs use."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
