"""The doors of `llm-session serve` stay shut to what is not a client of ours.

A loopback port is reachable by every local process and, through the user's
browser, by any web page; an address beyond loopback by the whole network.
Each test drives a real `serve` over real sockets.
"""

from __future__ import annotations

import json
import socket
import time

import httpx2
import pytest
from conftest import CODEX_RECENT
from raw_rpc import FrameSocket

INITIALIZE_MCP = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "curl", "version": "0"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _initialize(token: str | None, n: int = 1) -> dict:
    options = {"scanOnStart": False} | ({"token": token} if token is not None else {})
    return {"jsonrpc": "2.0", "id": n, "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}, "initializationOptions": options}}


def _tag(n: int, tag: str) -> dict:
    return {"jsonrpc": "2.0", "id": n, "method": "workspace/executeCommand",
            "params": {"command": "llmSession.tag", "arguments": [CODEX_RECENT, tag]}}


class Editor(FrameSocket):
    """A raw LSP client on a socket: frames out, frames in, and whether the server hung up."""

    def send(self, message: dict) -> None:
        self.send_frame(message)

    def answer(self, n: int) -> dict:
        """The response to request ``n``, skipping the server's own messages."""
        while True:
            message = self.receive_frame()
            if message.get("id") == n and "method" not in message:
                return message

    def hung_up(self, within: float = 20) -> bool:
        """Whether the server closes the connection within ``within`` seconds (all it sent is kept)."""
        self.sock.settimeout(within)
        try:
            while chunk := self.sock.recv(65536):
                self.buffer += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def token(cli) -> str:
    r = cli("serve", "--print-token")
    assert r.code == 0, r.err
    return r.out.strip()


def _tags(cli) -> list[str]:
    r = cli("show", CODEX_RECENT, "--json", "--no-scan")
    assert r.code == 0, r.err
    return r.json()["tags"]


def _mcp_answers(url: str, headers: dict | None = None) -> int:
    return httpx2.post(url, json=INITIALIZE_MCP, headers={**MCP_HEADERS, **(headers or {})}, timeout=10).status_code


def _editor_with_token(address, token) -> Editor:
    editor = Editor(address)
    editor.send(_initialize(token))
    assert editor.answer(1)["result"]["serverInfo"]["name"] == "llm-session"
    return editor


def test_the_token_file_is_private_and_stays_the_same(token, cli, sandbox_home):
    import os
    from pathlib import Path

    path = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "serve-token"
    assert path.read_text().strip() == token and len(token) >= 40
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    assert cli("serve", "--print-token").out.strip() == token
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_absurd_content_length_closes_that_connection_and_serve_goes_on(store, start_serve, token):
    mcp, lsp = start_serve()
    editor = Editor(lsp)
    editor.sock.sendall(b"Content-Length: 100000000000\r\n\r\n{")
    assert editor.hung_up() and editor.buffer == b""
    editor = Editor(lsp)  # the limit holds after the token too
    editor.send(_initialize(token))
    editor.answer(1)
    editor.sock.sendall(b"Content-Length: 100000000000\r\n\r\n{")
    assert editor.hung_up()
    assert _mcp_answers(mcp) == 200
    _editor_with_token(lsp, token).close()


def test_a_browser_post_to_the_lsp_port_runs_nothing(store, start_serve, token, cli):
    """What a web page can send with fetch(..., {mode: "no-cors", body}) to 127.0.0.1:8766."""
    _, (host, port) = start_serve()
    body = json.dumps(_tag(1, "from-a-web-page")).encode()
    request = (b"POST / HTTP/1.1\r\nHost: %s:%d\r\nOrigin: https://evil.example\r\n"
               b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n%s"
               % (host.encode(), port, len(body), body))
    editor = Editor((host, port))
    editor.sock.sendall(request)
    assert editor.hung_up() and editor.buffer == b""
    assert _tags(cli) == []


def test_an_lsp_client_without_the_token_cannot_run_commands_and_one_with_it_can(store, start_serve, token, cli):
    _, lsp = start_serve()
    for presented in (None, "not-the-token", token[:-1]):
        editor = Editor(lsp)
        editor.sock.sendall(_frame(_initialize(presented)) + _frame(_tag(2, "sneaky")))
        refusal = editor.answer(1)["error"]
        assert refusal["code"] == -32600 and "llm-session serve --print-token" in refusal["message"]
        assert editor.hung_up()
        assert b'"id": 2' not in editor.buffer
    editor = Editor(lsp)
    editor.send(_tag(1, "sneaky"))  # a command before initialize is no way round it either
    assert editor.hung_up() and b"result" not in editor.buffer
    assert _tags(cli) == []

    editor = _editor_with_token(lsp, token)
    editor.send(_tag(2, "mine"))
    assert editor.answer(2)["result"]["tags"] == ["mine"]
    assert _tags(cli) == ["mine"]


def test_a_silent_lsp_connection_is_closed_after_the_idle_timeout(store, start_serve):
    _, lsp = start_serve(args=("--idle-timeout", "1"))
    editor = Editor(lsp)
    started = time.monotonic()
    assert editor.hung_up(within=15)
    assert 0.9 < time.monotonic() - started < 10


def test_lsp_connections_beyond_the_cap_are_refused_and_mcp_keeps_answering(store, start_serve, token):
    mcp, lsp = start_serve(args=("--max-clients", "3"))
    editors = [_editor_with_token(lsp, token) for _ in range(3)]
    extra = Editor(lsp)
    extra.send(_initialize(token))
    assert extra.hung_up(within=5) and extra.buffer == b""
    assert _mcp_answers(mcp) == 200
    editors.pop().close()
    deadline = time.monotonic() + 10
    while True:  # the slot frees once the server has seen the editor go
        late = Editor(lsp)
        late.send(_initialize(token))
        if not late.hung_up(within=0.5) or late.buffer:
            break
        assert time.monotonic() < deadline, "the slot of a closed editor was never freed"
    assert late.answer(1)["result"]["serverInfo"]["name"] == "llm-session"


def _open_session(url: str) -> httpx2.Response:
    return httpx2.post(url, json=INITIALIZE_MCP, headers=MCP_HEADERS, timeout=10)


def test_mcp_sessions_beyond_the_cap_wait_for_idle_ones_to_expire(fixture_logs, start_serve):
    mcp, _ = start_serve(args=("--max-clients", "2", "--idle-timeout", "1"))
    first, second = _open_session(mcp), _open_session(mcp)
    assert first.status_code == second.status_code == 200
    assert _open_session(mcp).status_code == 503  # a third, while two are open
    deadline = time.monotonic() + 15
    while (third := _open_session(mcp)).status_code == 503:
        assert time.monotonic() < deadline, "idle sessions never expired"
        time.sleep(0.2)
    assert third.status_code == 200
    expired = httpx2.post(mcp, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, timeout=10,
                          headers={**MCP_HEADERS, "mcp-session-id": first.headers["mcp-session-id"],
                                   "mcp-protocol-version": "2025-03-26"})
    assert expired.status_code == 404


def test_binding_beyond_loopback_needs_the_flag(cli):
    r = cli("serve", "--host", "0.0.0.0", "--port", "0")
    assert r.code == 1
    assert r.err.count("\n") == 1 and "--allow-remote" in r.err


def test_beyond_loopback_every_door_wants_the_token(store, start_serve, token):
    mcp, (_, lsp_port) = start_serve(args=("--host", "0.0.0.0", "--allow-remote"))
    assert mcp.startswith("http://0.0.0.0:")
    url = mcp.replace("0.0.0.0", "127.0.0.1")
    assert _mcp_answers(url) == 401
    assert _mcp_answers(url, {"Authorization": "Bearer wrong"}) == 401
    assert httpx2.get(url.replace("/mcp", "/anything"), timeout=10).status_code == 401
    assert _mcp_answers(url, {"Authorization": f"Bearer {token}"}) == 200
    assert _mcp_answers(url, {"Authorization": f"Bearer {token}", "Host": "my-desktop.lan:8765"}) == 200
    editor = Editor(("127.0.0.1", lsp_port))
    editor.send(_initialize(None))
    assert "error" in editor.answer(1) and editor.hung_up()
    _editor_with_token(("127.0.0.1", lsp_port), token).close()


@pytest.mark.parametrize("flag", ["--port", "--lsp-port"])
def test_a_port_in_use_is_one_line(cli, flag):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        other = "--lsp-port" if flag == "--port" else "--port"
        r = cli("serve", flag, str(port), other, "0")
    assert r.code == 1, r.err
    assert r.err.count("\n") == 1
    assert f"port {port}: Address already in use" in r.err and flag in r.err


def test_port_0_makes_the_lsp_port_free_too(fixture_logs, start_serve, token):
    _, lsp = start_serve(ports=("--port", "0"))
    assert lsp[1] != 8766
    _editor_with_token(lsp, token).close()


@pytest.fixture
def anyio_backend():
    return "trio"


@pytest.mark.anyio
async def test_a_connected_mcp_client_keeps_its_session_past_the_idle_timeout(fixture_logs, start_serve):
    """The SDK's client holds its event stream open, which is not idle; only abandoned sessions expire."""
    import trio
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    mcp, _ = start_serve(args=("--max-clients", "2", "--idle-timeout", "1"))
    async with streamable_http_client(mcp) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        # A session opened after ours and abandoned fills the second slot; once a third
        # gets in, the idle timeout has passed for both and the abandoned one expired.
        assert (await trio.to_thread.run_sync(_open_session, mcp)).status_code == 200
        with trio.fail_after(15):
            while (await trio.to_thread.run_sync(_open_session, mcp)).status_code == 503:
                await trio.sleep(0.2)
        listed = await session.call_tool("list_sessions", {})
        assert not listed.is_error
