"""`llm-session serve`: MCP over streamable HTTP at /mcp, local callers only, a store kept fresh."""

from __future__ import annotations

import os
import re
import queue
import signal
import subprocess
import sys
import threading
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
def serve(logs, tmp_path, monkeypatch):
    """A running `llm-session serve --port 0` (scanning every second); yields its /mcp URL."""
    config = tmp_path / "config.yaml"
    config.write_text("session_discovery:\n  scan_interval: 1\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    proc = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "serve", "--port", "0", "--lsp-port", "0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=os.environ)
    try:
        yield _wait_for_url(proc)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def _wait_for_url(proc: subprocess.Popen, timeout: float = 30.0) -> str:
    """The URL serve prints on stderr once it listens (stderr is drained by a thread from then on)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        m = re.search(r"MCP at (http://127\.0\.0\.1:\d+/mcp)", line)
        if m:
            return m.group(1)
    raise AssertionError("serve did not start:\n" + "".join(seen))


@pytest.mark.anyio
async def test_a_client_calls_tools_over_http_and_the_scan_keeps_the_store_fresh(serve):
    async with streamable_http_client(serve) as (read, write):
        async with ClientSession(read, write) as session:
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
            assert structured(await session.call_tool("usage", {"by": "provider"}))["rows"]


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
