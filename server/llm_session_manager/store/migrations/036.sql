-- v36: `list --json` at 20,000 sessions copied 20 MB of kept parts out of the
-- store on every call (services/session_listing.py). The parts of the stopped
-- sessions are now also kept as one block in a file beside the store, made
-- under a generation number that every change of `session_json` moves on: the
-- file's header names the generation it was made at, so a block is never read
-- after a part of it changed.
-- It starts at a random number: a store made again in the same place never meets an old file's.
INSERT OR IGNORE INTO meta (key, value) VALUES ('session_json_generation', abs(random() % 1000000000000));
CREATE TRIGGER IF NOT EXISTS session_json_generation_added AFTER INSERT ON session_json
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'session_json_generation'; END;
CREATE TRIGGER IF NOT EXISTS session_json_generation_deleted AFTER DELETE ON session_json
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'session_json_generation'; END;
