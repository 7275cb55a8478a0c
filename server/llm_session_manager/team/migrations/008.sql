-- v8: pushed sessions carry health and context fill (docs/team.md#alerts), so the
-- dashboard shows them and a session turning critical is alerted; indexes for
-- pruning expired sign-ins and audit entries past their retention.
-- An older client pushes none of these: its sessions keep NULLs ("unknown").
-- A session told critical holds the key 'critical:<owner>:<session id>' in
-- `alerts_sent` until a push says it recovered, so it is told once per turn.

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS health_status text;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS health_score double precision;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS context_used bigint;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS context_limit bigint;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS context_percent double precision;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS context_source text;

CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS web_sessions_expires ON web_sessions (expires_at);
