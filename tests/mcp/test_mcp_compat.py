"""Clients of the previous major SDK (mcp 1.x) speak older protocol versions; the server answers them.

mcp 1.x clients offer 2024-11-05, 2025-03-26 or 2025-06-18 in ``initialize``;
no 1.x client can be installed here (no registry in CI), so these tests speak
that JSON-RPC themselves, line by line, as such a client does over stdio.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from mcp_helpers import CONTRACT_TOOLS, SERVER, logs  # noqa: F401  (fixture)


class RawClient:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=os.environ)
        self.next_id = 0

    def request(self, method: str, params: dict | None = None) -> dict:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, **({"params": params} if params else {})})
        reply = json.loads(self.proc.stdout.readline())
        assert reply["id"] == self.next_id
        return reply

    def send(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def close(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=20)


@pytest.mark.parametrize("version", ["2024-11-05", "2025-03-26", "2025-06-18"])
def test_an_older_protocol_version_is_accepted_and_everything_works(logs, version):
    client = RawClient()
    try:
        init = client.request("initialize", {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "mcp-1.x", "version": "1.27.0"},
        })["result"]
        assert init["protocolVersion"] == version
        assert init["serverInfo"]["name"] == "llm-session"
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools = client.request("tools/list")["result"]["tools"]
        assert {t["name"] for t in tools} == CONTRACT_TOOLS
        assert all(t["inputSchema"]["type"] == "object" for t in tools)
        called = client.request("tools/call", {"name": "list_sessions", "arguments": {"limit": 2}})["result"]
        assert not called["isError"]
        assert len(json.loads(called["content"][0]["text"])["sessions"]) == 2  # text for clients without structured output
        bad = client.request("tools/call", {"name": "usage", "arguments": {"by": "fortnight"}})["result"]
        assert bad["isError"] and "by must be one of day, week," in bad["content"][0]["text"]
        assert client.request("ping")["result"] == {}
    finally:
        assert client.close() == 0


def test_an_unknown_future_version_is_answered_with_one_the_server_speaks(logs):
    client = RawClient()
    try:
        init = client.request("initialize", {
            "protocolVersion": "2099-01-01", "capabilities": {}, "clientInfo": {"name": "future", "version": "9"},
        })["result"]
        assert init["protocolVersion"] in ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
    finally:
        client.close()


def test_an_older_client_is_named_as_the_writer_of_what_it_remembers(logs):
    client = RawClient()
    try:
        client.request("initialize", {
            "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "cursor", "version": "1.4.2"},
        })
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        client.request("tools/call", {"name": "remember", "arguments": {"text": "Deploys freeze on Fridays.",
                                                                        "project": "ops"}})
        called = client.request("tools/call", {"name": "recall", "arguments": {"query": "deploy freeze",
                                                                              "project": "ops"}})["result"]
        [found] = json.loads(called["content"][0]["text"])["memories"]
        assert (found["source"], found["writer"]) == ("mcp", "cursor 1.4.2 via remember")
    finally:
        assert client.close() == 0
