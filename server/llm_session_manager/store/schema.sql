-- Version 1, the baseline. A fresh database is made from this file and then
-- brought to SCHEMA_VERSION (store/connection.py) by migrations/NNN.sql, exactly
-- as an old one is: one path, so a fresh and an upgraded store cannot differ.
-- Never edit this file: add a migration.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;

-- Where each log file was read up to. ``head`` is a hash of its first bytes,
-- so a file replaced under the same name (rotation) is read again from 0.
CREATE TABLE source_files (
    path     TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    inode    INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    offset   INTEGER NOT NULL,
    head     BLOB,
    state    BLOB
) WITHOUT ROWID;

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    provider       TEXT NOT NULL,
    cwd            TEXT,
    project        TEXT,
    title          TEXT,
    model          TEXT,
    git_branch     TEXT,
    version        TEXT,
    started_at     REAL,
    last_activity  REAL,
    -- the latest main-chain turn: how full the context window is now
    context_ts     REAL,
    context_tokens INTEGER,
    context_window INTEGER
) WITHOUT ROWID;

CREATE TABLE usage (
    dedup_key             TEXT NOT NULL UNIQUE,
    session_id            TEXT NOT NULL,
    ts                    REAL NOT NULL,
    model                 TEXT NOT NULL,
    input_tokens          INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    cost_usd              REAL NOT NULL,
    priced                INTEGER NOT NULL,  -- 1: from our pricing table; 0: the log's own figure
    exact                 INTEGER NOT NULL,
    sidechain             INTEGER NOT NULL
);
CREATE INDEX usage_session ON usage (session_id);

CREATE TABLE messages (
    key        TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    ts         REAL NOT NULL,
    role       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX messages_session ON messages (session_id, ts);

CREATE TABLE file_refs (
    key        TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    ts         REAL NOT NULL,
    path       TEXT NOT NULL,
    action     TEXT NOT NULL
);
CREATE INDEX file_refs_session ON file_refs (session_id);

CREATE TABLE tags (
    session_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (session_id, tag)
) WITHOUT ROWID;

-- Token counts of text without usage numbers, by content hash, so the
-- Anthropic count-tokens API is asked once per distinct text.
CREATE TABLE token_counts (
    hash   TEXT NOT NULL,
    model  TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    method TEXT NOT NULL,
    PRIMARY KEY (hash, model)
) WITHOUT ROWID;
