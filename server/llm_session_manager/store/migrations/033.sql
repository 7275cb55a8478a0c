-- v33: each tool call as a conversation shows it (replay, export-conversation,
-- show --message): its name, its input in a few words (the command, the path, the
-- pattern: sources/tool_input.py; redacted like a message body and sealed like one
-- in an encrypted store), the size of its result as logged, and the message of
-- the response that made it, where the log ties them (Claude Code, Gemini CLI).
-- Filled from the same blocks and items as migration 018's `tool_calls`, which
-- keeps only billed responses' calls, by response, for reports; this table is by
-- session and time, for reading a conversation. Keyed by the log's own call ids,
-- per session (a Codex fork copies its parent's calls into its own rollout), so
-- reading a log again adds nothing. Claude Code, Codex and Gemini CLI logs are
-- read once more, so the sessions read before get their tool calls.
CREATE TABLE IF NOT EXISTS tool_uses (
    session_id   TEXT NOT NULL,
    id           TEXT NOT NULL,     -- the call's id in the log (toolu_..., call_..., Gemini's)
    ts           REAL NOT NULL,
    seq          INTEGER NOT NULL,  -- its place among the calls written at the same instant
    name         TEXT NOT NULL,     -- Read, Bash, mcp__github__create_issue, shell, run_shell_command, ...
    input        TEXT,              -- a short summary; a BLOB when sealed; NULL: none, or emptied by retention
    result_bytes INTEGER,           -- NULL: no result read (yet)
    message_key  TEXT,              -- messages.key of the response's text, when the log says
    PRIMARY KEY (session_id, id)    -- a session's calls together, for a conversation's read
) WITHOUT ROWID;
UPDATE source_files SET offset = 0, size = -1, state = NULL, conversation_offset = NULL, conversation_state = NULL
WHERE provider IN ('claude-code', 'codex', 'gemini');
