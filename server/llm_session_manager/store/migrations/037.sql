-- v37: a rescan with nothing new read what it compares of every log (path, provider,
-- inode, size, mtime, ctime) from source_files: 10 ms of a 0.13 s `usage` at 10,000
-- logs. Those columns are now also kept in a file beside the store
-- (ingest/_known_kept.py) with the generation of source_files they were read at:
-- every change of them moves the generation to a new random number (never back to
-- one a kept file names, even in a store restored from a backup), so a file is
-- never used after a row it was read from changed.
INSERT OR IGNORE INTO meta (key, value) VALUES ('source_files_generation', abs(random() % 1000000000000));

CREATE TRIGGER IF NOT EXISTS source_files_generation_added AFTER INSERT ON source_files
BEGIN UPDATE meta SET value = abs(random() % 1000000000000) WHERE key = 'source_files_generation'; END;
CREATE TRIGGER IF NOT EXISTS source_files_generation_changed
AFTER UPDATE OF path, provider, inode, size, mtime_ns, ctime_ns ON source_files
BEGIN UPDATE meta SET value = abs(random() % 1000000000000) WHERE key = 'source_files_generation'; END;
CREATE TRIGGER IF NOT EXISTS source_files_generation_deleted AFTER DELETE ON source_files
BEGIN UPDATE meta SET value = abs(random() % 1000000000000) WHERE key = 'source_files_generation'; END;
