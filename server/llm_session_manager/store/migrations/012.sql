-- v12: who wrote a memory, so an assistant can weigh one that another model planted.
-- `source` says how it came in (user | import | memorize | mcp); `writer` names the
-- writer when a program did it: the MCP client and the tool, as
-- "claude-code 2.1.3 via remember". NULL for a person at the CLI and for imports.
ALTER TABLE memories ADD COLUMN writer TEXT;
