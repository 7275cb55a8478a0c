"""Usage heard over OTLP, counted in ``usage`` only until the log brings the same response.

An assistant that exports OpenTelemetry reports each response seconds after it
happens; its log is read at the next scan. Both describe the same response, so
one must give way, and it is always the OTLP row (migration 016):

* Claude Code's ``claude_code.api_request`` carries ``request_id``, the
  transcript's ``requestId``, which ends the log row's key
  (``{message.id}:{requestId}``). A log row of the same session ending in
  ``:<request id>`` stands for it.
* Codex and Gemini CLI events carry no id their logs keep, so there the unit
  is the session: once the session's log has any row, that log stands for all
  of the session's responses, and its OTLP rows give way.

Either way, an OTLP row that arrives after its log is recorded but not counted,
and a log row that arrives after its OTLP row removes it in the same
transaction (``superseded``, called by ``ingest._store.write``). Totals are then
always those of the logs alone plus what only OTLP has told us so far.
"""

from collections.abc import Sequence
from typing import NamedTuple, cast

import apsw

from . import quarters, session_sums
from .connection import write_transaction

PREFIX = "otlp:"
_Pending = tuple[str, str, "str | None", float]  # key, session_id, request_id, ts of a row still counted


class Heard(NamedTuple):
    """One response an assistant reported over OTLP, as the store keeps it."""

    usage: tuple  # the ``usage`` row: (dedup_key, session_id, ts, model, ..., cache_creation_1h_tokens)
    provider: str
    request_id: str | None
    query_source: str | None = None
    agent_name: str | None = None
    skill_name: str | None = None
    mcp_server_name: str | None = None


class MetricPoint(NamedTuple):
    """One data point of an assistant's own usage counter for a session."""

    session_id: str
    provider: str
    metric: str
    model: str
    type: str
    value: float
    delta: bool  # a delta point adds to the tally; a cumulative one replaces it
    ts: float


def record(conn: apsw.Connection, heard: Sequence[Heard]) -> int:
    """Store what was heard, in one transaction; returns how many responses now count.

    A response heard again (an exporter retrying) changes nothing.
    """
    counted = 0
    with write_transaction(conn):
        for h in heard:
            key, session_id, ts = h.usage[0], h.usage[1], h.usage[2]
            if conn.execute("SELECT 1 FROM otlp_requests WHERE key = ?", (key,)).fetchall():
                continue
            counts = not _log_has(conn, session_id, h.request_id)
            conn.execute(_INSERT_REQUEST, (key, h.provider, session_id, h.request_id, ts, counts, h.query_source,
                                           h.agent_name, h.skill_name, h.mcp_server_name))
            if not counts:
                continue
            quarters.usage_writing(conn, [(key, ts)])
            session_sums.usage_writing(conn, [h.usage])
            conn.execute(_UPSERT_SESSION, (session_id, h.provider, h.usage[3], ts, ts))
            conn.execute(_INSERT_USAGE, h.usage)
            counted += 1
    return counted


def superseded(conn: apsw.Connection, rows: Sequence[tuple]) -> None:
    """Inside the transaction writing log rows ``rows``: drop the OTLP rows they stand for.

    With nothing counted from OTLP (the usual case) this is one look at an empty index.
    """
    pending = cast("list[_Pending]", conn.execute(
        "SELECT key, session_id, request_id, ts FROM otlp_requests WHERE counted").fetchall())
    if not pending:
        return
    # A response is logged in the session that made it (``_LOG_HAS_REQUEST`` relies on it
    # too): a set lookup per log row, and a look at its key only in those sessions.
    sessions = {p[1] for p in pending}
    by_request = {p[2]: p for p in pending if p[2]}
    by_session: dict[str, list[_Pending]] = {}
    for p in pending:
        if not p[2]:
            by_session.setdefault(p[1], []).append(p)
    gone: list[_Pending] = []
    for row in rows:
        if row[1] not in sessions or row[0].startswith(PREFIX):
            continue
        hit = by_request.pop(row[0].rpartition(":")[2], None)
        if hit is not None:
            gone.append(hit)
        gone.extend(by_session.pop(row[1], ()))
    if not gone:
        return
    quarters.usage_writing(conn, [(key, ts) for key, _, _, ts in gone])
    session_sums.usage_writing(conn, [(key, session_id) for key, session_id, _, _ in gone])
    conn.executemany("DELETE FROM usage WHERE dedup_key = ?", [(p[0],) for p in gone])
    conn.executemany("UPDATE otlp_requests SET counted = 0 WHERE key = ?", [(p[0],) for p in gone])


def record_metrics(conn: apsw.Connection, points: Sequence[MetricPoint]) -> None:
    """Add delta points to each session's tally, or set it from cumulative ones."""
    with write_transaction(conn):
        conn.executemany(_UPSERT_TOTAL, [
            (p.session_id, p.provider, p.metric, p.model, p.type, p.value, p.ts, p.delta) for p in points
        ])


def _log_has(conn: apsw.Connection, session_id: str, request_id: str | None) -> bool:
    if request_id:
        found = conn.execute(_LOG_HAS_REQUEST, (session_id, request_id)).fetchall()
    else:
        found = conn.execute(_LOG_HAS_SESSION, (session_id,)).fetchall()
    return bool(found)


# Within the session's rows (its index): a new response is logged in the session that made it.
_LOG_HAS_REQUEST = f"""
SELECT 1 FROM usage
WHERE session_id = ?1 AND substr(dedup_key, -length(?2) - 1) = ':' || ?2 AND dedup_key NOT GLOB '{PREFIX}*'
LIMIT 1
"""

_LOG_HAS_SESSION = f"SELECT 1 FROM usage WHERE session_id = ? AND dedup_key NOT GLOB '{PREFIX}*' LIMIT 1"

_INSERT_REQUEST = """
INSERT INTO otlp_requests (key, provider, session_id, request_id, ts, counted, query_source, agent_name,
                           skill_name, mcp_server_name)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

_INSERT_USAGE = """
INSERT OR IGNORE INTO usage (dedup_key, session_id, ts, model, input_tokens, output_tokens,
    cache_creation_tokens, cache_read_tokens, cost_usd, priced, exact, sidechain, cache_creation_1h_tokens)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

# A session first heard of over OTLP; its log, read later, fills in the rest.
_UPSERT_SESSION = """
INSERT INTO sessions (id, provider, model, started_at, last_activity) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    model = coalesce(model, excluded.model),
    started_at = min(coalesce(started_at, excluded.started_at), excluded.started_at),
    last_activity = max(coalesce(last_activity, excluded.last_activity), excluded.last_activity)
"""

_UPSERT_TOTAL = """
INSERT INTO otlp_session_totals (session_id, provider, metric, model, type, value, updated)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (session_id, metric, model, type) DO UPDATE SET
    value = CASE WHEN ?8 THEN value + excluded.value ELSE excluded.value END,
    updated = max(updated, excluded.updated)
"""
