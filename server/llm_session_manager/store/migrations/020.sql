-- v20: sessions the user pinned (`llm-session record ID`), whose conversation
-- `retention.conversation_days` never prunes (store/retention.py). Pruning empties
-- message bodies only: the rows (time, role, kind), usage and file references stay,
-- so costs, health and analytics do not move. `meta.retention_checked_at` says
-- when the last scan pruned, so a scan prunes at most once an hour.
-- IF NOT EXISTS: a store whose version number was set back (as tests make older stores) has it.
CREATE TABLE IF NOT EXISTS pinned_sessions (
    session_id TEXT PRIMARY KEY,
    pinned_at  REAL NOT NULL  -- unix seconds
) WITHOUT ROWID;
