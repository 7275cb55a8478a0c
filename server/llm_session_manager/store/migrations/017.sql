-- v17: history that outlives the logs. Claude Code deletes transcripts after
-- `cleanupPeriodDays`; what the store read from them stays, and `list` and `show`
-- say when a session's logs are gone (ingest/_gone.py). `session_logs` says which
-- logs each session was read from (a session may span several: a resumed one, its
-- sub-agents); `gone_logs` holds the logs a scan found deleted, so `list` need not
-- stat them. A session's log is gone when every log it was read from is:
-- `sessions_log_gone` holds those, worked out when a scan finds logs gone or back,
-- so `list` reads a set rather than joining thousands of gone logs each time.
-- IF NOT EXISTS: a store whose version number was set back (as tests make older stores) has it.
CREATE TABLE IF NOT EXISTS session_logs (
    path       TEXT NOT NULL,
    session_id TEXT NOT NULL,
    PRIMARY KEY (path, session_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_logs_session ON session_logs (session_id);
CREATE TABLE IF NOT EXISTS gone_logs (
    path  TEXT PRIMARY KEY,
    since REAL NOT NULL  -- when a scan first missed it
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions_log_gone (
    session_id TEXT PRIMARY KEY
) WITHOUT ROWID;
-- Logs read before v17: Claude Code names a transcript after its session
-- (projects/<project>/<session id>.jsonl), so those are known without reading again.
INSERT OR IGNORE INTO session_logs (path, session_id)
SELECT f.path, s.id
FROM source_files f
JOIN sessions s ON s.id = substr(f.path, length(rtrim(f.path, replace(f.path, '/', ''))) + 1,
                                 length(f.path) - length(rtrim(f.path, replace(f.path, '/', ''))) - 6)
WHERE f.provider = 'claude-code' AND f.path LIKE '%.jsonl';
