-- v10: no secret at rest (docs/redaction.md). Ingest now redacts what it stores; rows
-- stored raw by older versions are redacted once by the next scan, which knows to from
-- scrub_secrets (ingest/_scrub.py: redaction is Python, so it cannot be done here). A
-- forgotten memory's words now leave the full-text index at once (FTS5 secure-delete),
-- and the index is rebuilt to drop what earlier forgets left behind in it.
INSERT OR REPLACE INTO meta (key, value) VALUES ('scrub_secrets', 1);
INSERT INTO memories_fts (memories_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');
