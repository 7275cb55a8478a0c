-- v6: rollups for the dashboard's usage reports (docs/team.md#load). Summing
-- every response took seconds at 10 million of them; these sums per quarter
-- hour (every zone's midnight falls on one) answer an admin's /api/usage by
-- day, model or device in milliseconds. They are kept in step with `usage` and
-- `usage_seen` by statement triggers, inside the push's own transaction: a
-- new response adds its figures, a better copy replacing one adds the
-- difference (to the team's sums and to every device that saw it), a new
-- sighting adds the response to that device's sums, a response heard over
-- OTLP and then brought by its log is deleted (its sightings first) and taken
-- away again. The triggers only append to the `_log` tables: concurrent pushes
-- touch no common row (updating one sum row per quarter and model in every push
-- made twenty devices wait on each other: a third of the throughput), and
-- readers fold the logs into the sums (team/rollups.py) and read both.
-- Each device counts its pushes, and when the last came, for `/metrics`.

ALTER TABLE devices ADD COLUMN IF NOT EXISTS pushes bigint NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_push_at timestamptz;

CREATE TABLE IF NOT EXISTS usage_quarters (
    quarter               bigint NOT NULL,  -- floor(ts / 900)
    provider              text NOT NULL,
    model                 text NOT NULL,
    input_tokens          bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    cache_creation_tokens bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL,
    cost_usd              double precision NOT NULL,
    unpriced              bigint NOT NULL,  -- responses without a price
    estimated             bigint NOT NULL,  -- responses with estimated counts
    responses             bigint NOT NULL,  -- 0 once a better copy moved its only response elsewhere
    PRIMARY KEY (quarter, provider, model)
);

CREATE TABLE IF NOT EXISTS usage_quarters_log (LIKE usage_quarters);

-- Each device's own view (what `by=device` shows): the responses it pushed.
CREATE TABLE IF NOT EXISTS usage_device_quarters (
    device_id             bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    quarter               bigint NOT NULL,
    input_tokens          bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    cache_creation_tokens bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL,
    cost_usd              double precision NOT NULL,
    unpriced              bigint NOT NULL,
    estimated             bigint NOT NULL,
    responses             bigint NOT NULL,
    PRIMARY KEY (device_id, quarter)
);

CREATE TABLE IF NOT EXISTS usage_device_quarters_log (LIKE usage_device_quarters);

CREATE OR REPLACE FUNCTION usage_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_quarters_log
    SELECT floor(ts / 900)::bigint AS k, provider, model, sum(input_tokens), sum(output_tokens),
           sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd),
           count(*) FILTER (WHERE priced = 2), count(*) FILTER (WHERE NOT exact), count(*)
    FROM new_rows GROUP BY 1, 2, 3;
    RETURN NULL;
END $$;

-- A replaced copy: its new figures added, its old ones taken away, for the team and for each device that saw it.
CREATE OR REPLACE FUNCTION usage_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_quarters_log
    SELECT quarter, provider, model, sum(i), sum(o), sum(cc), sum(cr), sum(cost), sum(unpriced), sum(estimated), sum(n)
    FROM (SELECT floor(ts / 900)::bigint AS quarter, provider, model, input_tokens AS i, output_tokens AS o,
                 cache_creation_tokens AS cc, cache_read_tokens AS cr, cost_usd AS cost,
                 (priced = 2)::int AS unpriced, (NOT exact)::int AS estimated, 1 AS n FROM new_rows
          UNION ALL
          SELECT floor(ts / 900)::bigint, provider, model, -input_tokens, -output_tokens, -cache_creation_tokens,
                 -cache_read_tokens, -cost_usd, -(priced = 2)::int, -(NOT exact)::int, -1 FROM old_rows) delta
    GROUP BY 1, 2, 3;
    INSERT INTO usage_device_quarters_log
    SELECT s.device_id, quarter, sum(i), sum(o), sum(cc), sum(cr), sum(cost), sum(unpriced), sum(estimated), sum(n)
    FROM (SELECT dedup_key, floor(ts / 900)::bigint AS quarter, input_tokens AS i, output_tokens AS o,
                 cache_creation_tokens AS cc, cache_read_tokens AS cr, cost_usd AS cost,
                 (priced = 2)::int AS unpriced, (NOT exact)::int AS estimated, 1 AS n FROM new_rows
          UNION ALL
          SELECT dedup_key, floor(ts / 900)::bigint, -input_tokens, -output_tokens, -cache_creation_tokens,
                 -cache_read_tokens, -cost_usd, -(priced = 2)::int, -(NOT exact)::int, -1 FROM old_rows) delta
    JOIN usage_seen s ON s.dedup_key = delta.dedup_key GROUP BY 1, 2;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION usage_seen_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_device_quarters_log
    SELECT s.device_id, floor(u.ts / 900)::bigint, sum(u.input_tokens), sum(u.output_tokens),
           sum(u.cache_creation_tokens), sum(u.cache_read_tokens), sum(u.cost_usd),
           count(*) FILTER (WHERE u.priced = 2), count(*) FILTER (WHERE NOT u.exact), count(*)
    FROM new_rows s JOIN usage u ON u.dedup_key = s.dedup_key GROUP BY 1, 2;
    RETURN NULL;
END $$;

-- Sightings go before their response (team/otlp.py deletes them first), so the response's figures are still there.
CREATE OR REPLACE FUNCTION usage_seen_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_device_quarters_log
    SELECT s.device_id, floor(u.ts / 900)::bigint, -sum(u.input_tokens), -sum(u.output_tokens),
           -sum(u.cache_creation_tokens), -sum(u.cache_read_tokens), -sum(u.cost_usd),
           -count(*) FILTER (WHERE u.priced = 2), -count(*) FILTER (WHERE NOT u.exact), -count(*)
    FROM old_rows s JOIN usage u ON u.dedup_key = s.dedup_key GROUP BY 1, 2;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION usage_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_quarters_log
    SELECT floor(ts / 900)::bigint, provider, model, -sum(input_tokens), -sum(output_tokens),
           -sum(cache_creation_tokens), -sum(cache_read_tokens), -sum(cost_usd),
           -count(*) FILTER (WHERE priced = 2), -count(*) FILTER (WHERE NOT exact), -count(*)
    FROM old_rows GROUP BY 1, 2, 3;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS usage_seen_rollup_delete ON usage_seen;
CREATE TRIGGER usage_seen_rollup_delete AFTER DELETE ON usage_seen REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_seen_rollup_delete();
DROP TRIGGER IF EXISTS usage_rollup_delete ON usage;
CREATE TRIGGER usage_rollup_delete AFTER DELETE ON usage REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_rollup_delete();
DROP TRIGGER IF EXISTS usage_rollup_insert ON usage;
CREATE TRIGGER usage_rollup_insert AFTER INSERT ON usage REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_rollup_insert();
DROP TRIGGER IF EXISTS usage_rollup_update ON usage;
CREATE TRIGGER usage_rollup_update AFTER UPDATE ON usage REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_rollup_update();
DROP TRIGGER IF EXISTS usage_seen_rollup_insert ON usage_seen;
CREATE TRIGGER usage_seen_rollup_insert AFTER INSERT ON usage_seen REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_seen_rollup_insert();

-- What was pushed before this version, summed once.
INSERT INTO usage_quarters
SELECT floor(ts / 900)::bigint, provider, model, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens),
       sum(cache_read_tokens), sum(cost_usd), count(*) FILTER (WHERE priced = 2), count(*) FILTER (WHERE NOT exact), count(*)
FROM usage GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;
INSERT INTO usage_device_quarters
SELECT s.device_id, floor(u.ts / 900)::bigint, sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens),
       sum(u.cache_read_tokens), sum(u.cost_usd), count(*) FILTER (WHERE u.priced = 2),
       count(*) FILTER (WHERE NOT u.exact), count(*)
FROM usage_seen s JOIN usage u ON u.dedup_key = s.dedup_key GROUP BY 1, 2
ON CONFLICT DO NOTHING;

-- Responses heard over OTLP (team/otlp.py) that their log has not brought yet; and a session's
-- rows by its id, to tell whether its log has come (and for a session's figures).
CREATE TABLE IF NOT EXISTS otlp_pending (
    dedup_key  text PRIMARY KEY REFERENCES usage (dedup_key) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    session_id text NOT NULL,
    request_id text  -- Claude Code's; NULL where the session's log stands for all its responses
);
CREATE INDEX IF NOT EXISTS otlp_pending_session ON otlp_pending (session_id);
CREATE INDEX IF NOT EXISTS usage_session ON usage (session_id);
