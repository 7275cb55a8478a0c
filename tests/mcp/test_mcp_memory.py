"""Memory over MCP: remember, recall, memorize."""

from __future__ import annotations

import pytest

from mcp_helpers import CLAUDE_B, anyio_backend, error_text, logs, mcp_client, structured  # noqa: F401

pytestmark = pytest.mark.anyio



@pytest.fixture
async def mcp(logs, tmp_path):
    async with mcp_client(tmp_path / "server.log") as session:
        yield session


async def test_what_one_session_remembers_the_next_recalls(mcp, tmp_path):
    text = "The shop's coupon discount is applied once, in cart/total.ts, never in coupon.ts."
    stored = structured(await mcp.call_tool("remember", {"text": text, "project": "shop", "tags": ["cart"]}))
    assert stored["id"]
    async with mcp_client(tmp_path / "second.log") as later:
        found = structured(await later.call_tool("recall", {"query": "where is the coupon discount applied?",
                                                            "project": "shop"}))
    assert found["memories"][0]["id"] == stored["id"]
    assert found["memories"][0]["text"] == text and found["memories"][0]["tags"] == ["cart"]
    read = await mcp.read_resource(f"memory://{stored['id']}")
    assert text in read.contents[0].text


async def test_memorize_session_stores_memories_from_a_session(mcp):
    got = structured(await mcp.call_tool("memorize_session", {"session_id": CLAUDE_B[:8]}))
    assert isinstance(got["memories"], list)
    assert all(m["session_id"] in (CLAUDE_B, None) for m in got["memories"])


async def test_remember_redacts_secrets(mcp):
    structured(await mcp.call_tool("remember", {"text": "deploy key is sk-ant-api03-" + "a" * 90, "project": "ops"}))
    found = structured(await mcp.call_tool("recall", {"query": "deploy key", "project": "ops"}))
    assert all("a" * 40 not in m["text"] for m in found["memories"])
