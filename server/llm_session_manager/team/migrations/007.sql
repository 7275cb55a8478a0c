-- v7: the push keeps the usage rollups itself (team/push.py, team/rollups.py;
-- docs/team.md#load). Migration 006's insert and update triggers copied every
-- pushed row into transition tables and appended to `_log` tables that every
-- reader then folded: pushes ran at a third of their speed. The push now
-- works out its own differences (new responses, better copies, new sightings)
-- in the statement that stores them and adds them to the sums, in key order.
-- Costs are summed as numeric: exact whatever order the pushes come in. What the logs still hold is folded in once and the logs go. Deletes (an
-- OTLP row its log superseded) keep their statement triggers, now adding to
-- the sums directly. Indexes for the dashboard's reads at ten million rows.

DROP TRIGGER IF EXISTS usage_rollup_insert ON usage;
DROP TRIGGER IF EXISTS usage_rollup_update ON usage;
DROP TRIGGER IF EXISTS usage_seen_rollup_insert ON usage_seen;
DROP FUNCTION IF EXISTS usage_rollup_insert();
DROP FUNCTION IF EXISTS usage_rollup_update();
DROP FUNCTION IF EXISTS usage_seen_rollup_insert();

ALTER TABLE usage_quarters ALTER COLUMN cost_usd TYPE numeric USING cost_usd::numeric;
ALTER TABLE usage_device_quarters ALTER COLUMN cost_usd TYPE numeric USING cost_usd::numeric;

DO $$
BEGIN
    IF to_regclass('usage_quarters_log') IS NOT NULL THEN
        INSERT INTO usage_quarters AS q
        SELECT quarter, provider, model, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens),
               sum(cache_read_tokens), sum(cost_usd::numeric), sum(unpriced), sum(estimated), sum(responses)
        FROM usage_quarters_log GROUP BY 1, 2, 3
        ON CONFLICT (quarter, provider, model) DO UPDATE SET
            input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
            cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
            cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
            unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
            responses = q.responses + excluded.responses;
        DROP TABLE usage_quarters_log;
    END IF;
    IF to_regclass('usage_device_quarters_log') IS NOT NULL THEN
        INSERT INTO usage_device_quarters AS q
        SELECT l.device_id, l.quarter, sum(l.input_tokens), sum(l.output_tokens), sum(l.cache_creation_tokens),
               sum(l.cache_read_tokens), sum(l.cost_usd::numeric), sum(l.unpriced), sum(l.estimated), sum(l.responses)
        FROM usage_device_quarters_log l JOIN devices d ON d.id = l.device_id GROUP BY 1, 2
        ON CONFLICT (device_id, quarter) DO UPDATE SET
            input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
            cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
            cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
            unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
            responses = q.responses + excluded.responses;
        DROP TABLE usage_device_quarters_log;
    END IF;
END
$$;

-- A response deleted: its figures taken away from the team's sums.
CREATE OR REPLACE FUNCTION usage_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_quarters AS q
    SELECT floor(ts / 900)::bigint, provider, model, -sum(input_tokens), -sum(output_tokens),
           -sum(cache_creation_tokens), -sum(cache_read_tokens), -sum(cost_usd::numeric),
           -count(*) FILTER (WHERE priced = 2), -count(*) FILTER (WHERE NOT exact), -count(*)
    FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (quarter, provider, model) DO UPDATE SET
        input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
        cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
        unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
        responses = q.responses + excluded.responses;
    RETURN NULL;
END $$;

-- A sighting deleted: its response taken away from that device's sums. Sightings go before their
-- response (team/otlp.py deletes them first), so the response's figures are still there; a device
-- being deleted takes its sums with it.
CREATE OR REPLACE FUNCTION usage_seen_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_device_quarters AS q
    SELECT s.device_id, floor(u.ts / 900)::bigint, -sum(u.input_tokens), -sum(u.output_tokens),
           -sum(u.cache_creation_tokens), -sum(u.cache_read_tokens), -sum(u.cost_usd::numeric),
           -count(*) FILTER (WHERE u.priced = 2), -count(*) FILTER (WHERE NOT u.exact), -count(*)
    FROM old_rows s JOIN usage u ON u.dedup_key = s.dedup_key JOIN devices d ON d.id = s.device_id
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (device_id, quarter) DO UPDATE SET
        input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
        cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
        unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
        responses = q.responses + excluded.responses;
    RETURN NULL;
END $$;

-- Sightings, and a response's first device, without foreign keys: their checks ran once per row of
-- every push (three lookups a response, a fifth of a push's time), and the sightings' ran at the end
-- of the push's statement, while it held the rollups' rows every device adds to. A push stores rows
-- of its own device and notes sightings only of the responses it has just stored or locked, so they
-- cannot dangle; the cascades the keys made are these statement triggers. A response deleted with sightings still there (not by team/otlp.py, which
-- deletes them first) takes its figures out of those devices' sums from the deleted rows themselves.
ALTER TABLE usage_seen DROP CONSTRAINT IF EXISTS usage_seen_dedup_key_fkey;
ALTER TABLE usage_seen DROP CONSTRAINT IF EXISTS usage_seen_device_id_fkey;
ALTER TABLE usage DROP CONSTRAINT IF EXISTS usage_first_device_fkey;

CREATE OR REPLACE FUNCTION usage_seen_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_device_quarters AS q
    SELECT s.device_id, floor(u.ts / 900)::bigint, -sum(u.input_tokens), -sum(u.output_tokens),
           -sum(u.cache_creation_tokens), -sum(u.cache_read_tokens), -sum(u.cost_usd::numeric),
           -count(*) FILTER (WHERE u.priced = 2), -count(*) FILTER (WHERE NOT u.exact), -count(*)
    FROM old_rows u JOIN usage_seen s ON s.dedup_key = u.dedup_key JOIN devices d ON d.id = s.device_id
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (device_id, quarter) DO UPDATE SET
        input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
        cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
        unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
        responses = q.responses + excluded.responses;
    DELETE FROM usage_seen s USING old_rows u WHERE s.dedup_key = u.dedup_key;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS usage_seen_cascade ON usage;
CREATE TRIGGER usage_seen_cascade AFTER DELETE ON usage REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_seen_cascade();

CREATE OR REPLACE FUNCTION device_seen_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM usage u USING old_rows d WHERE u.first_device = d.id;
    DELETE FROM usage_seen s USING old_rows d WHERE s.device_id = d.id;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS device_seen_cascade ON devices;
CREATE TRIGGER device_seen_cascade AFTER DELETE ON devices REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION device_seen_cascade();
