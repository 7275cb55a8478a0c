-- v9: each owner's usage summed ahead, and a cheap change stamp (docs/team.md#load; issue 14: the
-- dashboard's API under 200 ms at ten million responses). A member's /api/usage, the dashboard's
-- charts and grid and a session page summed every response of the sessions they show (seconds at
-- 10 M). `usage_owner_quarters` holds per user and quarter hour (a member's reports by day, in any
-- zone), `usage_session_days` per user, session, UTC day, provider and model (by model, the
-- dashboard's charts, grid and session pages), the responses any of that user's devices pushed, each
-- once however many of their devices saw it (two owners who both saw a response each count it, as
-- the dashboard shows each owner's session). The push keeps them (team/rollups.py APPLY: a
-- response counts for an owner when the first of their devices sees it, and a better copy moves its
-- figures for every owner who saw it), and delete triggers beside 007's take a response
-- away from an owner when the last of their devices' sightings goes.
-- `owner_sessions` is each owner's view of a session (what `shared_sessions` grouped from every
-- device's row on each request: 50,000 at 10 M), brought up to date by the push for the sessions
-- it stores (owner_sessions_refresh) and by device_seen_cascade when a device goes.
-- `devices.changes` is bumped by what a device stores (usage, OTLP, messages, file references), so
-- the dashboard's change feed reads 200 device rows, not count(*) over responses and messages.

CREATE TABLE IF NOT EXISTS usage_owner_quarters (
    user_id               bigint NOT NULL,  -- no foreign key: device_seen_cascade clears a user gone
    quarter               bigint NOT NULL,  -- floor(ts / 900)
    input_tokens          bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    cache_creation_tokens bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL,
    cost_usd              numeric NOT NULL,
    unpriced              bigint NOT NULL,
    estimated             bigint NOT NULL,
    responses             bigint NOT NULL,
    PRIMARY KEY (user_id, quarter)
);

CREATE TABLE IF NOT EXISTS usage_session_days (
    user_id               bigint NOT NULL,  -- no foreign key: device_seen_cascade clears a user gone
    session_id            text NOT NULL,
    day                   bigint NOT NULL,  -- floor(ts / 86400): the UTC day
    provider              text NOT NULL,
    model                 text NOT NULL,
    input_tokens          bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    cache_creation_tokens bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL,
    cost_usd              numeric NOT NULL,
    unpriced              bigint NOT NULL,
    estimated             bigint NOT NULL,
    responses             bigint NOT NULL,
    PRIMARY KEY (user_id, session_id, day, provider, model)
);

-- What was pushed before this version, summed once: each response once per user whose devices saw it.
INSERT INTO usage_owner_quarters
SELECT o.user_id, floor(u.ts / 900)::bigint,
       sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens), sum(u.cache_read_tokens),
       sum(u.cost_usd::numeric), count(*) FILTER (WHERE u.priced = 2), count(*) FILTER (WHERE NOT u.exact), count(*)
FROM (SELECT DISTINCT s.dedup_key, d.user_id FROM usage_seen s JOIN devices d ON d.id = s.device_id) o
JOIN usage u ON u.dedup_key = o.dedup_key
GROUP BY 1, 2
ON CONFLICT DO NOTHING;
INSERT INTO usage_session_days
SELECT o.user_id, u.session_id, floor(u.ts / 86400)::bigint, u.provider, u.model,
       sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens), sum(u.cache_read_tokens),
       sum(u.cost_usd::numeric), count(*) FILTER (WHERE u.priced = 2), count(*) FILTER (WHERE NOT u.exact), count(*)
FROM (SELECT DISTINCT s.dedup_key, d.user_id FROM usage_seen s JOIN devices d ON d.id = s.device_id) o
JOIN usage u ON u.dedup_key = o.dedup_key
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT DO NOTHING;

-- Responses that left an owner's devices (``users[i]`` no longer has a sighting of ``keys[i]``) leave
-- that owner's sums: for a sighting deleted and for a device deleted alike.
CREATE OR REPLACE FUNCTION owner_sums_take_out(users bigint[], keys text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        SELECT o.user_id, u.session_id, u.ts, u.provider, u.model, u.input_tokens, u.output_tokens,
               u.cache_creation_tokens, u.cache_read_tokens, u.cost_usd, u.priced, u.exact
        FROM unnest(users, keys) o(user_id, dedup_key)
        JOIN usage u ON u.dedup_key = o.dedup_key
        WHERE NOT EXISTS (SELECT 1 FROM usage_seen x JOIN devices dx ON dx.id = x.device_id
                          WHERE x.dedup_key = o.dedup_key AND dx.user_id = o.user_id)
    ), quarters AS (
        INSERT INTO usage_owner_quarters AS q
        SELECT user_id, floor(ts / 900)::bigint, -sum(input_tokens), -sum(output_tokens),
           -sum(cache_creation_tokens), -sum(cache_read_tokens), -sum(cost_usd::numeric),
           -count(*) FILTER (WHERE priced = 2), -count(*) FILTER (WHERE NOT exact), -count(*)
        FROM gone GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, quarter) DO UPDATE SET
            input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
        cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
        unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
        responses = q.responses + excluded.responses
    )
    INSERT INTO usage_session_days AS q
    SELECT user_id, session_id, floor(ts / 86400)::bigint, provider, model, -sum(input_tokens), -sum(output_tokens),
           -sum(cache_creation_tokens), -sum(cache_read_tokens), -sum(cost_usd::numeric),
           -count(*) FILTER (WHERE priced = 2), -count(*) FILTER (WHERE NOT exact), -count(*)
    FROM gone GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (user_id, session_id, day, provider, model) DO UPDATE SET
        input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
        cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
        unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
        responses = q.responses + excluded.responses;
END $$;

-- A sighting deleted (its response stays, for now): the response leaves its owner's sums when no other
-- device of theirs saw it (007's usage_seen_rollup_delete takes it from the device's). A device being
-- deleted is no longer in `devices`: device_seen_cascade does its part.
CREATE OR REPLACE FUNCTION usage_seen_owner_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM owner_sums_take_out(coalesce(array_agg(o.user_id), '{}'), coalesce(array_agg(o.dedup_key), '{}'))
    FROM (SELECT DISTINCT d.user_id, s.dedup_key FROM old_rows s JOIN devices d ON d.id = s.device_id
              JOIN users us ON us.id = d.user_id) o;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS usage_seen_owner_delete ON usage_seen;
CREATE TRIGGER usage_seen_owner_delete AFTER DELETE ON usage_seen REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_seen_owner_delete();

-- A response deleted with sightings still there: its figures leave each owner's sums, from the deleted
-- rows themselves. 007's usage_seen_cascade takes them from each device's and then deletes the
-- sightings; this runs before it (triggers of one event run by name), while the sightings say who saw it.
CREATE OR REPLACE FUNCTION usage_owner_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        SELECT o.user_id, u.session_id, u.ts, u.provider, u.model, u.input_tokens, u.output_tokens,
               u.cache_creation_tokens, u.cache_read_tokens, u.cost_usd, u.priced, u.exact
        FROM (SELECT DISTINCT d.user_id, s.dedup_key FROM old_rows r JOIN usage_seen s ON s.dedup_key = r.dedup_key
              JOIN devices d ON d.id = s.device_id JOIN users us ON us.id = d.user_id) o
        JOIN old_rows u ON u.dedup_key = o.dedup_key
    ), quarters AS (
        INSERT INTO usage_owner_quarters AS q
        SELECT user_id, floor(ts / 900)::bigint, -sum(input_tokens), -sum(output_tokens),
           -sum(cache_creation_tokens), -sum(cache_read_tokens), -sum(cost_usd::numeric),
           -count(*) FILTER (WHERE priced = 2), -count(*) FILTER (WHERE NOT exact), -count(*)
        FROM gone GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (user_id, quarter) DO UPDATE SET
            input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
        cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
        unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
        responses = q.responses + excluded.responses
    )
    INSERT INTO usage_session_days AS q
    SELECT user_id, session_id, floor(ts / 86400)::bigint, provider, model, -sum(input_tokens), -sum(output_tokens),
           -sum(cache_creation_tokens), -sum(cache_read_tokens), -sum(cost_usd::numeric),
           -count(*) FILTER (WHERE priced = 2), -count(*) FILTER (WHERE NOT exact), -count(*)
    FROM gone GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (user_id, session_id, day, provider, model) DO UPDATE SET
        input_tokens = q.input_tokens + excluded.input_tokens, output_tokens = q.output_tokens + excluded.output_tokens,
        cache_creation_tokens = q.cache_creation_tokens + excluded.cache_creation_tokens,
        cache_read_tokens = q.cache_read_tokens + excluded.cache_read_tokens, cost_usd = q.cost_usd + excluded.cost_usd,
        unpriced = q.unpriced + excluded.unpriced, estimated = q.estimated + excluded.estimated,
        responses = q.responses + excluded.responses;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS usage_owner_cascade ON usage;
CREATE TRIGGER usage_owner_cascade AFTER DELETE ON usage REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION usage_owner_cascade();

-- A device deleted: first, what only it (of its owner's devices) saw leaves its owner's sums; then the
-- responses it pushed first go (usage_owner_cascade takes them from the other owners') and its sightings;
-- its sessions are gone already (the foreign key's cascade runs before this statement trigger), so
-- its owner's sessions are summed up again from the devices left.
CREATE OR REPLACE FUNCTION device_seen_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM owner_sums_take_out(coalesce(array_agg(o.user_id), '{}'), coalesce(array_agg(o.dedup_key), '{}'))
    FROM (SELECT DISTINCT d.user_id, s.dedup_key FROM old_rows d JOIN usage_seen s ON s.device_id = d.id
              JOIN users us ON us.id = d.user_id) o;
    DELETE FROM usage u USING old_rows d WHERE u.first_device = d.id;
    DELETE FROM usage_seen s USING old_rows d WHERE s.device_id = d.id;
    PERFORM owner_sessions_refresh(x.user_id, NULL)
    FROM (SELECT DISTINCT d.user_id FROM old_rows d JOIN users us ON us.id = d.user_id ORDER BY 1) x;
    DELETE FROM owner_sessions o WHERE o.user_id IN (SELECT d.user_id FROM old_rows d)
        AND NOT EXISTS (SELECT 1 FROM sessions s JOIN devices d ON d.id = s.device_id
                        WHERE d.user_id = o.user_id AND s.id = o.id);
    DELETE FROM usage_owner_quarters q USING old_rows d WHERE q.user_id = d.user_id
        AND NOT EXISTS (SELECT 1 FROM users us WHERE us.id = d.user_id);
    DELETE FROM usage_session_days q USING old_rows d WHERE q.user_id = d.user_id
        AND NOT EXISTS (SELECT 1 FROM users us WHERE us.id = d.user_id);
    RETURN NULL;
END $$;

-- The change stamp (team/dashboard_source.py): bumped by the push (rollups.APPLY) and by these triggers.
ALTER TABLE devices ADD COLUMN IF NOT EXISTS changes bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION device_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE devices d SET changes = d.changes + 1 WHERE d.id IN (SELECT DISTINCT device_id FROM new_rows);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS messages_changed ON messages;
CREATE TRIGGER messages_changed AFTER INSERT ON messages REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION device_changed();
DROP TRIGGER IF EXISTS file_refs_changed ON file_refs;
CREATE TRIGGER file_refs_changed AFTER INSERT ON file_refs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION device_changed();

-- An owner's session as their devices pushed it: the most recently active device's fields, the
-- first start, the last activity, the devices' names and every project a device gave it.
CREATE TABLE IF NOT EXISTS owner_sessions (
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id              text NOT NULL,
    provider        text NOT NULL,
    project         text,
    cwd             text,
    title           text,
    model           text,
    started_at      double precision,
    last_activity   double precision,
    devices         text[] NOT NULL,
    projects        text[] NOT NULL,
    health_status   text,
    health_score    double precision,
    context_used    bigint,
    context_limit   bigint,
    context_percent double precision,
    context_source  text,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX IF NOT EXISTS owner_sessions_recent ON owner_sessions (last_activity DESC NULLS LAST, id);
CREATE INDEX IF NOT EXISTS owner_sessions_user_recent ON owner_sessions (user_id, last_activity DESC NULLS LAST, id);
CREATE INDEX IF NOT EXISTS owner_sessions_id ON owner_sessions (id);
CREATE INDEX IF NOT EXISTS sessions_id ON sessions (id);

-- `owner`'s sessions `ids` (all of theirs where NULL) summed up again from their devices' rows (those
-- no device has any more are device_seen_cascade's to delete). Two devices of one owner pushing the
-- same session at once take turns (a lock per owner and session, in one order, held to the commit):
-- the second sums up after the first committed, so neither's rows are missing from what stays.
CREATE OR REPLACE FUNCTION owner_sessions_refresh(owner bigint, ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(owner::int, x.h)
    FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest(ids) k ORDER BY 1) x;
    INSERT INTO owner_sessions AS o
    SELECT d.user_id, s.id,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).provider,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).project,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).cwd,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).title,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).model,
           min(s.started_at), max(s.last_activity), array_agg(DISTINCT d.name ORDER BY d.name),
           coalesce(array_agg(DISTINCT s.project) FILTER (WHERE s.project IS NOT NULL), '{}'),
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).health_status,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).health_score,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).context_used,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).context_limit,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).context_percent,
           ((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).context_source
    FROM sessions s JOIN devices d ON d.id = s.device_id
    -- by id, all of the owner's where NULL: `ids IS NULL OR s.id = ANY(ids)` was planned once as a read
    -- of every session of the owner's devices, on each push
    WHERE d.user_id = owner AND s.id = ANY(coalesce(ids, ARRAY(
        SELECT DISTINCT a.id FROM sessions a JOIN devices ad ON ad.id = a.device_id WHERE ad.user_id = owner)))
    GROUP BY d.user_id, s.id ORDER BY s.id
    ON CONFLICT (user_id, id) DO UPDATE SET
        provider = excluded.provider, project = excluded.project, cwd = excluded.cwd, title = excluded.title,
        model = excluded.model, started_at = excluded.started_at, last_activity = excluded.last_activity,
        devices = excluded.devices, projects = excluded.projects, health_status = excluded.health_status,
        health_score = excluded.health_score, context_used = excluded.context_used,
        context_limit = excluded.context_limit, context_percent = excluded.context_percent,
        context_source = excluded.context_source;
END $$;

SELECT owner_sessions_refresh(u.id, NULL) FROM users u ORDER BY u.id;
