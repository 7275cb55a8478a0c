-- v5: the web dashboard (docs/web.md, docs/team.md): whether a member shows on
-- the team's leaderboard (off unless they opt in), and which alerts were sent,
-- so a budget passed is told once however many pushes come after.

ALTER TABLE users ADD COLUMN IF NOT EXISTS leaderboard boolean NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS alerts_sent (
    key     text PRIMARY KEY,  -- 'budget:day:<user>:2026-12-07', 'budget:week:<user>:2026-12-07' (the Monday)
    sent_at timestamptz NOT NULL DEFAULT now()
);
