"""Sessions as the contract shows them: tokens, context fill, cost, health, tags."""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, overload

import apsw
import msgspec

from ..core import pricing
from ..core.config import Config
from ..core.errors import Ambiguous, BadInput, NotFound
from ..core.models import SESSION_SORTS, Context, Session, Tokens, session_provenance, short_id
from ..store import retention, session_sums, write_transaction
from . import health, processes, unpriced_models
from .working import start as working_start


class Filters(NamedTuple):
    provider: str | None = None
    tag: str | None = None
    project: str | None = None
    active: bool = False
    since: float | None = None  # unix seconds: last activity at or after
    cwd: str | None = None  # working in this directory or below it


# The time ``column`` (unix seconds) as ``iso`` writes it, formatted by SQLite, in a
# third of the time Python takes (two per session). Whole seconds first (floor, as
# ``time.gmtime`` does): SQLite would round to the millisecond. NULL for a time
# before year 0 or after 9999, which ``_sessions`` formats in Python.
def _iso_sql(column: str) -> str:
    whole = f"(CAST({column} AS INTEGER) - ({column} < CAST({column} AS INTEGER)))"
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {whole}, 'unixepoch')"


# One session a row, in the order ``_sessions`` unpacks. What changes only when its rows
# do is read from the store's per-session tables, kept up to date by
# ``session_sums.refresh``: the usage sums (``usage_sessions``), where its
# latest stretch of work began and its errors (``session_facts``).
_SELECT = f"""
SELECT s.id, s.provider, s.project, s.cwd,
       coalesce((SELECT lsm_peek(text) FROM messages m WHERE m.session_id = s.id AND m.kind = 'summary'
                 ORDER BY m.ts DESC LIMIT 1), s.title),
       s.model, s.started_at, s.last_activity, {_iso_sql("s.started_at")}, {_iso_sql("s.last_activity")},
       s.context_tokens, s.context_window, s.context_peak,
       coalesce(u.input_tokens, 0), coalesce(u.output_tokens, 0), coalesce(u.cache_creation_tokens, 0),
       coalesce(u.cache_read_tokens, 0), coalesce(u.cost_usd, 0.0), coalesce(u.unpriced, 0), coalesce(u.exact, 1),
       coalesce(u.responses, 0), f.stretch_from, coalesce(f.errors, 0),
       (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags t WHERE t.session_id = s.id ORDER BY tag))
FROM sessions s
LEFT JOIN usage_sessions u ON u.session_id = s.id
LEFT JOIN session_facts f ON f.session_id = s.id
{{where}}
ORDER BY s.last_activity DESC, s.id
"""
# Where ``_active`` finds what it matches running processes on.
_ID, _PROVIDER, _CWD, _LAST_ACTIVITY = 0, 1, 3, 7

# ``s.cwd`` with exactly one trailing separator (``/`` stays ``/``), so that a
# prefix test is a test of being inside a directory. :below is the asked-for
# directory in the same form.
_DIR = "(rtrim(s.cwd, :sep) || :sep)"
_AT_OR_BELOW = f"(s.cwd <> '' AND substr({_DIR}, 1, length(:below)) = :below)"
_ABOVE = f"(s.cwd <> '' AND {_DIR} <> :below AND substr(:below, 1, length({_DIR})) = {_DIR})"


# What each of ``SESSION_SORTS`` puts first is what people look for:
# the newest, the costliest, the biggest, the fullest context, the worst health.
_FIRST: dict[str, tuple[Callable[[Session], Any], bool]] = {  # key, and whether larger comes first
    "last_activity": (lambda s: s.last_activity or "", True),
    "started_at": (lambda s: s.started_at or "", True),
    "cost": (lambda s: s.cost_usd or 0.0, True),
    "tokens": (lambda s: s.tokens.total, True),
    "context": (lambda s: s.context.percent, True),
    "health": (lambda s: s.health.score, False),
}


def list_sessions(
    conn: apsw.Connection, config: Config, filters: Filters = Filters(), *, now: float | None = None,
    sort: str = "last_activity", reverse: bool = False, limit: int | None = None,
) -> list[Session]:
    """Sessions matching ``filters``, most recently active first unless ``sort`` names another
    order (``SESSION_SORTS``); ``reverse`` turns it round; ``limit`` keeps the first so many."""
    if sort not in _FIRST:
        raise BadInput(f"cannot sort sessions by {sort!r}; choose one of {', '.join(SESSION_SORTS)}")
    if limit is not None and limit < 1:
        raise BadInput(f"the limit must be a positive number, got {limit}")
    clauses, params = where(filters)
    sessions = _select(conn, config, clauses, params, now)
    if filters.active:
        sessions = [s for s in sessions if s.active]
    key, larger_first = _FIRST[sort]
    if sort != "last_activity" or reverse:
        sessions.sort(key=key, reverse=larger_first != reverse)  # stable: ties stay newest first
    return sessions[:limit]


def where(filters: Filters) -> tuple[list[str], dict[str, object]]:
    """SQL clauses on ``sessions s`` (and their parameters) for all of ``filters`` but ``active``,
    which only the running processes can tell."""
    clauses: list[str] = []
    params: dict[str, object] = {}
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
    return clauses, params


def count(conn: apsw.Connection) -> int:
    """How many sessions the store holds, whatever any filter says."""
    return _count(conn, "", ())


def _count(conn: apsw.Connection, where: str, params: tuple[str, ...]) -> int:
    row = conn.execute(f"SELECT count(*) FROM sessions {where}", params).fetchone()
    return int(row[0]) if row else 0


def get_session(conn: apsw.Connection, config: Config, ref: str, *, now: float | None = None) -> Session:
    """One session by id or unique id prefix."""
    return _select(conn, config, ["s.id = :id"], {"id": resolve_id(conn, ref)}, now)[0]


def by_ids(conn: apsw.Connection, config: Config, ids: list[str], *, now: float | None = None) -> list[Session]:
    """The sessions ``ids`` names (those the store has), most recently active first."""
    return _select(conn, config, ["s.id IN (SELECT value FROM json_each(:ids))"],
                   {"ids": msgspec.json.encode(ids).decode()}, now)


def matching(conn: apsw.Connection, config: Config, clauses: list[str], params: Mapping[str, object], *,
             now: float | None = None) -> list[Session]:
    """The sessions every one of ``clauses`` (SQL on ``sessions s``, as ``where`` makes) holds for,
    most recently active first."""
    return _select(conn, config, clauses, params, now)


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
    conn: apsw.Connection, config: Config, clauses: list[str], params: Mapping[str, object], now: float | None
) -> list[Session]:
    """``_SELECT`` for the sessions matching every clause."""
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    session_sums.refresh(conn, health.stopped_after_s(config))  # per session, once, not on every listing
    rows = conn.execute(_SELECT.format(where=where), params).fetchall()
    found = _sessions(rows, _active(rows), config, time.time() if now is None else now)
    gone = _logs_gone(conn)
    pinned = retention.pinned(conn)
    for session in found:
        session.log_gone = session.id in gone
        session.pinned = session.id in pinned
    return found


def _logs_gone(conn: apsw.Connection) -> set[str]:
    """The sessions every log of which a scan found deleted (ingest/_gone.py keeps
    them): a set read, no file looked at."""
    return {row[0] for row in conn.execute("SELECT session_id FROM sessions_log_gone")}


def resolve_id(conn: apsw.Connection, ref: str) -> str:
    """The full id of the one session whose id is ``ref`` or starts with it (in any letter case)."""
    ref = ref.strip()
    if not ref:
        raise BadInput("empty session id")
    exact = conn.execute("SELECT id FROM sessions WHERE id = ?", (ref,)).fetchone()
    if exact:
        return exact[0]
    # Escape LIKE wildcards so an id containing % or _ matches literally.
    pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found: list[tuple[str, str, str | None]] = conn.execute(  # type: ignore[assignment]
        "SELECT id, provider, project FROM sessions WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6", (pattern,)
    ).fetchall()
    if not found:
        raise NotFound(f"no session with id {ref!r} (see 'llm-session list')")
    if len(found) > 1:
        total = len(found) if len(found) <= 5 else _count(conn, "WHERE id LIKE ? ESCAPE '\\'", (pattern,))
        shown = ", ".join(f"{sid} ({provider}{', ' + project if project else ''})"
                          for sid, provider, project in found[:5])
        raise Ambiguous(f"session id prefix {ref!r} matches {total} sessions: {shown}"
                        + (", ..." if total > 5 else "") + "; give more of the id")
    return found[0][0]


def short_ids(conn: apsw.Connection, ids: Iterable[str]) -> dict[str, str]:
    """Each of ``ids`` as people are shown it: ``short_id``'s 8 characters, or as many
    more as it takes to tell it from every other session in the store.

    Unique in the whole store, not only among those shown, so that what a
    filtered ``list`` shows works in ``show`` and every other command. Compared
    without letter case, as ``resolve_id`` matches.
    """
    every = sorted({row[0].lower() for row in conn.execute("SELECT id FROM sessions")})
    out = {}
    for sid in ids:
        low = sid.lower()
        at = bisect.bisect_left(every, low)
        shared = max((_common(low, every[n]) for n in (at - 1, at + 1) if 0 <= n < len(every)), default=0)
        out[sid] = sid[: max(len(short_id(sid)), shared + 1)]
    return out


def _common(a: str, b: str) -> int:
    """The length of the prefix ``a`` and ``b`` share."""
    return len(os.path.commonprefix([a, b]))  # noqa: RUF071 -- session ids: character by character is meant


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


def active_since(running: list[processes.AssistantProcess]) -> float:
    """The last activity a session needs to be run by one of ``running``: none older is active."""
    return min((p.started_at for p in running), default=float("inf")) - _RUNNING_SINCE_MARGIN_S


def _active(rows: list[Any]) -> dict[str, int]:
    running = processes.running() if rows else []
    if not running:
        return {}
    since = active_since(running)
    keys = [processes.SessionKey(r[_ID], r[_PROVIDER], r[_CWD], r[_LAST_ACTIVITY] or 0.0) for r in rows
            if (r[_LAST_ACTIVITY] or 0.0) >= since]
    return processes.match(running, keys)


def context_limit(model: str | None, log_window: int | None, config: Config, *, long_context: bool = False) -> int:
    """The window the assistant runs the session with.

    In order: the user's configured limit; the window the assistant itself
    reports (``log_window``: Codex's ``model_context_window``; Claude Code's
    statusline ``context_window.context_window_size`` belongs here too, once it
    is recorded); the model's window, which for Claude is 200k unless the
    session is the long-context variant, as its ``[1m]`` name or a turn over
    200k (``long_context``: see ``is_long``) shows.
    """
    if model and model in config.token_limits:
        return config.token_limits[model]
    return log_window or pricing.context_limit(model or "", config.token_limits, long_context=long_context)


def is_long(peak: int | None, used: int) -> bool:
    """Whether a session's fullest turn (``peak``) or its context now held more than Claude's default window."""
    return max(peak or 0, used) > pricing.DEFAULT_CONTEXT_LIMIT


class _Limits(dict):
    """``context_limit`` per (model, log window), resolved once per listing.

    A store holds a handful of models over many sessions; the table and the
    config's fuzzy keys need not be consulted again for each.
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config

    def __missing__(self, key: tuple[str | None, int | None, bool]) -> int:
        limit = self[key] = context_limit(key[0], key[1], self.config, long_context=key[2])
        return limit


def _sessions(rows: list[Any], active: dict[str, int], config: Config, now: float) -> list[Session]:
    """``Session`` of each of ``_SELECT``'s rows: the one loop ``list`` runs per session,
    so everything it can look up once (limits, health scores) it looks up once."""
    limits = _Limits(config)
    score = health.Scorer(config).of
    shortest_s = config.recommendations.max_duration_hours * 3600 / 2  # where health's duration part falls
    out = []
    for (sid, provider, project, cwd, title, model, started_at, last_activity, started, last, used, window, peak,
         tokens_in, tokens_out, cache_creation, cache_read, cost, unpriced, exact, turns, stretch_from, errors,
         tags) in rows:
        context_from = "unknown" if used is None else "exact" if exact else "estimated"
        used = used or 0
        limit = limits[model, window, is_long(peak, used)]
        percent = round(100.0 * used / limit, 1) if limit else 0.0
        working = working_start(started_at, last_activity, stretch_from, shortest_s)
        if started is None and started_at is not None:  # a year SQLite does not format
            started = iso(started_at)
        if last is None and last_activity is not None:
            last = iso(last_activity)
        out.append(Session(
            sid, provider, project, cwd, title, model, started, last, sid in active,
            Tokens(tokens_in, tokens_out, cache_creation, cache_read,
                   tokens_in + tokens_out + cache_creation + cache_read, "exact" if exact else "estimated"),
            Context(used, limit, percent),
            unpriced_models.known_cost(cost, unpriced),
            score(percent, max(0.0, (last_activity or 0) - working),
                  max(0.0, now - (last_activity or now)), errors, turns),
            tags.split("\x1f") if tags else [],
            not unpriced,
            # Most sessions' work began with them: their start, formatted once.
            (started if working == started_at else iso(working)) if started_at is not None else None,
            provenance=session_provenance(bool(exact), not unpriced, context_from),
        ))
    return out


@overload
def iso(ts: float) -> str: ...
@overload
def iso(ts: float | None) -> str | None: ...
def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC with a Z, the form the assistants' logs use."""
    if ts is None:
        return None
    # Twice as fast as datetime's isoformat, and ``list`` formats two per session.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
