"""The MCP tools refuse the bad values every door refuses (tests/argument_cases.py), in the
words the LSP uses, after ``invalid arguments for TOOL:``."""

from __future__ import annotations

import pytest
from argument_cases import CASES
from mcp_helpers import anyio_backend, error_text, mcp_client  # noqa: F401  (fixture)

from llm_session_manager.core.args import RECALL_LIMIT

pytestmark = pytest.mark.anyio


async def test_each_tool_refuses_a_bad_argument_naming_it(tmp_path):
    async with mcp_client(tmp_path / "server.log") as mcp:
        tools = {t.name: t for t in (await mcp.list_tools()).tools}
        assert tools["recall"].input_schema["properties"]["limit"]["maximum"] == RECALL_LIMIT
        for case in CASES:
            if case.mcp:
                tool, arguments = case.mcp
                said = error_text(await mcp.call_tool(tool, arguments))
                assert said == f"invalid arguments for {tool}: {case.says}", case.what
