"""Memory over MCP: remember, recall, memorize -- or a clear tool error in a build without memory."""

from __future__ import annotations

import importlib.util

import pytest

from mcp_helpers import CLAUDE_B, anyio_backend, error_text, logs, mcp_client, structured  # noqa: F401

pytestmark = pytest.mark.anyio



def _has_memory() -> bool:
    if importlib.util.find_spec("llm_session_manager.services.memory") is None:
        return False
    from llm_session_manager.services import memory

    return all(callable(getattr(memory, name, None)) for name in ("recall", "remember", "memorize"))


HAS_MEMORY = _has_memory()
needs_memory = pytest.mark.skipif(not HAS_MEMORY, reason="memory is not available in this build")


@pytest.fixture
async def mcp(logs, tmp_path):
    async with mcp_client(tmp_path / "server.log") as session:
        yield session


@needs_memory
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


@needs_memory
async def test_memorize_session_stores_memories_from_a_session(mcp):
    got = structured(await mcp.call_tool("memorize_session", {"session_id": CLAUDE_B[:8]}))
    assert isinstance(got["memories"], list)
    assert all(m["session_id"] in (CLAUDE_B, None) for m in got["memories"])


@needs_memory
async def test_remember_redacts_secrets(mcp):
    structured(await mcp.call_tool("remember", {"text": "deploy key is sk-ant-api03-" + "a" * 90, "project": "ops"}))
    found = structured(await mcp.call_tool("recall", {"query": "deploy key", "project": "ops"}))
    assert all("a" * 40 not in m["text"] for m in found["memories"])


@pytest.mark.skipif(HAS_MEMORY, reason="this build has memory")
async def test_without_memory_the_tools_say_so_and_the_server_carries_on(mcp):
    for name, args in (("recall", {"query": "coupon"}), ("remember", {"text": "x"}),
                       ("memorize_session", {"session_id": CLAUDE_B})):
        assert error_text(await mcp.call_tool(name, args)) == "memory is not available in this build"
    assert "invalid arguments for recall" in error_text(await mcp.call_tool("recall", {"query": ""}))
    prompt = await mcp.get_prompt("project_memories", {"project": "shop"})
    assert "memory is not available in this build" in prompt.messages[0].content.text
    assert structured(await mcp.call_tool("list_sessions", {}))["count"] == 6
