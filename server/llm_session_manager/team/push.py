"""Storing what a device pushes: each row once, whoever pushes it and however often.

A response is keyed by the provider's own identity (``dedup_key``): the first
device to push it stores it, a better copy replaces it, and every device
that pushes it is noted in ``usage_seen``, the rollups kept in step in the same
transaction (``_CLAIM``, ``rollups.APPLY``). A batch is one transaction, so a push cut
off half-way stores all of a batch or none of it, and pushing it again stores
nothing twice. Sessions are per device and brought up to date on each push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import astuple

from ..core.errors import TeamError
from ..core.team_wire import PushBatch, PushResult, PushUsage
from . import otlp, rollups
from .auth import Caller

if TYPE_CHECKING:
    import psycopg

_SESSIONS = """
INSERT INTO sessions (device_id, id, provider, project, cwd, title, model, started_at, last_activity,
                      health_status, health_score, context_used, context_limit, context_percent, context_source)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (device_id, id) DO UPDATE SET
    provider = excluded.provider, project = excluded.project, cwd = excluded.cwd, title = excluded.title,
    model = excluded.model, started_at = excluded.started_at, last_activity = excluded.last_activity,
    health_status = excluded.health_status, health_score = excluded.health_score,
    context_used = excluded.context_used, context_limit = excluded.context_limit,
    context_percent = excluded.context_percent, context_source = excluded.context_source
"""
# Two statements per batch, each given the batch's rows as JSON (``rollups.BATCH`` reads them): ``_CLAIM``
# stores the responses new to the team and locks the stored ones, in key order (an ON CONFLICT DO
# UPDATE locks the row it meets even when its WHERE keeps it as it is), so two devices pushing the
# same responses at once take their locks in one order: no deadlock; it returns the keys it stored
# (as one array: one row to fetch, not one per response).
# Once every row of the batch is this transaction's, ``rollups.APPLY`` reads what is stored, replaces
# copies with better ones, notes the sightings and adds the differences to the rollups: the copies it
# reads cannot change under it, so what it adds is exact.
_CLAIM = f"""
WITH stored AS (
    INSERT INTO usage AS u (dedup_key, session_id, provider, ts, model, input_tokens, output_tokens,
                            cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd, priced,
                            exact, sidechain, first_device)
    SELECT *, %(device)s FROM ({rollups.BATCH}) b
    ON CONFLICT (dedup_key) DO UPDATE SET first_device = u.first_device WHERE FALSE
    RETURNING dedup_key
)
SELECT coalesce(array_agg(dedup_key), '{{}}') FROM stored
""".encode()


class NotAllowed(TeamError):
    """The caller's role or device may not do this."""

    status = 403


def store(conn: psycopg.Connection, who: Caller, batch: PushBatch) -> PushResult:
    """``batch`` stored for ``who``'s device in one transaction."""
    if who.role == "viewer":
        raise NotAllowed(f"user {who.user!r} is a viewer: viewers read, they do not push")
    # Pipelined: the COMMIT goes out with the rollups' upsert rather than a round trip later, so the
    # sum rows every device adds to are held for as short a time as the server can make it.
    with conn.pipeline(), conn.transaction():
        _bind_client(conn, who, batch.client_id)
        if batch.sessions:
            with conn.cursor() as cur:
                cur.executemany(_SESSIONS, [(who.device_id, *astuple(s)) for s in batch.sessions])
            # the owner's view of these sessions (team migration 9) summed up again with this device's rows
            conn.execute("SELECT owner_sessions_refresh(%s, %s)", (who.user_id, sorted({s.id for s in batch.sessions})))
        otlp.supersede(conn, batch.usage)  # the log's rows stand for what was heard over OTLP
        conn.execute("UPDATE devices SET pushes = pushes + 1, last_push_at = now() WHERE id = %s", (who.device_id,))
        new, distinct = store_usage(conn, who, batch.usage)  # last: the rollups' rows are held until commit
    return PushResult(sessions=len(batch.sessions), usage_new=new, usage_seen=distinct - new)


def store_usage(conn: psycopg.Connection, who: Caller, usage: list[PushUsage]) -> tuple[int, int]:
    """Inside a transaction: ``usage`` stored for ``who``'s device and added to the rollups;
    (responses new to the team, distinct rows)."""
    if not usage:
        return 0, 0
    rows = msgspec.json.encode(usage).decode()
    found = conn.execute(_CLAIM, {"usage": rows, "device": who.device_id}).fetchone()
    stored: list[str] = found[0] if found else []
    conn.execute(rollups.APPLY, {"usage": rows, "stored": stored, "device": who.device_id, "user": who.user_id})
    return len(stored), len({u.dedup_key for u in usage})


def _bind_client(conn: psycopg.Connection, who: Caller, client_id: str) -> None:
    """The device's token belongs to the first data dir that pushes with it."""
    row = conn.execute("UPDATE devices SET client_id = %s WHERE id = %s AND client_id IS NULL "
                       "RETURNING id", (client_id, who.device_id)).fetchone()
    if row is None:
        bound = conn.execute("SELECT client_id FROM devices WHERE id = %s", (who.device_id,)).fetchone()
        if bound is None or bound[0] != client_id:
            raise NotAllowed(f"the token of device {who.device!r} is already used by another machine; "
                             "make this machine a token of its own ('llm-session team token create')")
