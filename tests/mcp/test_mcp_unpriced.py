"""A session whose every model has no price, met by the MCP server's list_sessions."""

from __future__ import annotations

import json

import pytest
from mcp_helpers import anyio_backend, cli_json, logs, mcp_client, structured  # noqa: F401

pytestmark = pytest.mark.anyio

UNPRICED = "totally-unknown-model"


def _unprice(log) -> None:
    """Every response in ``log`` from a model no price table knows."""
    lines = []
    for raw in log.read_text().splitlines():
        line = json.loads(raw)
        message = line.get("message")
        if isinstance(message, dict) and message.get("model"):
            message["model"] = UNPRICED
        line.pop("costUSD", None)
        lines.append(json.dumps(line))
    log.write_text("\n".join(lines) + "\n")


async def test_a_session_without_a_price_is_listed_with_a_null_cost_and_the_rest_still_sum(logs, tmp_path):
    unpriced = sorted(logs.claude.rglob("*.jsonl"))[0]
    _unprice(unpriced)
    cli_json("scan")
    by_cli = {s["id"]: s for s in cli_json("list", "--limit", "1000")}
    assert by_cli[unpriced.stem]["cost_usd"] is None
    async with mcp_client(tmp_path / "server.log") as mcp:
        listed = structured(await mcp.call_tool("list_sessions", {"limit": 1000}))
    briefs = {s["id"]: s for s in listed["sessions"]}
    assert briefs[unpriced.stem]["cost_usd"] is None
    priced = sum(s["cost_usd"] for s in by_cli.values() if s["cost_usd"] is not None)
    assert listed["summary"]["cost_usd"] == pytest.approx(priced, abs=1e-4)
    assert listed["count"] == len(by_cli)
