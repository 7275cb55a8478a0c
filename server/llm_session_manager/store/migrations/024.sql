-- v24: `list --json` at 20,000 sessions read every session's rows, scored and
-- encoded each one on every call (0.4 s). A session that has stopped (idle past
-- the point where its health no longer changes) shows the same JSON until one of
-- its rows changes, so each such session's part of the document is kept here
-- (services/session_listing.py) and the triggers below drop it whenever a row it
-- was made from changes. What it was made under (config, prices, program
-- version) is a key in `meta`; a different key empties the table.
-- IF NOT EXISTS: a store whose version number was set back (as tests make older stores) has it.
CREATE TABLE IF NOT EXISTS session_json (
    last_activity REAL NOT NULL,     -- the session's (-1e308 for none), so the parts are stored in list order
    session_id    TEXT NOT NULL,
    unpriced      INTEGER NOT NULL,  -- a response of a model without a price: list warns of it
    body          BLOB NOT NULL,     -- its JSON as `list --json` prints it, indented inside the array
    PRIMARY KEY (last_activity DESC, session_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS session_json_session ON session_json (session_id);
-- Sessions newest first, as every listing orders them, without a sort.
CREATE INDEX IF NOT EXISTS sessions_newest ON sessions (last_activity DESC, id);

CREATE TRIGGER IF NOT EXISTS session_json_session_changed AFTER UPDATE ON sessions
BEGIN DELETE FROM session_json WHERE session_id = OLD.id; END;
CREATE TRIGGER IF NOT EXISTS session_json_session_deleted AFTER DELETE ON sessions
BEGIN DELETE FROM session_json WHERE session_id = OLD.id; END;

CREATE TRIGGER IF NOT EXISTS session_json_sums_added AFTER INSERT ON usage_sessions
BEGIN DELETE FROM session_json WHERE session_id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_sums_changed AFTER UPDATE ON usage_sessions
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_sums_deleted AFTER DELETE ON usage_sessions
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;

CREATE TRIGGER IF NOT EXISTS session_json_facts_added AFTER INSERT ON session_facts
BEGIN DELETE FROM session_json WHERE session_id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_facts_changed AFTER UPDATE ON session_facts
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_facts_deleted AFTER DELETE ON session_facts
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;

CREATE TRIGGER IF NOT EXISTS session_json_tag_added AFTER INSERT ON tags
BEGIN DELETE FROM session_json WHERE session_id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_tag_deleted AFTER DELETE ON tags
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;

-- A summary message is the session's title.
CREATE TRIGGER IF NOT EXISTS session_json_summary_added AFTER INSERT ON messages WHEN NEW.kind = 'summary'
BEGIN DELETE FROM session_json WHERE session_id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_summary_changed AFTER UPDATE ON messages WHEN OLD.kind = 'summary' OR NEW.kind = 'summary'
BEGIN DELETE FROM session_json WHERE session_id IN (OLD.session_id, NEW.session_id); END;
CREATE TRIGGER IF NOT EXISTS session_json_summary_deleted AFTER DELETE ON messages WHEN OLD.kind = 'summary'
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;

CREATE TRIGGER IF NOT EXISTS session_json_log_gone AFTER INSERT ON sessions_log_gone
BEGIN DELETE FROM session_json WHERE session_id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_log_back AFTER DELETE ON sessions_log_gone
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;

-- A pinned session says so (`record`, v20).
CREATE TRIGGER IF NOT EXISTS session_json_pinned AFTER INSERT ON pinned_sessions
BEGIN DELETE FROM session_json WHERE session_id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS session_json_unpinned AFTER DELETE ON pinned_sessions
BEGIN DELETE FROM session_json WHERE session_id = OLD.session_id; END;
