"""The MCP ``limits`` tool answers what ``llm-session limits --json`` prints."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from mcp_helpers import anyio_backend, cli_json, mcp_client, structured  # noqa: F401  (fixture)

pytestmark = pytest.mark.anyio


async def test_limits_over_mcp_are_the_cli_s_with_the_official_codex_reading(fixture_logs, tmp_path):
    now = time.time()
    line = {"timestamp": datetime.fromtimestamp(now - 60, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "type": "event_msg", "payload": {"type": "token_count", "info": None, "rate_limits": {
                "primary": {"used_percent": 33.0, "window_minutes": 300, "resets_at": int(now + 3600)},
                "secondary": {"used_percent": 20.0, "window_minutes": 10080, "resets_at": int(now + 86400)}}}}
    with fixture_logs.recent.open("a") as f:
        f.write(json.dumps(line) + "\n")
    async with mcp_client(tmp_path / "server.log") as mcp:
        answer = structured(await mcp.call_tool("limits", {}))
    (codex,) = [a for a in answer["assistants"] if a["provider"] == "codex"]
    five, week = codex["windows"]
    assert (five["used_percent"], five["sources"]["used_percent"]) == (33.0, "official")
    assert week["used_percent"] == 20.0
    cli = cli_json("limits", "--json", "--no-scan")
    for ours, theirs in zip(answer["assistants"], cli["assistants"], strict=True):
        for w in (*ours["windows"], *theirs["windows"]):
            w.pop("age_seconds"), w.pop("resets_in_seconds")
        assert ours["windows"] == theirs["windows"]
