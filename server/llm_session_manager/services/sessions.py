"""Sessions as the contract shows them: tokens, context fill, cost, health, tags."""

from __future__ import annotations

import os
import re
import time
from datetime import datetime, timedelta
from typing import NamedTuple

import apsw

from ..config import Config
from ..errors import Ambiguous, BadInput, NotFound
from ..models import Context, Session, Tokens
from ..store import session_sums, write_transaction
from . import health, pricing, processes


class Filters(NamedTuple):
    provider: str | None = None
    tag: str | None = None
    project: str | None = None
    active: bool = False
    since: float | None = None  # unix seconds: last activity at or after
    cwd: str | None = None  # working in this directory or below it


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
       coalesce(u.input_tokens, 0), coalesce(u.output_tokens, 0), coalesce(u.cache_creation_tokens, 0),
       coalesce(u.cache_read_tokens, 0), coalesce(u.cost_usd, 0.0), coalesce(u.exact, 1),
       coalesce(u.responses, 0), coalesce(e.errors, 0),
       (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags t WHERE t.session_id = s.id ORDER BY tag))
FROM sessions s
LEFT JOIN usage_sessions u ON u.session_id = s.id
LEFT JOIN (
    SELECT session_id, count(*) AS errors FROM messages
    WHERE kind IN ('api_error', 'tool_error') {error_where} GROUP BY session_id
) e ON e.session_id = s.id
{where}
ORDER BY s.last_activity DESC, s.id
"""

# ``s.cwd`` with exactly one trailing separator (``/`` stays ``/``), so that a
# prefix test is a test of being inside a directory. :below is the asked-for
# directory in the same form.
_DIR = "(rtrim(s.cwd, :sep) || :sep)"
_AT_OR_BELOW = f"(s.cwd <> '' AND substr({_DIR}, 1, length(:below)) = :below)"
_ABOVE = f"(s.cwd <> '' AND {_DIR} <> :below AND substr(:below, 1, length({_DIR})) = {_DIR})"


def list_sessions(
    conn: apsw.Connection, config: Config, filters: Filters = Filters(), *, now: float | None = None
) -> list[Session]:
    """Sessions matching ``filters``, most recently active first."""
    clauses, params = [], {}
    if filters.provider:
        clauses.append("s.provider = :provider")
        params["provider"] = filters.provider
    if filters.project:
        clauses.append("s.project = :project")
        params["project"] = filters.project
    if filters.tag:
        clauses.append("EXISTS (SELECT 1 FROM tags t WHERE t.session_id = s.id AND t.tag = :tag)")
        params["tag"] = filters.tag
    if filters.since is not None:
        clauses.append("s.last_activity >= :since")
        params["since"] = filters.since
    if filters.cwd is not None:
        clauses.append(_AT_OR_BELOW)
        params.update(_places(filters.cwd))
    sessions = _select(conn, config, clauses, params, now)
    if filters.active:
        sessions = [s for s in sessions if s.active]
    return sessions


def get_session(conn: apsw.Connection, config: Config, ref: str, *, now: float | None = None) -> Session:
    """One session by id or unique id prefix."""
    return _select(conn, config, ["s.id = :id"], {"id": resolve_id(conn, ref)}, now)[0]


def for_cwd(conn: apsw.Connection, config: Config, cwd: str, *, now: float | None = None) -> Session | None:
    """The session working in ``cwd``, or None when no session has worked near it.

    Sessions in ``cwd`` itself come first, then those in a directory below or
    above it (an editor opened on a subdirectory of the project, or on the
    repository an assistant works in a part of); within each, a running
    session before the others, then the most recently active.
    """
    found = _select(conn, config, [f"({_AT_OR_BELOW} OR {_ABOVE})"], _places(cwd), now)
    if not found:
        return None
    here = _norm(cwd)
    return min(found, key=lambda s: (_norm(s.cwd) != here, not s.active))  # min is stable: newest first


def _places(cwd: str) -> dict[str, str]:
    return {"below": _norm(cwd).rstrip(os.sep) + os.sep, "sep": os.sep}


def _norm(path: str | None) -> str:
    return os.path.normpath(path) if path else ""


def _select(
    conn: apsw.Connection, config: Config, clauses: list[str], params: dict[str, object], now: float | None
) -> list[Session]:
    """``_SELECT`` for the sessions matching every clause; errors counted for those only."""
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    chosen = f"session_id IN (SELECT s.id FROM sessions s {where})" if clauses else ""
    sql = _SELECT.format(error_where=f"AND {chosen}" if chosen else "", where=where)
    session_sums.refresh(conn)  # usage per session, summed once, not on every listing
    facts = [_Facts(*row) for row in conn.execute(sql, params)]
    active = _active(facts)
    now = time.time() if now is None else now
    limits = _Limits(config)
    return [_session(f, f.id in active, config, now, limits) for f in facts]


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


# A process runs a session active since shortly before it started (``processes.match``);
# this is more than that margin, so sessions older than it cannot be running.
_RUNNING_SINCE_MARGIN_S = 3600.0


def _active(facts: list[_Facts]) -> dict[str, int]:
    running = processes.running() if facts else []
    if not running:
        return {}
    since = min(p.started_at for p in running) - _RUNNING_SINCE_MARGIN_S
    keys = [processes.SessionKey(f.id, f.provider, f.cwd, f.last_activity or 0.0) for f in facts
            if (f.last_activity or 0.0) >= since]
    return processes.match(running, keys)


def context_limit(model: str | None, log_window: int | None, config: Config) -> int:
    """The user's configured limit first, then what the log says, then the table."""
    if model and model in config.token_limits:
        return config.token_limits[model]
    return log_window or pricing.context_limit(model or "", config.token_limits)


class _Limits(dict):
    """``context_limit`` per (model, log window), resolved once per listing.

    A store holds a handful of models over many sessions; the table and the
    config's fuzzy keys need not be consulted again for each.
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config

    def __missing__(self, key: tuple[str | None, int | None]) -> int:
        limit = self[key] = context_limit(key[0], key[1], self.config)
        return limit


def _session(f: _Facts, active: bool, config: Config, now: float, limits: _Limits) -> Session:
    used = f.context_tokens or 0
    limit = limits[f.model, f.context_window]
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


_AGE = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, name: str = "since") -> float:
    """A local date (2025-01-31), an ISO time or an age (30m, 12h, 7d, 2w) as unix seconds.

    ``name`` is what the frontend calls the value (``--since``), for the error.
    """
    value = text.strip()
    m = _AGE.fullmatch(value)
    if m:
        return time.time() - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))}).total_seconds()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()  # a bare date: local midnight
    except ValueError:
        raise BadInput(
            f"{name} must be a date like 2025-01-31, an ISO time or an age like 7d, got {text!r}"
        ) from None


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC with a Z, the form the assistants' logs use."""
    if ts is None:
        return None
    # Twice as fast as datetime's isoformat, and ``list`` formats two per session.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
