"""Every MCP answer fits in a context window: under 2,000 tokens by default on a demo-sized store.

The store is what `llm-session demo` shows (16 sessions over a month of
Claude Code and Codex use) plus 40 memories; each tool is called the way an
assistant calls it, with its defaults, and its answer counted in o200k tokens,
the encoding shipped with the package. bench/mcp_sizes.py prints the same sizes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from mcp_helpers import anyio_backend, mcp_client, structured  # noqa: F401  (fixture)

from llm_session_manager.core.encoding import count_o200k
from llm_session_manager.demo_logs import write_demo_logs

pytestmark = pytest.mark.anyio
BUDGET = 2_000  # tokens per answer, the bound


@pytest.fixture
def demo_store(tmp_path, monkeypatch):
    layout = write_demo_logs(tmp_path / "demo", now=datetime.now(UTC))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(layout.claude_config_dir))
    monkeypatch.setenv("CODEX_HOME", str(layout.codex_home))
    lines = [json.dumps({"text": f"Memory {n}: the web-api service keeps its {topic} settings in config/{topic}.yaml, "
                                 "reviewed at every release.", "project": "web-api", "tags": [topic]})
             for n, topic in enumerate(["rate-limits", "retries", "timeouts", "caching"] * 10)]
    (tmp_path / "memories.jsonl").write_text("\n".join(lines) + "\n")
    subprocess.run([sys.executable, "-m", "llm_session_manager", "memory", "import", str(tmp_path / "memories.jsonl")],
                   check=True, capture_output=True)
    return layout


async def test_every_default_answer_stays_under_2000_tokens(demo_store, tmp_path):
    async with mcp_client(tmp_path / "server.log") as mcp:
        full = structured(await mcp.call_tool("list_sessions", {"detail": True, "limit": 1000}))
        assert full["count"] >= 15  # a demo-sized store, or the bound proves nothing
        everything = count_o200k(json.dumps(full))
        assert everything > BUDGET  # what the compact default saves
        latest = full["sessions"][0]
        calls = [
            ("list_sessions", {}),
            ("session_status", {"cwd": latest["cwd"]}),
            ("usage", {}),
            ("usage", {"by": "session"}),
            ("recommend", {}),
            ("export_session", {"session_id": latest["id"], "format": "markdown"}),
            ("search_history", {"query": "rate limit"}),
            ("optimize_context", {"session_id": latest["id"]}),
            ("recall", {"query": "where are the rate limits configured?"}),
            ("remember", {"text": "The orders API allows 100 requests per minute per client.", "project": "web-api"}),
            ("memorize_session", {"session_id": latest["id"]}),
        ]
        sizes = {}
        for name, args in calls:
            result = await mcp.call_tool(name, args)
            assert not result.is_error, result.content[0].text
            sizes[f"{name} {json.dumps(args)}"] = count_o200k(result.content[0].text)
    assert all(n < BUDGET for n in sizes.values()), sizes
    assert sizes["list_sessions {}"] < everything / 2
