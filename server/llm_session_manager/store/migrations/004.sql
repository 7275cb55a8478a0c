-- v4: analytics. Reports sum a year of responses (a million rows) per session and
-- model; with every column they read in the index, SQLite walks the index in
-- order: no sort, no table reads (services/analytics). The index on session_id
-- alone is its prefix, so it goes. `list` sums per session through it too.
-- IF EXISTS: a bulk load interrupted before this migration may have dropped it.
DROP INDEX IF EXISTS usage_session;
CREATE INDEX usage_session ON usage (
    session_id, model, ts, sidechain, exact,
    input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd
);

-- Errors are few among many messages: health counts them per session, analytics
-- per window, and neither should read every message's text to find them.
CREATE INDEX messages_errors ON messages (session_id, kind, ts) WHERE kind IN ('api_error', 'tool_error');
