"""Driving the real ``llm-session lsp`` over stdio with pytest-lsp's client."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage, default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import register_lsp_features

FIXTURES = Path(__file__).parent.parent / "fixtures"
SERVER = [sys.executable, "-m", "llm_session_manager", "lsp"]
TIMEOUT_S = 20.0

CAPABILITIES = types.ClientCapabilities(
    window=types.WindowClientCapabilities(
        show_message=types.ShowMessageRequestClientCapabilities(), work_done_progress=True,
    ),
    text_document=types.TextDocumentClientCapabilities(
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]),
        code_lens=types.CodeLensClientCapabilities(),
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(),
    ),
)


def _raw_json_converter():
    """pytest-lsp's converter, but results and params of custom methods stay plain JSON."""
    conv = default_converter()
    for cls in (JsonRPCRequestMessage, JsonRPCResponseMessage, JsonRPCNotification):
        conv.register_structure_hook(cls, lambda obj, cls: cls(**obj))
    return conv


def _make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=_raw_json_converter)
    register_lsp_features(client)
    return client


class Session:
    """One server process and the client talking to it."""

    def __init__(self, client: LanguageClient, result: types.InitializeResult) -> None:
        self.client = client
        self.initialize_result = result

    async def request(self, method: str, params: Any = None) -> Any:
        return await asyncio.wait_for(self.client.protocol.send_request_async(method, params), TIMEOUT_S)

    async def command(self, name: str, *arguments: Any) -> Any:
        params = types.ExecuteCommandParams(command=name, arguments=list(arguments) or None)
        return await asyncio.wait_for(self.client.workspace_execute_command_async(params), TIMEOUT_S)

    def expect(self, method: str) -> asyncio.Future:
        """A future for the next ``method`` notification; call before causing it."""
        return self.client.protocol.wait_for_notification_async(method)

    async def arrived(self, future: asyncio.Future) -> Any:
        return await asyncio.wait_for(future, TIMEOUT_S)

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=uri, language_id="markdown", version=1, text=path.read_text() if text is None else text,
        )))
        return uri

    def replace(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        ))

    @property
    def returncode(self) -> int | None:
        return self.client._server.returncode if self.client._server else None

    async def stop(self) -> int | None:
        """``shutdown`` and ``exit`` if the server still runs; its exit code."""
        server = self.client._server
        if server is not None and server.returncode is None:
            try:
                await asyncio.wait_for(self.client.shutdown_session(), TIMEOUT_S)
            except (TimeoutError, Exception):
                server.kill()
            await server.wait()
        await self.client.stop()
        return self.returncode


async def start(options: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Session:
    """Spawn the server with this process's (sandboxed) environment, or ``env``, and initialize it."""
    config = ClientServerConfig(server_command=SERVER, client_factory=_make_client,
                                server_env=dict(os.environ) if env is None else env)
    client = await config.start()
    result = await asyncio.wait_for(client.initialize_session(types.InitializeParams(
        capabilities=CAPABILITIES, initialization_options=options,
    )), TIMEOUT_S)
    return Session(client, result)
