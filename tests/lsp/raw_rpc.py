"""JSON-RPC frames over the real server's pipes, for what pytest-lsp's client will not send."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

SERVER = [sys.executable, "-m", "llm_session_manager", "lsp"]


def send(pipe: IO[bytes], message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    pipe.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    pipe.flush()


def receive(pipe: IO[bytes]) -> dict[str, Any]:
    length = None
    while (line := pipe.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    assert length is not None, "the server closed its output"
    return json.loads(pipe.read(length))
