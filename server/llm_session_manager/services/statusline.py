"""What Claude Code's status line shows: the facts behind each segment.

Claude Code runs its ``statusLine`` command after each update of the
conversation, with a JSON document on stdin (``Payload``, the shape its docs
give), and cancels a run that is still going when the next one starts. So a
line is worth only what it costs: this reads just the session's own
transcript (from where the store last stopped in it), records the official
rate-limit readings (``limits.record``), and asks the store a few indexed
questions. Every figure says where it comes from (``official`` from the
payload, ``exact`` from logs, ``estimated``).
"""

import os
import time
from pathlib import Path
from typing import NamedTuple

import apsw
import msgspec

from ..core.config import Config
from ..store.limit_readings import Reading, latest
from . import limits

# --- what Claude Code sends (code.claude.com/docs/en/statusline) -----------------


class Model(msgspec.Struct):
    id: str | None = None
    display_name: str | None = None


class Workspace(msgspec.Struct):
    current_dir: str | None = None
    project_dir: str | None = None


class Cost(msgspec.Struct):
    total_cost_usd: float | None = None
    total_duration_ms: float | None = None


class CurrentUsage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0


class ContextWindow(msgspec.Struct):
    used_percentage: float | None = None
    context_window_size: int | None = None
    current_usage: CurrentUsage | None = None  # null right after /compact


class RateWindow(msgspec.Struct):
    used_percentage: float | None = None
    resets_at: float | str | None = None  # epoch seconds (an ISO time is accepted too)


class RateLimits(msgspec.Struct):
    five_hour: RateWindow | None = None
    seven_day: RateWindow | None = None


class Payload(msgspec.Struct):
    session_id: str | None = None
    transcript_path: str | None = None
    cwd: str | None = None
    workspace: Workspace | None = None
    model: Model | None = None
    cost: Cost | None = None
    context_window: ContextWindow | None = None
    exceeds_200k_tokens: bool | None = None
    rate_limits: RateLimits | None = None


def decode(data: bytes) -> Payload:
    """The payload; unknown fields are ignored (Claude Code adds some with most releases)."""
    return msgspec.json.decode(data, type=Payload)


# --- the facts -------------------------------------------------------------------


class Figure(NamedTuple):
    value: float
    source: str  # official | exact | estimated


class Window(NamedTuple):
    used_percent: float | None
    resets_at: float | None
    source: str  # official | estimated
    cost_usd: float | None = None  # of an estimated window, from logs


class Facts(NamedTuple):
    model: str | None
    context_percent: Figure | None
    session_cost: Figure | None
    today_cost: Figure | None  # every assistant's, local day
    five_hour: Window | None
    seven_day: Window | None
    health: tuple[float, str] | None  # (score, status)
    now: float


def facts(conn: apsw.Connection, payload: Payload, *, config: Config | None = None,
          wanted: frozenset[str] = frozenset(), now: float | None = None) -> Facts:
    """The facts of the segments in ``wanted`` (all when empty).

    ``config`` is only needed for the health score.
    """
    now = time.time() if now is None else now

    def want(name: str) -> bool:
        return not wanted or name in wanted

    try:
        if payload.transcript_path:
            read_transcript(conn, Path(payload.transcript_path))
        _record(conn, payload, now)
    except apsw.BusyError:
        pass  # another process is writing (a first scan): draw what the store has; the next run reads on
    sid = payload.session_id
    context = _context(conn, payload, sid) if want("context") or want("health") else None
    return Facts(
        model=_model(payload),
        context_percent=context if want("context") else None,
        session_cost=_session_cost(conn, payload, sid) if want("session") else None,
        today_cost=_today_cost(conn, now) if want("today") else None,
        five_hour=_window(conn, payload, limits.FIVE_HOUR, now) if want("five_hour") else None,
        seven_day=_window(conn, payload, limits.SEVEN_DAY, now) if want("weekly") else None,
        health=_health(conn, config, sid, context, now) if want("health") and config is not None and sid else None,
        now=now,
    )


_KNOWN = "SELECT size, mtime_ns, inode, offset FROM source_files WHERE path = ?"
# A usage-first scan left conversation to store (ingest/_conversation.py): every
# other read first finishes it, waiting for the continuation at it.
# New bytes without this hold no billed response: nothing the line shows changed.
_USAGE_MARK = b'"usage"'


def read_transcript(conn: apsw.Connection, path: Path) -> None:
    """Store what is new in one Claude Code transcript, from where the store stopped in it.

    A transcript the store has read to its end costs a ``stat`` and one lookup.
    So do appended lines without a billed response (a prompt, a tool's result):
    the line shows nothing they change, and the next read or scan stores them.
    Only new usage loads the ingest machinery (``ingest.import_files``), whose
    imports are most of what a status line costs.
    """
    path = Path(os.path.abspath(path))
    try:
        st = path.stat()
    except OSError:
        return  # not written yet (the first line of a session), or gone
    row = conn.execute(_KNOWN, (str(path),)).fetchone()
    if row is not None and tuple(row[:3]) == (st.st_size, st.st_mtime_ns, st.st_ino):
        return
    if row is not None and row[2] == st.st_ino and row[3] <= st.st_size and not _new_usage(path, row[3], st.st_size):
        return
    from .. import ingest
    from ..sources import claude_code

    if ingest.conversation_behind(conn):
        return  # a first scan's conversation is still being stored: reading now would wait for all of it
    ingest.import_files(conn, claude_code.SOURCE, [path])


def _new_usage(path: Path, offset: int, size: int) -> bool:
    """Whether the bytes appended after ``offset`` may hold a billed response."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return _USAGE_MARK in f.read(size - offset)
    except OSError:
        return True  # let ingest say what is wrong


def _record(conn: apsw.Connection, payload: Payload, now: float) -> None:
    readings = [Reading("claude-code", name, w.used_percentage, _epoch(w.resets_at), now, now,
                               payload.session_id)
                for name, w in _rate_windows(payload) if w.used_percentage is not None]
    if readings:
        from ..store import write_transaction
        from ..store.limit_readings import record

        with write_transaction(conn):
            record(conn, readings)


def _rate_windows(payload: Payload) -> list[tuple[str, RateWindow]]:
    rl = payload.rate_limits
    if rl is None:
        return []
    return [(name, w) for name, w in ((limits.FIVE_HOUR, rl.five_hour), (limits.SEVEN_DAY, rl.seven_day))
            if w is not None]


def _epoch(value: float | str | None) -> float | None:
    if value is None or isinstance(value, int | float):
        return value
    from ..core import when

    try:
        return when.parse_since(value)
    except Exception:  # noqa: BLE001 -- a reset time we cannot read is not known, not an error
        return None


def _model(payload: Payload) -> str | None:
    m = payload.model
    return (m.display_name or m.id) if m else None


_SESSION = "SELECT context_tokens, context_window FROM sessions WHERE id = ?"


def _context(conn: apsw.Connection, payload: Payload, sid: str | None) -> Figure | None:
    """Claude Code's own figure. Right after /compact it has none (``current_usage``
    null): nothing is shown rather than the fill from before the compaction. Only a
    Claude Code too old to send ``context_window`` gets the store's latest turn."""
    cw = payload.context_window
    if cw is not None:
        if cw.used_percentage is not None:
            return Figure(float(cw.used_percentage), "official")
        u = cw.current_usage
        if u is not None and cw.context_window_size:
            used = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
            return Figure(100.0 * used / cw.context_window_size, "official")
        return None
    row = conn.execute(_SESSION, (sid,)).fetchone() if sid else None
    if row and row[0] is not None:
        return Figure(100.0 * row[0] / (row[1] or 200_000), "exact")
    return None


_SESSION_COST = "SELECT count(*), coalesce(sum(cost_usd), 0.0), coalesce(sum(priced = 2), 0) FROM usage WHERE session_id = ?"


def _session_cost(conn: apsw.Connection, payload: Payload, sid: str | None) -> Figure | None:
    """The session's cost from the store (its sub-agents' too, once read); Claude Code's own total before any is stored."""
    if sid:
        responses, cost, unpriced = _one(conn, _SESSION_COST, (sid,))
        if responses and not unpriced:
            return Figure(cost, "exact")
    if payload.cost is not None and payload.cost.total_cost_usd is not None:
        return Figure(payload.cost.total_cost_usd, "official")
    return None


_TODAY = "SELECT coalesce(sum(cost_usd), 0.0), coalesce(sum(unpriced), 0) FROM usage_quarters WHERE quarter >= ?"


def _today_cost(conn: apsw.Connection, now: float) -> Figure | None:
    """Every assistant's cost since local midnight, from the quarter-hour sums."""
    from ..store import quarters

    lt = time.localtime(now)
    midnight = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, 0, 0, 0, 0, 0, -1))
    try:
        quarters.refresh(conn)
    except apsw.BusyError:
        pass  # a scan is writing: its sums are brought up to date by the next reader
    cost, unpriced = _one(conn, _TODAY, (int(midnight) // quarters.QUARTER_HOUR,))
    return Figure(cost, "estimated" if unpriced else "exact")


def _window(conn: apsw.Connection, payload: Payload, name: str, now: float) -> Window | None:
    """The payload's reading; else the latest stored one still in its window; else,
    for the 5-hour window, Claude's active usage block (estimated)."""
    for wname, w in _rate_windows(payload):
        if wname == name and w.used_percentage is not None:
            return Window(w.used_percentage, _epoch(w.resets_at), "official")
    stored = limits.current(latest(conn, "claude-code", name), now)
    if stored is not None:
        return Window(stored.used_percent, stored.resets_at, "official")
    if name != limits.FIVE_HOUR:
        return None
    from .blocks import current_block

    block = current_block(conn, now)
    if block is None:
        return None
    return Window(None, block.end, "estimated", None if block.unpriced_models else block.cost_usd)


_ERRORS = """
SELECT (SELECT count(*) FROM messages WHERE session_id = :sid AND kind IN ('api_error', 'tool_error')),
       (SELECT count(*) FROM usage WHERE session_id = :sid),
       (SELECT started_at FROM sessions WHERE id = :sid), (SELECT last_activity FROM sessions WHERE id = :sid)
"""


def _health(conn: apsw.Connection, config: Config | None, sid: str, context: Figure | None,
            now: float) -> tuple[float, str] | None:
    """The session's health score as ``list`` computes it (``services/health.py``)."""
    from . import health
    from .working import since

    assert config is not None
    errors, turns, started, last = _one(conn, _ERRORS, {"sid": sid})
    if started is None:
        return None
    stopped = health.stopped_after_s(config)
    working = since(conn, {sid: (started, last)}, stopped, config.recommendations.max_duration_hours * 3600 / 2)[sid]
    h = health.score(health.Signals(context.value if context else 0.0, max(0.0, last - working),
                                    max(0.0, now - last), errors, turns), config)
    return h.score, h.status


def _one(conn: apsw.Connection, sql: str, params: tuple | dict) -> tuple:
    """The one row of an aggregate query (which always has one)."""
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row
