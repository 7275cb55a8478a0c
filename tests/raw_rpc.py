"""JSON-RPC frames over the real server's pipes or a socket, for what pytest-lsp's client will not send."""

from __future__ import annotations

import json
import re
import socket
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


class FrameSocket:
    """LSP frames over a TCP socket, as an editor that connects to `serve` sends and reads them."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=20)
        self.buffer = b""

    def send_frame(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def receive_frame(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        match = re.search(rb"Content-Length: (\d+)", header)
        assert match, header
        length = int(match.group(1))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return json.loads(body)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self.buffer += chunk
