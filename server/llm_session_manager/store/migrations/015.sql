-- v15: the assistants' own plan-limit meters as a time series (services/limits.py):
-- Claude Code's statusline `rate_limits` and Codex's `token_count` `rate_limits`.
-- A row per value seen: `observed_at` is when it was first seen, `seen_at` when
-- last seen unchanged (a status line repeats the same reading many times a
-- minute; one row per change keeps the series small and its age honest).
CREATE TABLE IF NOT EXISTS limit_readings (
    provider     TEXT NOT NULL,
    window_name  TEXT NOT NULL,  -- five_hour | seven_day
    observed_at  REAL NOT NULL,  -- unix seconds
    seen_at      REAL NOT NULL,
    used_percent REAL NOT NULL,  -- 0-100, may pass 100
    resets_at    REAL,           -- unix seconds; NULL when not told
    session_id   TEXT,           -- the session that reported it
    PRIMARY KEY (provider, window_name, observed_at)
) WITHOUT ROWID;
