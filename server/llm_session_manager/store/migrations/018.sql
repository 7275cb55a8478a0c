-- v18: what each response did, for `usage --by tool|agent|mcp-server|skill`
-- (services/attribution.py). Filled from Claude Code transcripts with the
-- conversation: `tool_calls` holds each tool_use block (MCP tools are named
-- `mcp__<server>__<tool>`; `detail` is a Skill's skill or a Task/Agent call's
-- subagent_type), the response (usage row) that made it and the estimated tokens
-- its result put into the context; `agent_runs` which Task/Agent call started a
-- sub-agent, and its type; `response_agents` the sub-agent a sidechain response
-- ran in. Every row is keyed by the log's own ids, so reading a log again adds nothing. Claude Code's logs are read again once to fill them for the past.
CREATE TABLE IF NOT EXISTS tool_calls (
    dedup_key     TEXT NOT NULL,     -- the usage row of the response that made the call
    id            TEXT NOT NULL,     -- the tool_use block's id (toolu_...)
    session_id    TEXT NOT NULL,
    seq           INTEGER NOT NULL,  -- its place among that response's calls, from 0
    name          TEXT NOT NULL,
    detail        TEXT,
    result_tokens INTEGER,           -- its result's tokens (estimated), when read with the call
    PRIMARY KEY (dedup_key, id)      -- a response's calls together: reports look them up by response
) WITHOUT ROWID;
-- A sub-agent's type is its Task call's subagent_type, looked up by the call's id.
CREATE INDEX IF NOT EXISTS tool_calls_agents ON tool_calls (id) WHERE name IN ('Task', 'Agent');
-- Results not counted with their call: a built-in tool's whose call an earlier scan
-- read (a result logged after that scan), estimated from its length; and every
-- result of an MCP tool, sub-agent or skill, whose text (secrets redacted) waits
-- here for the tokenizer until a report counts it and drops the text. Counting
-- then, not while reading, keeps the tokenizer out of the status line's read.
CREATE TABLE IF NOT EXISTS tool_results (
    id         TEXT PRIMARY KEY,  -- the tool_use id it answers
    session_id TEXT NOT NULL,
    tokens     INTEGER,           -- NULL: not counted yet
    text       TEXT               -- until counted
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS agent_runs (
    agent_id    TEXT PRIMARY KEY,  -- Claude Code's agentId; an inline (1.x) sidechain: the Task call's id
    tool_use_id TEXT NOT NULL,     -- the Task/Agent call that started it
    agent_type  TEXT               -- toolUseResult.agentType, else the Task call's subagent_type
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
