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
