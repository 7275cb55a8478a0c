"""`llm-session serve`: MCP over streamable HTTP at /mcp, local callers only, a store kept fresh."""

from __future__ import annotations

import time

import anyio
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import CLAUDE_B, CONTRACT_TOOLS, anyio_backend, logs, structured  # noqa: F401

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "curl", "version": "0"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def serve(logs, start_serve):
    """A running `llm-session serve` (scanning every second); its /mcp URL."""
    return start_serve()[0]


@pytest.mark.anyio
async def test_a_client_calls_tools_over_http_and_the_scan_keeps_the_store_fresh(serve):
    async with streamable_http_client(serve) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.server_info.name == "llm-session"
        assert {t.name for t in (await session.list_tools()).tools} == CONTRACT_TOOLS
        deadline = time.monotonic() + 20
        while (listed := structured(await session.call_tool("list_sessions", {})))["count"] < 6:
            assert time.monotonic() < deadline, "the periodic scan never filled the store"
            await anyio.sleep(0.2)
        assert CLAUDE_B in {s["id"] for s in listed["sessions"]}
        bad = await session.call_tool("usage", {"by": "fortnight"})
        assert bad.is_error
        assert structured(await session.call_tool("usage", {"by": "provider", "since": "2020-01-01"}))["rows"]
        # Over HTTP too, a memory is signed by the client that wrote it (the SDK's default clientInfo).
        structured(await session.call_tool("remember", {"text": "The HTTP door labels its writers.", "project": "web"}))
        [found] = structured(await session.call_tool("recall", {"query": "HTTP door writers", "project": "web"}))["memories"]
        assert found["source"] == "mcp" and found["writer"].endswith(" via remember")


def test_a_request_naming_a_foreign_host_or_origin_is_rejected(serve):
    port = serve.split(":")[2].split("/")[0]
    ok = httpx2.post(serve, json=INITIALIZE, headers=HEADERS, timeout=10)
    assert ok.status_code == 200
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
        r = httpx2.post(serve, json=INITIALIZE, headers={**HEADERS, "Host": host}, timeout=10)
        assert r.status_code == 421, host
    r = httpx2.post(serve, json=INITIALIZE, headers={**HEADERS, "Origin": "http://evil.example"}, timeout=10)
    assert r.status_code == 403
    r = httpx2.post(serve, json=INITIALIZE, headers={**HEADERS, "Host": f"localhost:{port}",
                                                      "Origin": f"http://localhost:{port}"}, timeout=10)
    assert r.status_code == 200


def test_serve_binds_only_the_loopback_address_by_default(serve):
    assert serve.startswith("http://127.0.0.1:")
