"""The usage rollups (team migrations 006, 007 and 9): sums kept exact by the push itself.

``usage_quarters`` holds the team's sums per quarter hour, provider and model,
each response once; ``usage_device_quarters`` each device's own view (the
responses it pushed, as their stored copy says) per quarter hour;
``usage_owner_quarters`` (per quarter hour) and ``usage_session_days`` (per
session, UTC day, provider and model) each owner's:
the responses any of their devices pushed, once however many of them did;
``usage_device_sessions`` which devices saw responses of which session. A
push adds its differences in its own transaction (``APPLY``, after
``push._CLAIM`` has locked every row of the batch): responses new to the team,
a better copy replacing a stored one (new minus old, for the team and for every
device and owner that saw it before), the device's new sightings, and those
new to its owner (no other device of theirs saw them). A response deleted (an
OTLP row its log superseded, a device deleted) is taken away by the delete
triggers of migrations 007 and 9.

Rows are upserted in key order, so twenty devices adding to the same quarter
hours at once wait on each other in one order and never deadlock; an upsert
adds to the stored row (``q.x + excluded.x``) under its row lock, so no
addition is lost. Costs are summed as ``numeric``: exact, so the sums do not
depend on the order responses came in (floats added in another order differ in
the last bit, and a report's cent can round the other way). ``FRESH``,
``FRESH_DEVICES``, ``FRESH_OWNERS`` and ``FRESH_SESSIONS`` sum the responses afresh: what the rollups must equal, and
how a bulk load builds them (``rebuild``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import pricing

if TYPE_CHECKING:
    import psycopg

SUMS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "cost_usd", "unpriced",
        "estimated", "responses")
_ADD = ", ".join(f"{c} = q.{c} + excluded.{c}" for c in SUMS)
QUARTERS = "usage_quarters"
DEVICE_QUARTERS = "usage_device_quarters"
OWNER_QUARTERS = "usage_owner_quarters"
SESSION_DAYS = "usage_session_days"


def _signed(rows: str, sign: str = "") -> str:
    """The sums of ``rows`` (a response's columns), each times ``sign`` (a column of +1/-1) if given."""
    times = f"{sign} * " if sign else ""
    return (f"sum({times}{rows}.input_tokens), sum({times}{rows}.output_tokens), "
            f"sum({times}{rows}.cache_creation_tokens), sum({times}{rows}.cache_read_tokens), "
            f"sum({times}{rows}.cost_usd::numeric), sum({times}({rows}.priced = {pricing.UNKNOWN})::int), "
            f"sum({times}(NOT {rows}.exact)::int), sum({sign or 1})")


_FIGURES = "dedup_key, session_id, provider, ts, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, " \
           "cost_usd, priced, exact"
# A better copy replaces the stored one by the rule the local store keeps copies by (ingest/_store.py:
# a main-chain copy over a sub-agent's relay, an exact count over an estimate, then the larger), so the
# server ends with the copy one machine scanning every device's logs would keep, whatever the order.
_BETTER = """
    (u.sidechain AND NOT n.sidechain)
    OR (n.exact AND NOT u.exact)
    OR (u.sidechain = n.sidechain AND u.exact = n.exact
        AND (n.input_tokens + n.output_tokens + n.cache_creation_tokens + n.cache_read_tokens
               > u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens
             OR (n.input_tokens + n.output_tokens + n.cache_creation_tokens + n.cache_read_tokens
                   = u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens
                 AND n.cache_creation_1h_tokens > u.cache_creation_1h_tokens)))"""
# A push's responses from the batch's own JSON (``PushUsage`` rows, arrays), parsed by PostgreSQL (as
# jsonb: json re-parses an element for each field taken from it) rather than turned into fifteen arrays
# in Python (which took a third of the server's time): one row per key, the last copy where a batch has
# two, in key order (the order ``push._CLAIM`` locks them in).
BATCH = """SELECT DISTINCT ON (e->>0) e->>0 AS dedup_key, e->>1 AS session_id, e->>2 AS provider,
           (e->>3)::float8 AS ts, e->>4 AS model, (e->>5)::int8 AS input_tokens, (e->>6)::int8 AS output_tokens,
           (e->>7)::int8 AS cache_creation_tokens, (e->>8)::int8 AS cache_read_tokens,
           (e->>9)::int8 AS cache_creation_1h_tokens, (e->>10)::float8 AS cost_usd, (e->>11)::int2 AS priced,
           (e->>12)::bool AS exact, (e->>13)::bool AS sidechain
    FROM jsonb_array_elements(%(usage)s::jsonb) WITH ORDINALITY AS j(e, i) ORDER BY e->>0, i DESC"""
# One statement: the batch (``n``, ``fresh`` true for the responses ``_CLAIM`` stored), the stored
# copies (``before``: this transaction holds their locks, so they are the latest; those ``_CLAIM`` stored
# are the batch's own rows, not read back), the batch's copies
# of responses stored before written over them where better (``replaced``), the device's new
# sightings (``sighted``), then the team's, the devices' and the owners' differences upserted.
# Sub-statements of one WITH see the tables as the statement began, so ``usage_seen`` in
# ``device_changes`` and ``owner_changes`` holds the sightings before this push's (a sighting is new
# to the device's owner where no other device of theirs is among them: only a response stored before
# can have any). The keys as arrays (``= ANY(ARRAY(...))``) make every read of ``usage`` and
# ``usage_seen`` an index lookup, never a scan of the table, however the planner estimates the batch.
APPLY = f"""
WITH n AS MATERIALIZED (
    SELECT b.*, s.k IS NOT NULL AS fresh FROM ({BATCH}) b LEFT JOIN unnest(%(stored)b::text[]) s(k) ON s.k = b.dedup_key
), before AS (
    SELECT {_FIGURES}, fresh FROM n WHERE fresh
    UNION ALL
    SELECT {", ".join("u." + c for c in _FIGURES.split(", "))}, n.fresh
    FROM usage u JOIN n ON n.dedup_key = u.dedup_key AND NOT n.fresh
    WHERE u.dedup_key = ANY(ARRAY(SELECT dedup_key FROM n WHERE NOT fresh))
), replaced AS (
    UPDATE usage u SET
        session_id = n.session_id, provider = n.provider, ts = n.ts, model = n.model,
        input_tokens = n.input_tokens, output_tokens = n.output_tokens,
        cache_creation_tokens = n.cache_creation_tokens, cache_read_tokens = n.cache_read_tokens,
        cache_creation_1h_tokens = n.cache_creation_1h_tokens, cost_usd = n.cost_usd,
        priced = n.priced, exact = n.exact, sidechain = n.sidechain
    FROM n WHERE u.dedup_key = n.dedup_key AND NOT n.fresh
        AND u.dedup_key = ANY(ARRAY(SELECT dedup_key FROM n WHERE NOT fresh)) AND ({_BETTER})
    RETURNING {", ".join("u." + c for c in _FIGURES.split(", "))}
), sighted AS (
    INSERT INTO usage_seen (dedup_key, device_id) SELECT dedup_key, %(device)s FROM n
    ON CONFLICT DO NOTHING RETURNING dedup_key, device_id
), swaps AS (
    SELECT 1 AS sign, {_FIGURES} FROM replaced
    UNION ALL
    SELECT -1, {", ".join("b." + c for c in _FIGURES.split(", "))} FROM before b
    WHERE EXISTS (SELECT 1 FROM replaced r WHERE r.dedup_key = b.dedup_key)
), changes AS (
    SELECT 1 AS sign, {_FIGURES} FROM before WHERE fresh
    UNION ALL
    SELECT * FROM swaps
), after AS (
    SELECT {_FIGURES} FROM replaced
    UNION ALL
    SELECT {_FIGURES} FROM before b WHERE NOT EXISTS (SELECT 1 FROM replaced r WHERE r.dedup_key = b.dedup_key)
), seen_now AS MATERIALIZED (
    SELECT 1 AS sign, a.* FROM sighted s JOIN after a ON a.dedup_key = s.dedup_key
), device_changes AS (
    SELECT %(device)s::bigint AS device_id, c.* FROM seen_now c
    UNION ALL
    SELECT s.device_id, w.* FROM swaps w JOIN usage_seen s ON s.dedup_key = w.dedup_key
    WHERE s.dedup_key = ANY(ARRAY(SELECT dedup_key FROM replaced))
), owner_changes AS (
    SELECT %(user)s::bigint AS user_id, c.* FROM seen_now c
    WHERE c.dedup_key NOT IN (SELECT x.dedup_key FROM usage_seen x JOIN devices dx ON dx.id = x.device_id
                              WHERE dx.user_id = %(user)s
                                AND x.dedup_key = ANY(ARRAY(SELECT dedup_key FROM n WHERE NOT fresh)))
    UNION ALL
    SELECT o.user_id, w.* FROM swaps w JOIN (
        SELECT DISTINCT x.dedup_key, dx.user_id FROM usage_seen x JOIN devices dx ON dx.id = x.device_id
        WHERE x.dedup_key = ANY(ARRAY(SELECT dedup_key FROM replaced))) o ON o.dedup_key = w.dedup_key
), team AS (
    INSERT INTO usage_quarters AS q
    SELECT floor(c.ts / 900)::bigint, c.provider, c.model, {_signed("c", "c.sign")} FROM changes c
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (quarter, provider, model) DO UPDATE SET {_ADD}
), device AS (
    INSERT INTO usage_device_quarters AS q
    SELECT c.device_id, floor(c.ts / 900)::bigint, {_signed("c", "c.sign")} FROM device_changes c
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (device_id, quarter) DO UPDATE SET {_ADD}
), pairs AS (
    INSERT INTO usage_device_sessions
    SELECT DISTINCT c.session_id, c.device_id FROM device_changes c WHERE c.sign > 0 ORDER BY 1, 2
    ON CONFLICT DO NOTHING
), bumped AS (
    UPDATE devices SET changes = changes + 1 WHERE id = %(device)s
), owner AS (
    INSERT INTO usage_owner_quarters AS q
    SELECT c.user_id, floor(c.ts / 900)::bigint, {_signed("c", "c.sign")}
    FROM owner_changes c GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (user_id, quarter) DO UPDATE SET {_ADD}
)
INSERT INTO usage_session_days AS q
SELECT c.user_id, c.session_id, floor(c.ts / 86400)::bigint, c.provider, c.model, {_signed("c", "c.sign")}
FROM owner_changes c GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (user_id, session_id, day, provider, model) DO UPDATE SET {_ADD}
""".encode()

# What the rollups must hold: the responses summed afresh.
FRESH = (f"SELECT floor(u.ts / 900)::bigint AS quarter, u.provider, u.model, {_signed('u')} "
         f"FROM usage u GROUP BY 1, 2, 3")
FRESH_DEVICES = (f"SELECT s.device_id, floor(u.ts / 900)::bigint AS quarter, {_signed('u')} "
                 f"FROM usage_seen s JOIN usage u ON u.dedup_key = s.dedup_key GROUP BY 1, 2")
_OWNERS = ("FROM (SELECT DISTINCT s.dedup_key, d.user_id FROM usage_seen s JOIN devices d ON d.id = s.device_id) o "
           "JOIN usage u ON u.dedup_key = o.dedup_key")
FRESH_OWNERS = f"SELECT o.user_id, floor(u.ts / 900)::bigint AS quarter, {_signed('u')} {_OWNERS} GROUP BY 1, 2"
FRESH_SESSIONS = (f"SELECT o.user_id, u.session_id, floor(u.ts / 86400)::bigint AS day, u.provider, u.model, "
                  f"{_signed('u')} {_OWNERS} GROUP BY 1, 2, 3, 4, 5")

# Which devices saw responses of which session (team migration 10): ``usage_device_sessions`` holds these
# and may hold more (pairs whose responses went), never fewer.
FRESH_PAIRS = "SELECT DISTINCT u.session_id, s.device_id FROM usage_seen s JOIN usage u ON u.dedup_key = s.dedup_key"


def rebuild(conn: psycopg.Connection) -> None:
    """The rollups summed afresh from the responses, in one transaction: after a bulk load that
    bypassed the push (the load bench), or to check them."""
    with conn.transaction():
        conn.execute("LOCK TABLE usage_quarters, usage_device_quarters, usage_owner_quarters, usage_session_days, "
                     "usage_device_sessions IN EXCLUSIVE MODE")
        conn.execute("DELETE FROM usage_quarters")
        conn.execute("DELETE FROM usage_device_quarters")
        conn.execute("DELETE FROM usage_owner_quarters")
        conn.execute("DELETE FROM usage_session_days")
        conn.execute(f"INSERT INTO usage_quarters {FRESH}".encode())
        conn.execute(f"INSERT INTO usage_device_quarters {FRESH_DEVICES}".encode())
        conn.execute(f"INSERT INTO usage_owner_quarters {FRESH_OWNERS}".encode())
        conn.execute(f"INSERT INTO usage_session_days {FRESH_SESSIONS}".encode())
        conn.execute("DELETE FROM usage_device_sessions")
        conn.execute(f"INSERT INTO usage_device_sessions {FRESH_PAIRS}".encode())
