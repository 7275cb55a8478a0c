"""Responses heard over OTLP by the team server, kept until the log brings them (docs/team.md#otlp).

An assistant configured to report to the team server posts its OTLP exports
there with its device's token; each billed response (decoded by
``ingest/otlp.py``, as the local receiver decodes it) becomes a usage row of
that device, keyed ``otlp:<provider>:...``, and is noted in ``otlp_pending``.
The rule is the local store's (docs/otel.md#counted-once), so a response counts
once however it arrives:

* when a push brings the log's row of a pending response, the OTLP row is
  dropped in the push's own transaction: for Claude Code the log row whose key
  ends in ``:<request_id>``; for Codex and Gemini CLI, whose events carry no id
  their logs keep, any log row of the session stands for all of its OTLP rows;
* a response heard after its log was pushed is not stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.team_wire import PushUsage
from ..store.otlp_usage import PREFIX, Heard
from . import push
from .auth import Caller

if TYPE_CHECKING:
    import psycopg

_LOG_HAS_REQUEST = (f"SELECT 1 FROM usage WHERE session_id = %s AND right(dedup_key, length(%s) + 1) = ':' || %s "
                    f"AND dedup_key NOT LIKE '{PREFIX}%%' LIMIT 1")
_LOG_HAS_SESSION = f"SELECT 1 FROM usage WHERE session_id = %s AND dedup_key NOT LIKE '{PREFIX}%%' LIMIT 1"


def store(conn: psycopg.Connection, who: Caller, heard: Sequence[Heard]) -> int:
    """``heard`` stored as ``who``'s device's usage, in one transaction; how many responses count."""
    if who.role == "viewer" or who.device_id is None:
        raise push.NotAllowed(f"user {who.user!r} has no device that may push here")
    with conn.transaction():
        rows: list[PushUsage] = []
        for h in heard:
            key, session_id, ts, model, fresh, output, written, read, cost, priced, exact, sidechain, hour = h.usage
            found = (conn.execute(_LOG_HAS_REQUEST, (session_id, h.request_id, h.request_id)) if h.request_id
                     else conn.execute(_LOG_HAS_SESSION, (session_id,))).fetchone()
            if found is None:
                rows.append(PushUsage(key, session_id, h.provider, ts, model, fresh, output, written, read, hour, cost,
                                      priced, bool(exact), bool(sidechain)))
                conn.execute("INSERT INTO otlp_pending (dedup_key, session_id, request_id) VALUES (%s, %s, %s) "
                             "ON CONFLICT DO NOTHING", (key, session_id, h.request_id))
        push.store_usage(conn, who, rows)
    return len(rows)


def supersede(conn: psycopg.Connection, rows: Sequence[PushUsage]) -> None:
    """Inside the push storing log rows ``rows``: drop the OTLP rows they stand for (and their sightings,
    first, so the rollups take away what they added)."""
    sessions = sorted({r.session_id for r in rows if not r.dedup_key.startswith(PREFIX)})
    if not sessions:
        return
    pending = conn.execute("SELECT dedup_key, session_id, request_id FROM otlp_pending WHERE session_id = ANY(%s)",
                           (sessions,)).fetchall()
    if not pending:
        return
    by_request = {rid: key for key, _, rid in pending if rid}
    by_session: dict[str, list[str]] = {}
    for key, session_id, rid in pending:
        if not rid:
            by_session.setdefault(session_id, []).append(key)
    gone: list[str] = []
    for r in rows:
        if r.dedup_key.startswith(PREFIX):
            continue
        hit = by_request.pop(r.dedup_key.rpartition(":")[2], None)
        if hit is not None:
            gone.append(hit)
        gone.extend(by_session.pop(r.session_id, ()))
    if gone:
        gone.sort()
        # Locked first, in key order: a push adding a sighting of one of them waits for this one, so
        # the sightings deleted (and taken from their devices' rollups) are all there are.
        conn.execute("SELECT 1 FROM usage WHERE dedup_key = ANY(%s) ORDER BY dedup_key FOR UPDATE", (gone,))
        conn.execute("DELETE FROM usage_seen WHERE dedup_key = ANY(%s)", (gone,))
        conn.execute("DELETE FROM usage WHERE dedup_key = ANY(%s)", (gone,))  # otlp_pending follows
