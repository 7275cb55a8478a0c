-- v10: which devices saw responses of which session (issue 14: a member holding grants reads their usage
-- report from the rollups, team/report.py). A granted session's sums come from its owner's
-- `usage_session_days` only where that is what summing the responses would say: where every device of
-- the owner's that saw a response of it has a row of the session a grant covers, and neither the member's
-- own devices nor another granting owner's saw any. This table says which devices to ask about, per session
-- (the stored copy's session id). The push adds to it (team/rollups.py APPLY) and only a device deleted
-- takes from it (device_rollups_cascade below): a pair left after its responses went only sends that
-- session's report to the responses themselves. Also: each device's quarter hours lose their foreign key.
CREATE TABLE IF NOT EXISTS usage_device_sessions (
    session_id text NOT NULL,
    device_id  bigint NOT NULL,  -- no foreign key: a row per new pair, checked on every push otherwise
    PRIMARY KEY (session_id, device_id)
);

INSERT INTO usage_device_sessions
SELECT DISTINCT u.session_id, s.device_id FROM usage_seen s JOIN usage u ON u.dedup_key = s.dedup_key
ON CONFLICT DO NOTHING;

-- Each device's quarter hours without a foreign key to `devices` (checked for each row a push adds: a
-- query per row, a twentieth of the push's time at 500 responses a batch); a device deleted takes its
-- rows and pairs with it here (before device_seen_cascade, by name: the rows of a device no longer in
-- `devices` are never added to again, as every rollup trigger joins `devices`).
ALTER TABLE usage_device_quarters DROP CONSTRAINT IF EXISTS usage_device_quarters_device_id_fkey;
CREATE OR REPLACE FUNCTION device_rollups_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM usage_device_quarters q USING old_rows d WHERE q.device_id = d.id;
    DELETE FROM usage_device_sessions p USING old_rows d WHERE p.device_id = d.id;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS device_rollups_cascade ON devices;
CREATE TRIGGER device_rollups_cascade AFTER DELETE ON devices REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION device_rollups_cascade();
