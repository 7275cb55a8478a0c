-- v32: Codex rollouts and Gemini CLI chats now fill the attribution tables of
-- migration 018 (sources/codex/_calls.py, sources/gemini/_calls.py): read their
-- logs once more, so the responses read before get their tool calls, MCP servers
-- and sub-agents too. Every row is keyed by the log's own ids, so nothing is
-- counted twice.
UPDATE source_files SET offset = 0, size = -1, state = NULL, conversation_offset = NULL, conversation_state = NULL
WHERE provider IN ('codex', 'gemini');
