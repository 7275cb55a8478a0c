-- v11: one-hour cache writes and responses without a price (issue 16).
-- Claude Code logs split cache writes into 5-minute and 1-hour buckets, and a
-- 1-hour write costs twice the input price, not the 5-minute write price: the
-- 1-hour part is kept with each response so that it is priced (and repriced)
-- right. Rows stored before this version do not know their split, so every
-- Claude Code log is read once more from the start: a re-read copy of a
-- response replaces the stored one when it carries the 1-hour part the stored
-- one lacks (ingest/_store.py); responses whose log is gone keep their old
-- price. `priced` = 2 marks a response whose model has no price (cost_usd
-- holds 0 but means unknown), and `usage_quarters.unpriced` counts them, so
-- reports can say "unknown" instead of $0. Clearing `pricing_version` makes
-- the next scan reprice every priced response with the table in force.
-- `sessions.context_peak` is the largest context any main-chain turn of the
-- session had: one over 200k shows the session runs a long-context (1M) window
-- (services/sessions.py `context_limit`); the re-read fills it in.
ALTER TABLE usage ADD COLUMN cache_creation_1h_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_quarters ADD COLUMN unpriced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN context_peak INTEGER;
UPDATE meta SET value = value + 1 WHERE key = 'usage_version';
UPDATE source_files SET offset = 0, size = -1, state = NULL WHERE provider = 'claude-code';
DELETE FROM meta WHERE key = 'pricing_version';
