"""`optimize_context` through the MCP SDK's own client, on the billing transcript whose answer is known
(tests/context_fixture.py): the unused reads, the file asked about but absent, the never-relevant
CLAUDE.md section, our own tool definitions' cost, and an answer that stays within its token cap."""

from __future__ import annotations

import json

import pytest
from context_fixture import SESSION, billing_logs
from mcp_helpers import anyio_backend, mcp_client, structured  # noqa: F401  (fixture)

from llm_session_manager.core.encoding import count_o200k

pytestmark = pytest.mark.anyio


async def test_optimize_context_says_what_to_cut_with_the_measured_saving(tmp_path, monkeypatch):
    billing = billing_logs(tmp_path, monkeypatch)
    # Claude Code configured with this server and one other (whose tool list no log shows).
    (billing.claude / ".claude.json").write_text(json.dumps({"mcpServers": {
        "llm-session": {"type": "stdio", "command": "/usr/bin/llm-session", "args": ["mcp"], "env": {}},
        "github": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]},
    }}))
    async with mcp_client(tmp_path / "server.log") as mcp:
        plan = structured(await mcp.call_tool("optimize_context", {"cwd": str(billing.project)}))
        assert plan["session_id"] == SESSION
        src = billing.project / "src"
        unused = {str(src / "models/invoice.py"), str(src / "utils/formatting.py")}
        assert {f["path"]: f["referred_again"] for f in plan["files"]} == {
            **dict.fromkeys(unused, False), str(src / "api/login.py"): True}
        assert all(f["tokens_then"] > 0 for f in plan["files"])
        kinds = {s["kind"]: s for s in plan["suggestions"]}
        assert set(kinds["unused_reads"]["paths"]) == unused
        assert kinds["unused_reads"]["saving_tokens"] == sum(
            f["tokens_then"] for f in plan["files"] if f["path"] in unused)
        assert kinds["asked_not_in_context"]["paths"] == [str(src / "api/auth.py")]
        assert [m["name"] for m in plan["mentioned"]] == ["auth.py"]
        assert plan["instructions"] == [{"path": str(billing.project / "CLAUDE.md"),
                                         "tokens_per_turn": plan["instructions"][0]["tokens_per_turn"],
                                         "token_source": "estimated", "never_relevant": ["Deployment"]}]
        servers = {s["name"]: s for s in plan["mcp_servers"]}
        assert servers["github"] == {"name": "github", "config": str(billing.claude / ".claude.json"),
                                     "source": "unknown"}
        listed = await mcp.list_tools()
        ours = servers["llm-session"]
        assert ours["source"] == "estimated" and ours["tools"] == len(listed.tools)
        # Our count is of the same definitions the client received, give or take the annotations.
        received = count_o200k(json.dumps([t.model_dump(by_alias=True, exclude_none=True) for t in listed.tools]))
        assert 0.8 * received < ours["tokens_per_turn"] <= received

        ranked = structured(await mcp.call_tool("optimize_context", {"session_id": SESSION, "query": "refresh flow"}))
        assert ranked["relevant"][0] == {**ranked["relevant"][0], "path": str(src / "api/auth.py"), "loaded": False}

        # The answer is small by default, and cut to what is asked.
        result = await mcp.call_tool("optimize_context", {"session_id": SESSION})
        size = count_o200k(result.content[0].text)
        assert size < 2_000 and abs(structured(result)["answer_tokens"] - size) <= 3
        small = await mcp.call_tool("optimize_context", {"session_id": SESSION, "max_tokens": 300})
        cut = structured(small)
        assert count_o200k(small.content[0].text) <= 310 and cut["truncated"]
        assert cut["suggestions"], "suggestions are cut last"
