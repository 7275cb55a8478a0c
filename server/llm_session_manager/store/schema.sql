-- The whole schema at SCHEMA_VERSION (store/connection.py). A fresh database is
-- made from this file; older ones are brought up to date by migrations/NNN.sql.

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

-- v2: memory. What sessions learned (and what users told us to remember), searchable
-- by words (memories_fts) and by meaning (memories_vec); services/memory keeps the
-- three in step, in one transaction per write. docs/memory.md explains the design.

CREATE TABLE memories (
    rid          INTEGER PRIMARY KEY,          -- the rowid of memories_fts and memories_vec; stable across VACUUM
    id           TEXT NOT NULL UNIQUE,         -- public id: a uuid, or the id an import gave
    text         TEXT NOT NULL,                -- already redacted
    project      TEXT,
    session_id   TEXT,                         -- the session it was learned in, if any
    message_key  TEXT,                         -- messages.key it was taken from, if any
    tags         TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings, sorted
    metadata     TEXT,                         -- JSON object an import carried, kept as given
    source       TEXT NOT NULL,                -- user | import | memorize
    created_at   REAL NOT NULL,                -- unix seconds
    content_hash TEXT NOT NULL UNIQUE,         -- project + normalised text: the same memory is stored once
    embedded     INTEGER NOT NULL DEFAULT 0    -- 1 once memories_vec is up to date for this row
);
CREATE INDEX memories_project ON memories (project, created_at);
CREATE INDEX memories_session ON memories (session_id);
CREATE INDEX memories_unembedded ON memories (rid) WHERE embedded = 0;

CREATE VIRTUAL TABLE memories_fts USING fts5(
    text, content='memories', content_rowid='rid', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, text) VALUES (new.rid, new.text);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.rid, old.text);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.rid, old.text);
    INSERT INTO memories_fts (rowid, text) VALUES (new.rid, new.text);
END;

-- rowid = memories.rid. ``bits`` is a 1024-bit SimHash of the embedding (signs of
-- fixed random projections): a cheap Hamming-distance prefilter. ``vector`` is the
-- float32 embedding itself, read back only for the prefilter's candidates to rank
-- them exactly. ``project`` ('' for none) partitions the table, so a recall within
-- a project scans only that project's vectors.
CREATE VIRTUAL TABLE memories_vec USING vec0(
    project TEXT PARTITION KEY,
    bits BIT[1024],
    +vector BLOB
);

-- Which memories were written into which assistant context file (recall --import-to).
CREATE TABLE memory_imports (
    session_id  TEXT NOT NULL,
    memory_id   TEXT NOT NULL,
    path        TEXT NOT NULL,
    imported_at REAL NOT NULL,
    PRIMARY KEY (session_id, memory_id, path)
) WITHOUT ROWID;
