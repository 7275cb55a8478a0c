-- v9: speed. (1) Usage summed per session, what `list`, `recommend` and `usage --by
-- session|project` read instead of every response (store/session_sums.py): kept
-- like usage_quarters, with dirty marks for small writes and a rebuild whenever
-- `usage_version` moves. (2) How far each log's conversation (messages, file
-- references) is stored, for a first scan that stores the usage first and leaves
-- the conversation to a continuation (ingest/_conversation.py): NULL when all of
-- it is; else the offset it is stored up to and the parser's state there.
-- (3) Summaries found without reading every message of a session.
CREATE TABLE usage_sessions (
    session_id            TEXT PRIMARY KEY,
    input_tokens          INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    cost_usd              REAL,
    responses             INTEGER NOT NULL,
    exact                 INTEGER NOT NULL, -- 1 when every response's count is exact
    unpriced              INTEGER NOT NULL  -- responses of a model without a price (usage.priced = 2)
) WITHOUT ROWID;
CREATE TABLE usage_sessions_dirty (
    session_id TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('usage_sessions_version', 0);

ALTER TABLE source_files ADD COLUMN conversation_offset INTEGER;
ALTER TABLE source_files ADD COLUMN conversation_state BLOB;
CREATE INDEX source_files_conversation ON source_files (path) WHERE conversation_offset IS NOT NULL;

CREATE INDEX messages_summaries ON messages (session_id, ts) WHERE kind = 'summary';
