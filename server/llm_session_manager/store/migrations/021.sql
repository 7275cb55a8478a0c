-- v21: pushing to a team server (services/team). What this data dir has pushed to
-- the server it joined, so `team push` sends only the rest: the responses (by their
-- dedup_key; a set rather than a rowid cursor, since rowids can be reused or
-- renumbered), with what the copy sent looked like (`sent`: a better copy read
-- later is sent again), and each session as it was last sent. `meta` holds this data dir's
-- device id (`team_client_id`) and the server and token these sets are for (`team_pushed_to`).
-- IF NOT EXISTS: a store whose version number was set back (as tests make older stores) has it.
CREATE TABLE IF NOT EXISTS team_pushed (
    dedup_key TEXT PRIMARY KEY,
    sent      TEXT NOT NULL  -- services/team/push.py's _SENT of the copy pushed
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS team_pushed_sessions (
    id            TEXT PRIMARY KEY,
    last_activity REAL
) WITHOUT ROWID;
