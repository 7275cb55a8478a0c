-- v13: each session's responses in time order, for the "working since" clock
-- (services/working.py): it walks back from a session's last response a window at
-- a time, and each step is a seek here instead of a read of every response of the
-- session through `usage_session` (led by session and model). `list` at 20,000
-- sessions: 0.18 s of SQL down to 0.07 s.
-- IF NOT EXISTS: a store whose version number was set back (as tests make older stores) has it.
CREATE INDEX IF NOT EXISTS usage_session_ts ON usage (session_id, ts);
