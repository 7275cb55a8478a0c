-- v25: pushing conversation and shared memories to a team server (services/team,
-- docs/team.md). `team_pushed_rows` is the set of messages and file references
-- (kind 'message' or 'file_ref', by their store key) the joined server has
-- acknowledged, so `team push` sends only the rest; `team_shared_memories` marks
-- the memories the user shares (scope project or team, or personal to push them
-- as one's own), with the text last sent, so an edit is sent again.
-- IF NOT EXISTS: a store whose version number was set back (as tests make older stores) has it.
CREATE TABLE IF NOT EXISTS team_pushed_rows (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS team_shared_memories (
    memory_id TEXT PRIMARY KEY,
    scope     TEXT NOT NULL CHECK (scope IN ('personal', 'project', 'team')),
    sent      TEXT  -- scope and text hash of the copy the server acknowledged; NULL: not yet
) WITHOUT ROWID;
