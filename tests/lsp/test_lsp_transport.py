"""The trio transport under pygls' protocol, in-process over memory streams.

A bare pygls ``LanguageServer`` on our protocol class, so these tests are about
moving and dispatching messages, not about any feature.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import sniffio
import trio
import trio.testing
from pygls.lsp.server import LanguageServer

from llm_session_manager.frontends.lsp.protocol import Encoded, TrioLanguageServerProtocol, converter
from llm_session_manager.frontends.lsp.transport import MessageReader, frame, serve_connection


def _server() -> LanguageServer:
    server = LanguageServer("test", "0", protocol_cls=TrioLanguageServerProtocol, converter_factory=converter)
    server.cancelled = []
    server.slow_started = trio.Event()  # set once a ``test/slow`` handler runs

    @server.feature("test/where")
    async def where(params):
        try:
            asyncio.get_running_loop()
            loop = "asyncio"
        except RuntimeError:
            loop = None
        return {"library": sniffio.current_async_library(), "asyncio_loop": loop, "params": params}

    @server.feature("test/slow")
    async def slow(params):
        server.slow_started.set()
        try:
            await trio.sleep(60)
        except trio.Cancelled:
            server.cancelled.append(params["n"])
            raise

    @server.feature("test/sync")
    def sync(params):
        return params["x"] * 2

    @server.feature("test/encoded")
    async def encoded(params):
        return Encoded(b'{"sessions":[{"id":"a","title":"caf\xc3\xa9"}],"count":1}')

    return server


class Client:
    def __init__(self, send: trio.abc.SendStream, receive: trio.abc.ReceiveStream) -> None:
        self.send_stream = send
        self.reader = MessageReader(receive)

    async def send(self, message: dict, *, chunk: int | None = None) -> None:
        data = frame(json.dumps(message).encode())
        step = chunk or len(data)
        for i in range(0, len(data), step):  # a frame may arrive in pieces
            await self.send_stream.send_all(data[i:i + step])

    async def receive(self) -> dict:
        body = await self.reader.receive()
        assert body is not None
        return json.loads(body)


def _run(script, server: LanguageServer | None = None) -> int:
    """Serve ``server`` while ``script(client)`` talks to it; the server's exit code."""
    server = server or _server()

    async def main() -> int:
        to_server_send, to_server_receive = trio.testing.memory_stream_one_way_pair()
        to_client_send, to_client_receive = trio.testing.memory_stream_one_way_pair()
        client = Client(to_server_send, to_client_receive)
        code = None
        async with trio.open_nursery() as nursery:
            async def serve() -> None:
                nonlocal code
                code = await serve_connection(server.protocol, to_server_receive, to_client_send)

            nursery.start_soon(serve)
            with trio.fail_after(10):
                await script(client)
                await to_server_send.aclose()  # end of input, if the script did not exit
        return code

    return trio.run(main)


def _request(n: int, method: str, params=None) -> dict:
    return {"jsonrpc": "2.0", "id": n, "method": method, "params": params}


def test_handlers_run_as_trio_tasks_with_no_asyncio_loop():
    async def script(client):
        await client.send(_request(1, "test/where", {"a": [1, {"b": None}]}))
        assert (await client.receive())["result"] == {
            "library": "trio", "asyncio_loop": None, "params": {"a": [1, {"b": None}]}}

    _run(script)


def test_frames_split_or_batched_arrive_whole_and_answers_keep_order():
    async def script(client):
        await client.send(_request(1, "test/sync", {"x": 21}), chunk=3)
        batch = b"".join(frame(json.dumps(_request(n, "test/sync", {"x": n})).encode()) for n in (2, 3))
        await client.send_stream.send_all(batch)
        answers = [await client.receive() for _ in range(3)]
        assert [(a["id"], a["result"]) for a in answers] == [(1, 42), (2, 4), (3, 6)]

    _run(script)


def test_a_bad_message_is_answered_and_the_connection_goes_on():
    async def script(client):
        body = b'{"jsonrpc": "2.0", "id": 7, "method": "test/sync", '  # cut short
        await client.send_stream.send_all(frame(body))
        assert (await client.receive())["error"]["code"] == -32700
        await client.send(_request(8, "no/such/method"))
        assert (await client.receive())["error"]["code"] == -32601
        await client.send(_request(9, "textDocument/hover", {"textDocument": 3}))  # wrong shape
        reply = await client.receive()
        assert reply["id"] == 9 and reply["error"]["code"] == -32602
        await client.send(_request(10, "test/sync", {"x": 1}))
        assert (await client.receive())["result"] == 2

    _run(script)


def test_an_http_request_is_not_lsp_and_ends_the_connection_unanswered():
    """What a web page can send to a local port: the body would be a valid LSP message."""
    server = _server()

    async def script(client):
        body = json.dumps(_request(1, "test/sync", {"x": 1})).encode()
        await client.send_stream.send_all(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1:8766\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert await client.reader.receive() is None

    assert _run(script, server) == 1


def test_an_absurd_or_missing_content_length_ends_the_connection():
    for header in (b"Content-Length: 100000000000", b"Content-Length: 33554433", b"Content-Length: -1",
                   b"Content-Length: 1e3", b"Content-Type: application/vscode-jsonrpc; charset=utf-8"):
        async def script(client, header=header):
            await client.send_stream.send_all(header + b"\r\n\r\n{}")
            assert await client.reader.receive() is None

        assert _run(script) == 1


def test_a_message_at_the_size_limit_and_the_content_type_header_are_fine():
    from llm_session_manager.frontends.lsp.transport import MAX_MESSAGE_BYTES

    async def script(client):
        message = json.dumps(_request(1, "test/sync", {"x": 3})).encode()
        body = message[:-1] + b" " * (MAX_MESSAGE_BYTES - len(message)) + b"}"
        await client.send_stream.send_all(
            b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: %d\r\n\r\n%s"
            % (len(body), body))
        assert (await client.receive())["result"] == 6

    _run(script)


def test_a_result_encoded_by_the_handler_is_sent_as_it_is():
    async def script(client):
        await client.send(_request(1, "test/encoded"))
        await client.send(_request("two", "test/encoded"))
        answers = [await client.receive() for _ in range(2)]
        expected = {"sessions": [{"id": "a", "title": "café"}], "count": 1}
        assert answers == [{"jsonrpc": "2.0", "id": n, "result": expected} for n in (1, "two")]

    _run(script)


def test_cancel_request_cancels_the_running_handler():
    server = _server()

    async def script(client):
        await client.send(_request(1, "test/slow", {"n": 1}))
        await server.slow_started.wait()
        await client.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 1}})
        reply = await client.receive()
        assert reply["id"] == 1 and reply["error"]["code"] == -32800
        with trio.fail_after(5):
            while server.cancelled != [1]:
                await trio.sleep(0.01)
        assert server.protocol._request_futures == {}  # nothing left behind

    _run(script, server)


def test_shutdown_cancels_work_in_flight_and_exit_ends_with_0():
    server = _server()

    async def script(client):
        await client.send(_request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}}))
        assert "capabilities" in (await client.receive())["result"]
        await client.send(_request(2, "test/slow", {"n": 2}))
        await server.slow_started.wait()
        await client.send(_request(3, "shutdown"))
        replies = {r["id"]: r for r in [await client.receive(), await client.receive()]}
        assert replies[2]["error"]["code"] == -32800 and replies[3]["result"] is None
        await client.send(_request(4, "test/sync", {"x": 1}))
        assert (await client.receive())["error"]["code"] == -32600  # no work after shutdown
        await client.send({"jsonrpc": "2.0", "method": "exit"})
        assert await client.reader.receive() is None  # the server closed its end

    assert _run(script, server) == 0
    assert server.cancelled == [2]


def test_exit_without_shutdown_or_a_vanished_client_ends_with_1():
    async def exit_at_once(client):
        await client.send({"jsonrpc": "2.0", "method": "exit"})

    async def hang_up(client):
        await client.send(_request(1, "test/sync", {"x": 1}))
        await client.receive()

    assert _run(exit_at_once) == 1
    assert _run(hang_up) == 1


def test_the_lsp_path_does_not_import_heavy_libraries():
    code = (
        "import sys, llm_session_manager.frontends.cli, llm_session_manager.frontends.lsp as lsp; lsp.create_server(); "
        "print(sorted(m for m in ('mcp', 'numpy', 'rich', 'tiktoken', 'anthropic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_docs_describe_every_custom_method_and_command():
    from pathlib import Path

    from llm_session_manager.frontends.lsp import create_server

    docs = (Path(__file__).parents[2] / "docs" / "lsp.md").read_text()
    fm = create_server().protocol.fm
    names = [*fm.commands, *(m for m in fm.features if m.startswith("llmSession/")),
             "llmSession/didChangeSessions"]
    assert len(names) == 10  # 5 commands, 4 requests, 1 notification
    for name in names:
        assert f"`{name}`" in docs, name
