"""A store damaged mid-file, met by the MCP server: the CLI's one line as a tool error, no crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from damage import damage_page
from mcp_helpers import anyio_backend, cli_json, error_text, logs, mcp_client, structured  # noqa: F401

pytestmark = pytest.mark.anyio


async def test_a_damaged_page_is_a_tool_error_naming_the_file_and_the_way_out(logs, tmp_path):
    cli_json("scan")
    db = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"
    damage_page(db)
    async with mcp_client(tmp_path / "server.log") as mcp:
        for _ in range(2):  # and the server is still there for the next call
            text = error_text(await mcp.call_tool("list_sessions", {}))
            assert text.startswith(f"the database {db} is damaged")
            assert "memories, tags and projects" in text and "llm-session doctor --recover" in text
        assert structured(await mcp.call_tool("recall", {"query": "anything"}))["memories"] == []
