-- v7: the quarter-hour sums of v6 are brought up to date where the usage changed,
-- not rebuilt whole after every change (a status line polling during a session, on
-- a year of history, rebuilt a million rows each time). A small write notes the
-- quarters it touches, old and new (store/quarters.py); `usage_ts` finds a
-- quarter's responses.
CREATE TABLE usage_quarters_dirty (
    quarter INTEGER PRIMARY KEY
);
CREATE INDEX usage_ts ON usage (ts);
