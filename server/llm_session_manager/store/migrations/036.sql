-- v36: `list --json` and `usage --by session --json` at 20,000 sessions made (or
-- copied out of the store) 20 MB and 7 MB of JSON on every call, nearly always
-- the same as the call before. Each is now also kept as a file beside the store
-- (services/kept_file.py), whose first line names the generation of the rows it
-- was made from: every change of those rows moves their generation on, so a file
-- is never read after a row it was made from changed.
-- Each starts at a random number: a store made again in the same place never meets an old file's.
INSERT OR IGNORE INTO meta (key, value) VALUES ('session_json_generation', abs(random() % 1000000000000));
INSERT OR IGNORE INTO meta (key, value) VALUES ('usage_sessions_generation', abs(random() % 1000000000000));

CREATE TRIGGER IF NOT EXISTS session_json_generation_added AFTER INSERT ON session_json
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'session_json_generation'; END;
CREATE TRIGGER IF NOT EXISTS session_json_generation_deleted AFTER DELETE ON session_json
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'session_json_generation'; END;

CREATE TRIGGER IF NOT EXISTS usage_sessions_generation_added AFTER INSERT ON usage_sessions
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'usage_sessions_generation'; END;
CREATE TRIGGER IF NOT EXISTS usage_sessions_generation_changed AFTER UPDATE ON usage_sessions
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'usage_sessions_generation'; END;
CREATE TRIGGER IF NOT EXISTS usage_sessions_generation_deleted AFTER DELETE ON usage_sessions
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'usage_sessions_generation'; END;
