-- v10: which devices saw responses of which session (issue 14: a member holding grants reads their usage
-- report from the rollups, team/report.py). A granted session's sums come from its owner's
-- `usage_session_days` only where that is what summing the responses would say: where every device of
-- the owner's that saw a response of it has a row of the session a grant covers, and neither the member's
-- own devices nor another granting owner's saw any. This table says which devices to ask about, per session
-- (the stored copy's session id). The push adds to it (team/rollups.py APPLY) and nothing takes from it:
-- a pair left after its responses went only sends that session's report to the responses themselves (a
-- device deleted leaves pairs no join finds: device ids are never reused).
CREATE TABLE IF NOT EXISTS usage_device_sessions (
    session_id text NOT NULL,
    device_id  bigint NOT NULL,  -- no foreign key: a row per new pair, checked on every push otherwise
    PRIMARY KEY (session_id, device_id)
);

INSERT INTO usage_device_sessions
SELECT DISTINCT u.session_id, s.device_id FROM usage_seen s JOIN usage u ON u.dedup_key = s.dedup_key
ON CONFLICT DO NOTHING;
