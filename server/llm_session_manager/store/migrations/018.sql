-- v18: what each response did, for `usage --by tool|agent|mcp-server|skill`
-- (services/attribution.py). Filled from Claude Code transcripts with the
-- conversation: `tool_calls` holds each tool_use block (MCP tools are named
-- `mcp__<server>__<tool>`; `detail` is a Skill's skill or a Task/Agent call's
-- subagent_type) and the response (usage row) that made it; `tool_results` the
-- estimated tokens each call's result put into the context; `agent_runs` which
-- Task/Agent call started a sub-agent; `response_agents` the sub-agent a sidechain
-- response ran in. Every row is keyed by the log's own ids, so reading a log again
-- adds nothing. Claude Code's logs are read again once to fill them for the past.
CREATE TABLE IF NOT EXISTS tool_calls (
    id         TEXT PRIMARY KEY,  -- the tool_use block's id (toolu_...)
    session_id TEXT NOT NULL,
    dedup_key  TEXT NOT NULL,     -- the usage row of the response that made the call
    seq        INTEGER NOT NULL,  -- its place among that response's calls, from 0
    name       TEXT NOT NULL,
    detail     TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tool_calls_response ON tool_calls (dedup_key);
CREATE TABLE IF NOT EXISTS tool_results (
    id         TEXT PRIMARY KEY,  -- the tool_use id it answers
    session_id TEXT NOT NULL,
    tokens     INTEGER NOT NULL   -- o200k tokens of its text: an estimate
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agent_runs (
    agent_id    TEXT PRIMARY KEY,  -- Claude Code's agentId; an inline (1.x) sidechain: the Task call's id
    tool_use_id TEXT NOT NULL,     -- the Task/Agent call that started it
    agent_type  TEXT               -- toolUseResult.agentType, when the log has it
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS response_agents (
    dedup_key TEXT PRIMARY KEY,
    agent_id  TEXT NOT NULL
) WITHOUT ROWID;
-- Responses with estimated counts are few: usage reports find them through this
-- index to say which figures are estimated (provenance).
CREATE INDEX IF NOT EXISTS usage_estimated ON usage (ts) WHERE NOT exact;
UPDATE source_files SET offset = 0, size = -1, state = NULL, conversation_offset = NULL, conversation_state = NULL
WHERE provider = 'claude-code';
