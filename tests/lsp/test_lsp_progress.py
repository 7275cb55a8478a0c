"""A client that claims it shows progress but never answers the server's ask
must not hold a scan up: raw JSON-RPC over the real server's pipes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import IO, Any

SERVER = [sys.executable, "-m", "llm_session_manager", "lsp"]


def _send(pipe: IO[bytes], message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    pipe.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    pipe.flush()


def _receive(pipe: IO[bytes]) -> dict[str, Any]:
    length = None
    while (line := pipe.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    assert length is not None, "the server closed its output"
    return json.loads(pipe.read(length))


def test_a_client_that_never_answers_the_progress_ask_still_gets_its_scan(store):
    proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        _send(proc.stdin, {"id": 1, "method": "initialize", "params": {
            "processId": None, "rootUri": None, "initializationOptions": {"scanOnStart": False},
            "capabilities": {"window": {"workDoneProgress": True}},
        }})
        assert _receive(proc.stdout)["id"] == 1
        _send(proc.stdin, {"method": "initialized", "params": {}})
        started = time.monotonic()
        _send(proc.stdin, {"id": 2, "method": "workspace/executeCommand",
                           "params": {"command": "llmSession.refresh", "arguments": []}})
        seen = []
        while (message := _receive(proc.stdout)).get("id") != 2 or "method" in message:
            seen.append(message.get("method"))
        assert "window/workDoneProgress/create" in seen and "$/progress" not in seen
        assert message["result"]["malformed"] == 0
        assert time.monotonic() - started < 10  # the ask times out after 2 s; the scan goes on

        _send(proc.stdin, {"id": 3, "method": "shutdown"})
        while _receive(proc.stdout).get("id") != 3:
            pass
        _send(proc.stdin, {"method": "exit"})
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
