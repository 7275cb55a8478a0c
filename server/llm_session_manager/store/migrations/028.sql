-- v28: the full-text index's update trigger fires only when a body's text changes
-- (retention, the scrub), not for a rewrite that leaves it as it was. An encrypted
-- store (docs/privacy.md) swaps these triggers for ones that index each body's plain
-- text through `lsm_open` (store/sealed.py), and back when decrypted; sealing or
-- opening a body then leaves the index alone, where a delete and insert of the same
-- words cost ~10 ms a message under secure-delete.
DROP TRIGGER IF EXISTS messages_fts_update;
CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF text ON messages
WHEN old.text IS NOT new.text BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;
