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

from msgspec.structs import astuple

from ..core.errors import TeamError
from ..core.team_wire import PushBatch, PushResult, PushUsage
from . import otlp, rollups
from .auth import Caller

if TYPE_CHECKING:
    import psycopg

_SESSIONS = """
INSERT INTO sessions (device_id, id, provider, project, cwd, title, model, started_at, last_activity)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (device_id, id) DO UPDATE SET
    provider = excluded.provider, project = excluded.project, cwd = excluded.cwd, title = excluded.title,
    model = excluded.model, started_at = excluded.started_at, last_activity = excluded.last_activity
"""
# Two statements per batch, its columns as arrays (``_CLAIM``, then ``rollups.APPLY``). ``_CLAIM``
# stores the responses new to the team and locks the stored ones, in key order (an ON CONFLICT DO
# UPDATE locks the row it meets even when its WHERE keeps it as it is), so two devices pushing the
# same responses at once take their locks in one order: no deadlock; it returns the keys it stored
# (as one array: one row to fetch, not one per response).
# Once every row of the batch is this transaction's, ``rollups.APPLY`` reads what is stored, replaces
# copies with better ones, notes the sightings and adds the differences to the rollups: the copies it
# reads cannot change under it, so what it adds is exact.
_CLAIM = """
WITH stored AS (
INSERT INTO usage AS u (dedup_key, session_id, provider, ts, model, input_tokens, output_tokens,
                        cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd, priced, exact,
                        sidechain, first_device)
SELECT *, %s FROM unnest(%b::text[], %b::text[], %b::text[], %b::float8[], %b::text[], %b::int8[], %b::int8[],
                         %b::int8[], %b::int8[], %b::int8[], %b::float8[], %b::int2[], %b::bool[], %b::bool[])
ON CONFLICT (dedup_key) DO UPDATE SET first_device = u.first_device WHERE FALSE
RETURNING dedup_key
)
SELECT coalesce(array_agg(dedup_key), '{}') FROM stored
"""



class NotAllowed(TeamError):
    """The caller's role or device may not do this."""


def store(conn: psycopg.Connection, who: Caller, batch: PushBatch) -> PushResult:
    """``batch`` stored for ``who``'s device in one transaction."""
    if who.role == "viewer":
        raise NotAllowed(f"user {who.user!r} is a viewer: viewers read, they do not push")
    # Pipelined: the COMMIT goes out with the rollups' upsert rather than a round trip later, so the
    # sum rows every device adds to are held for as short a time as the server can make it.
    with conn.pipeline(), conn.transaction():
        _bind_client(conn, who, batch.client_id)
        with conn.cursor() as cur:
            cur.executemany(_SESSIONS, [(who.device_id, *astuple(s)) for s in batch.sessions])
        otlp.supersede(conn, batch.usage)  # the log's rows stand for what was heard over OTLP
        conn.execute("UPDATE devices SET pushes = pushes + 1, last_push_at = now() WHERE id = %s", (who.device_id,))
        new, distinct = store_usage(conn, who, batch.usage)  # last: the rollups' rows are held until commit
    return PushResult(sessions=len(batch.sessions), usage_new=new, usage_seen=distinct - new)


def store_usage(conn: psycopg.Connection, who: Caller, usage: list[PushUsage]) -> tuple[int, int]:
    """Inside a transaction: ``usage`` stored for ``who``'s device and added to the rollups;
    (responses new to the team, distinct rows)."""
    # One row per key (a second would make the upsert touch a row twice), in key order (see _CLAIM).
    rows = sorted({u.dedup_key: u for u in usage}.values(), key=lambda u: u.dedup_key)
    if not rows:
        return 0, 0
    columns = [list(c) for c in zip(*map(astuple, rows))]
    # Arrays sent in binary (%b): in text, psycopg quotes every element through a regular expression.
    found = conn.execute(_CLAIM, (who.device_id, *columns), binary=True).fetchone()
    stored = set(found[0]) if found else set()
    # Only the copies of responses stored before may replace one: the rest were just stored as they are.
    offered = [u for u in rows if u.dedup_key not in stored]
    fields = PushUsage.__struct_fields__[1:]
    stale = dict(zip(fields, ([list(c) for c in zip(*map(astuple, offered))][1:] if offered else [[]] * len(fields)),
                     strict=True))
    conn.execute(rollups.APPLY, {"keys": columns[0], "fresh": [u.dedup_key in stored for u in rows],
                                 "stale": [u.dedup_key for u in offered], "device": who.device_id, **stale}, binary=True)
    return len(stored), len(rows)


def _bind_client(conn: psycopg.Connection, who: Caller, client_id: str) -> None:
    """The device's token belongs to the first data dir that pushes with it."""
    row = conn.execute("UPDATE devices SET client_id = %s WHERE id = %s AND client_id IS NULL "
                       "RETURNING id", (client_id, who.device_id)).fetchone()
    if row is None:
        bound = conn.execute("SELECT client_id FROM devices WHERE id = %s", (who.device_id,)).fetchone()
        if bound is None or bound[0] != client_id:
            raise NotAllowed(f"the token of device {who.device!r} is already used by another machine; "
                             "make this machine a token of its own ('llm-session team token create')")
