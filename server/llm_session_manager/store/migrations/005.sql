-- v5: how the memory vectors changed, for the index a long-lived process keeps in
-- memory (services/memory/resident.py). Any process may write memories, so the
-- store itself counts: `memory_vectors_added` moves when a memory is inserted
-- (its vector, if any, is written in the same transaction; the index fetches
-- rows above the highest rid it holds), `memory_vectors_reset` when vectors go
-- or an old row gets one (a delete, a re-embed: the index is rebuilt).
-- `memory_vectors_store` names this database, so an index held for a file that
-- was since replaced by another store (moved aside, restored) is not reused.
INSERT OR IGNORE INTO meta (key, value) VALUES
    ('memory_vectors_added', 0), ('memory_vectors_reset', 0), ('memory_vectors_store', lower(hex(randomblob(8))));
CREATE TRIGGER memories_vectors_added AFTER INSERT ON memories BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'memory_vectors_added';
END;
CREATE TRIGGER memories_vectors_deleted AFTER DELETE ON memories BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'memory_vectors_reset';
END;
CREATE TRIGGER memories_vectors_reembedded AFTER UPDATE OF embedded ON memories BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'memory_vectors_reset';
END;
