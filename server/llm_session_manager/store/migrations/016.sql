-- v16: what `serve` hears over OTLP (docs/otel.md). A response an assistant reports
-- over OTLP is counted in `usage` (under the key `otlp:<provider>:<id>`) only until
-- its log brings the same response: then the log's row supersedes it, so totals stay
-- those of the logs alone. `otlp_requests` remembers each one, with the attribution
-- the logs lack (query source, agent, skill, MCP server), after it is superseded too.
CREATE TABLE IF NOT EXISTS otlp_requests (
    key             TEXT PRIMARY KEY,  -- the usage row it stands for while counted
    provider        TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    request_id      TEXT,              -- Claude Code's request id (the transcript's requestId); NULL: none
    ts              REAL NOT NULL,
    counted         INTEGER NOT NULL,  -- 1: its usage row is in `usage`; 0: a log row stands for it
    query_source    TEXT,
    agent_name      TEXT,
    skill_name      TEXT,
    mcp_server_name TEXT
) WITHOUT ROWID;
-- The few still counted, for the check each scan's write makes (ingest/_store.py).
CREATE INDEX IF NOT EXISTS otlp_requests_counted ON otlp_requests (session_id) WHERE counted;

-- Claude Code's own running tally per session (the claude_code.token.usage and
-- claude_code.cost.usage metrics), for cross-checking; never added to `usage`.
CREATE TABLE IF NOT EXISTS otlp_session_totals (
    session_id TEXT NOT NULL,
    provider   TEXT NOT NULL,
    metric     TEXT NOT NULL,
    model      TEXT NOT NULL,
    type       TEXT NOT NULL,  -- input | output | cacheRead | cacheCreation; '' for cost
    value      REAL NOT NULL,
    updated    REAL NOT NULL,
    PRIMARY KEY (session_id, metric, model, type)
) WITHOUT ROWID;
