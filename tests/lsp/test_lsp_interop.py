"""What clients other than VS Code send: raw JSON-RPC over the real server's pipes.

Neovim's ``client:request("llmSession/sessions", {})`` encodes the empty Lua
table as ``[]``; a client may also ask for a command the server does not have.
"""

from __future__ import annotations

import subprocess
from typing import Any

from raw_rpc import SERVER, receive, send


def _answer(proc: subprocess.Popen, request_id: int, method: str, params: Any) -> dict[str, Any]:
    send(proc.stdin, {"id": request_id, "method": method, "params": params})
    while (message := receive(proc.stdout)).get("id") != request_id or "method" in message:
        pass
    return message


def _session(requests: list[tuple[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """Initialize, send ``requests`` one after another, shut down: the answers and stderr."""
    proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _answer(proc, 0, "initialize", {"processId": None, "rootUri": None, "capabilities": {},
                                        "initializationOptions": {"scanOnStart": False}})
        send(proc.stdin, {"method": "initialized", "params": {}})
        answers = [_answer(proc, i, method, params) for i, (method, params) in enumerate(requests, 1)]
        _answer(proc, len(requests) + 1, "shutdown", None)
        send(proc.stdin, {"method": "exit"})
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0
        return answers, err.decode()
    finally:
        proc.kill()
        proc.wait()


def test_an_empty_array_as_params_is_read_as_no_params(store):
    (as_array, as_object, as_null), _ = _session([
        ("llmSession/sessions", []), ("llmSession/sessions", {}), ("llmSession/sessions", None),
    ])
    assert as_array["result"] == as_object["result"] == as_null["result"]
    assert len(as_array["result"]) > 0


def test_an_empty_array_still_names_a_missing_required_field(store):
    (recall, positional), _ = _session([("llmSession/recall", []), ("llmSession/sessions", ["claude-code"])])
    assert recall["error"] == {"code": -32602, "message": "query is required"}
    assert positional["error"]["code"] == -32602 and "must be an object" in positional["error"]["message"]


def test_an_unknown_command_is_one_warning_line_not_a_traceback(store):
    (answer,), err = _session([("workspace/executeCommand", {"command": "llmSession.teleport"})])
    assert answer["error"]["code"] == -32602
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "WARNING" in lines[0] and "llmSession.teleport" in lines[0], err
    assert "Traceback" not in err
