-- v3: notifications. When each alert was last sent, so that `serve`, `notify check`
-- and any other process share one cooldown: a rule fires for a subject (a session
-- id, a local day, a 5-hour block's start) at most once per cooldown. Written
-- under the write lock before delivery, so two processes never both send it.

CREATE TABLE notifications_sent (
    rule    TEXT NOT NULL,   -- health_warning | health_critical | context | daily_budget | block_end
    subject TEXT NOT NULL,   -- what it is about: session id, YYYY-MM-DD, block start (ISO, UTC)
    sent_at REAL NOT NULL,   -- unix seconds
    PRIMARY KEY (rule, subject)
) WITHOUT ROWID;
