"""A client that claims it shows progress but never answers the server's ask
must not hold a scan up: raw JSON-RPC over the real server's pipes."""

from __future__ import annotations

import subprocess
import time

from raw_rpc import SERVER, receive, send


def test_a_client_that_never_answers_the_progress_ask_still_gets_its_scan(store):
    proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        send(proc.stdin, {"id": 1, "method": "initialize", "params": {
            "processId": None, "rootUri": None, "initializationOptions": {"scanOnStart": False},
            "capabilities": {"window": {"workDoneProgress": True}},
        }})
        assert receive(proc.stdout)["id"] == 1
        send(proc.stdin, {"method": "initialized", "params": {}})
        started = time.monotonic()
        send(proc.stdin, {"id": 2, "method": "workspace/executeCommand",
                           "params": {"command": "llmSession.refresh", "arguments": []}})
        seen = []
        while (message := receive(proc.stdout)).get("id") != 2 or "method" in message:
            seen.append(message.get("method"))
        assert "window/workDoneProgress/create" in seen and "$/progress" not in seen
        assert message["result"]["malformed"] == 0
        assert time.monotonic() - started < 10  # the ask times out after 2 s; the scan goes on

        send(proc.stdin, {"id": 3, "method": "shutdown"})
        while receive(proc.stdout).get("id") != 3:
            pass
        send(proc.stdin, {"method": "exit"})
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
