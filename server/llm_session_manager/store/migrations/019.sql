-- v19: full-text search over every stored message (services/search, docs/search.md).
-- `messages_fts` is an external-content FTS5 index over `messages.text` (the text
-- is stored once, in `messages`), kept in step by triggers: every writer of
-- messages (ingest, the scrub of an older store, recovery) is covered without
-- knowing of it, in its own transaction. Porter stemming over unicode61 words, so
-- "failing" finds "fails"; diacritics folded. secure-delete, as for memories: a
-- message rewritten by redaction leaves no token of its old text in the index.
-- The rebuild fills it from the messages already stored (a million messages: 8 s
-- on a quiet core, 26 s on a busy one; docs/search.md) and is harmless when run again.
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
    text, content='messages', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
