-- v28: message bodies may be sealed (encrypted, docs/privacy.md): the full-text
-- index's triggers index each body through `lsm_open` (store/sealed.py, a function
-- every connection of ours has), which opens a sealed body with the store's key and
-- returns plain text as it is. So the index holds the words of the plain text either
-- way, and a delete removes exactly what was indexed. Plain stores index as before.
-- The update trigger fires only when the text itself changes (retention, the scrub):
-- sealing or opening a body (`encrypt`, `decrypt`) leaves the index as it is, where a
-- delete and insert of the same words cost ~10 ms a message under secure-delete.
DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, lsm_open(new.text));
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, lsm_open(old.text));
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF text ON messages
WHEN lsm_open(old.text) IS NOT lsm_open(new.text) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, lsm_open(old.text));
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, lsm_open(new.text));
END;
