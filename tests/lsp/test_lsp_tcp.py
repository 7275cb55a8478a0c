"""`llm-session serve` also offers the language server on a TCP port, one server per editor."""

from __future__ import annotations

import pytest
from raw_rpc import FrameSocket


@pytest.fixture
def lsp_address(fixture_logs, start_serve):
    """(host, port) of the LSP port of a running `serve`."""
    return start_serve()[1]


class _Client(FrameSocket):
    """Just enough JSON-RPC over a socket, with LSP's Content-Length framing."""

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address)
        self.next_id = 0

    def send(self, method: str, params: object = None, *, request: bool = True) -> object:
        message: dict = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        self.send_frame(message)
        if not request:
            return None
        while True:  # skip the server's own notifications and requests
            reply = self.receive_frame()
            if reply.get("id") == self.next_id and "method" not in reply:
                assert "error" not in reply, reply
                return reply["result"]


def test_two_editors_each_get_a_server_over_tcp(lsp_address, cli):
    expected = {s["id"] for s in cli("list", "--json").json()}
    token = cli("serve", "--print-token").out.strip()
    editors = [_Client(lsp_address) for _ in range(2)]
    for editor in editors:
        result = editor.send("initialize", {"processId": None, "rootUri": None, "capabilities": {},
                                            "initializationOptions": {"scanOnStart": False, "token": token}})
        assert result["serverInfo"]["name"] == "llm-session"
        editor.send("initialized", {}, request=False)
    for editor in editors:
        sessions = editor.send("llmSession/sessions", {})
        assert {s["id"] for s in sessions} == expected
    for editor in editors:
        assert editor.send("shutdown") is None
        editor.send("exit", request=False)
        editor.sock.close()
