-- v14: speed. What `list` worked out again for every session on every call, kept
-- per session beside `usage_sessions` (store/session_sums.py) and brought up to
-- date with it: where the session's latest stretch of work began (the "working
-- since" clock, services/working.py), walked with the pause `session_facts_pause`
-- names, and how many API and tool errors it logged. They change with the
-- session's responses (the sums' dirty marks) and its messages (writers of
-- messages note theirs in `session_facts_dirty`); a big write (`usage_version`
-- moves) rebuilds them, as it does the sums. `session_facts_version` 0: the next
-- read fills the table.
-- IF NOT EXISTS: a store whose version number was set back (as tests make older stores) has it.
CREATE TABLE IF NOT EXISTS session_facts (
    session_id   TEXT PRIMARY KEY,
    stretch_from REAL,             -- its first response or message after the last pause; NULL: it has none
    errors       INTEGER NOT NULL  -- messages of kind api_error or tool_error
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_facts_dirty (
    session_id TEXT PRIMARY KEY
) WITHOUT ROWID;
-- The default config's pause (8 x 30 idle minutes), until a reader asks for another.
INSERT OR REPLACE INTO meta (key, value) VALUES ('session_facts_pause', 14400.0), ('session_facts_version', 0);
