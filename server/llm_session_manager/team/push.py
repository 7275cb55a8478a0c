"""Storing what a device pushes: each row once, whoever pushes it and however often.

A response is keyed by the provider's own identity (``dedup_key``): the first
device to push it stores it, a better copy replaces it (``_USAGE``), and
every device that pushes it is noted in ``usage_seen``. A batch is one transaction, so a push cut
off half-way stores all of a batch or none of it, and pushing it again stores
nothing twice. Sessions are per device and brought up to date on each push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec.structs import astuple

from ..core.errors import TeamError
from ..core.team_wire import PushBatch, PushResult, PushUsage
from . import otlp
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
# One statement per batch, its columns as arrays. A copy already stored is
# replaced only by a better one, by the rule the local store keeps copies by
# (ingest/_store.py: a main-chain copy over a sub-agent's relay, an exact count
# over an estimate, then the larger): the server ends with the copy one machine
# scanning every device's logs would keep, whatever order they push in.
# RETURNING says which rows were new (xmax is 0 for an inserted row).
_USAGE = """
INSERT INTO usage AS u (dedup_key, session_id, provider, ts, model, input_tokens, output_tokens,
                        cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd, priced, exact,
                        sidechain, first_device)
SELECT *, %s FROM unnest(%s::text[], %s::text[], %s::text[], %s::float8[], %s::text[], %s::int8[], %s::int8[],
                         %s::int8[], %s::int8[], %s::int8[], %s::float8[], %s::int2[], %s::bool[], %s::bool[])
ON CONFLICT (dedup_key) DO UPDATE SET
    session_id = excluded.session_id, provider = excluded.provider, ts = excluded.ts, model = excluded.model,
    input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
    cache_creation_tokens = excluded.cache_creation_tokens, cache_read_tokens = excluded.cache_read_tokens,
    cache_creation_1h_tokens = excluded.cache_creation_1h_tokens, cost_usd = excluded.cost_usd,
    priced = excluded.priced, exact = excluded.exact, sidechain = excluded.sidechain
WHERE (u.sidechain AND NOT excluded.sidechain)
   OR (excluded.exact AND NOT u.exact)
   OR (u.sidechain = excluded.sidechain AND u.exact = excluded.exact
       AND (excluded.input_tokens + excluded.output_tokens + excluded.cache_creation_tokens + excluded.cache_read_tokens
              > u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens
            OR (excluded.input_tokens + excluded.output_tokens + excluded.cache_creation_tokens
                  + excluded.cache_read_tokens
                = u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens
                AND excluded.cache_creation_1h_tokens > u.cache_creation_1h_tokens)))
RETURNING xmax = 0
"""
_SEEN = """
INSERT INTO usage_seen (dedup_key, device_id) SELECT unnest(%s::text[]), %s ON CONFLICT DO NOTHING
"""


class NotAllowed(TeamError):
    """The caller's role or device may not do this."""


def store(conn: psycopg.Connection, who: Caller, batch: PushBatch) -> PushResult:
    """``batch`` stored for ``who``'s device in one transaction."""
    if who.role == "viewer":
        raise NotAllowed(f"user {who.user!r} is a viewer: viewers read, they do not push")
    with conn.transaction():
        _bind_client(conn, who, batch.client_id)
        with conn.cursor() as cur:
            cur.executemany(_SESSIONS, [(who.device_id, *astuple(s)) for s in batch.sessions])
        otlp.supersede(conn, batch.usage)  # the log's rows stand for what was heard over OTLP
        new, distinct = store_usage(conn, who, batch.usage)
        conn.execute("UPDATE devices SET pushes = pushes + 1, last_push_at = now() WHERE id = %s", (who.device_id,))
    return PushResult(sessions=len(batch.sessions), usage_new=new, usage_seen=distinct - new)


def store_usage(conn: psycopg.Connection, who: Caller, usage: list[PushUsage]) -> tuple[int, int]:
    """Inside a transaction: ``usage`` stored for ``who``'s device; (responses new to the team, distinct rows)."""
    # One row per key (a second would make the upsert touch a row twice), in key order, so two
    # devices pushing the same responses at once take their row locks in one order: no deadlock.
    rows = sorted({u.dedup_key: u for u in usage}.values(), key=lambda u: u.dedup_key)
    if not rows:
        return 0, 0
    columns = [list(c) for c in zip(*map(astuple, rows))]
    new = sum(1 for (inserted,) in conn.execute(_USAGE, (who.device_id, *columns)) if inserted)
    conn.execute(_SEEN, (columns[0], who.device_id))
    return new, len(rows)


def _bind_client(conn: psycopg.Connection, who: Caller, client_id: str) -> None:
    """The device's token belongs to the first data dir that pushes with it."""
    row = conn.execute("UPDATE devices SET client_id = %s WHERE id = %s AND client_id IS NULL "
                       "RETURNING id", (client_id, who.device_id)).fetchone()
    if row is None:
        bound = conn.execute("SELECT client_id FROM devices WHERE id = %s", (who.device_id,)).fetchone()
        if bound is None or bound[0] != client_id:
            raise NotAllowed(f"the token of device {who.device!r} is already used by another machine; "
                             "make this machine a token of its own ('llm-session team token create')")
