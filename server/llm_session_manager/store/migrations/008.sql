-- v8: a log rewritten in place with the same size and mtime is read again (issue 16, 12).
-- `ctime_ns` is the ctime when it was read (0: read within a clock tick of its last
-- write, so compared again next scan; NULL: read before v8, trusted as before); when
-- only the ctime moved, `tail` (CRC-32 of the 4 KiB before `offset`) and `head` tell a
-- rewrite from a chmod (ingest/_files.py).
ALTER TABLE source_files ADD COLUMN tail BLOB;
ALTER TABLE source_files ADD COLUMN ctime_ns INTEGER;
