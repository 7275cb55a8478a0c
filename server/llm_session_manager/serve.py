"""``llm-session serve``: one trio process hosting the engine for every client on this machine.

Today it holds MCP over streamable HTTP at ``/mcp`` (the SDK's ASGI app under
hypercorn, which runs on trio), the language server on a TCP port (one server
per connection, as ``llm-session lsp`` is one per editor) and a periodic
incremental scan that keeps the store fresh for both; the web dashboard and a
file watcher join the same nursery later.

It binds 127.0.0.1 by default and, wherever it binds, rejects any request
whose ``Host`` or ``Origin`` header is not a local name (DNS rebinding
protection: a web page in the user's browser must not reach the user's
session history through a hostile DNS name that resolves to 127.0.0.1).
"""

from __future__ import annotations

import logging
import signal
import sys
from functools import partial
from pathlib import Path

import trio

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1")


def run(host: str = "127.0.0.1", port: int = 8765, config_path: Path | None = None, verbose: bool = False,
        lsp_port: int = 8766) -> int:
    from .mcp_server.server import log_to_stderr

    log_to_stderr(verbose)
    logging.getLogger("llm_session_manager.serve").setLevel(logging.INFO)
    trio.run(partial(serve, host, port, config_path, lsp_port=lsp_port))
    return 0


async def serve(host: str, port: int, config_path: Path | None = None, *, lsp_port: int = 8766,
                task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve until SIGINT or SIGTERM; ``task_status`` gets the bound URLs of ``/mcp``."""
    from . import config as config_module
    from .mcp_server.backend import Backend

    config = config_module.load(config_path)  # a broken config fails here, before binding
    backend = Backend(config_path, scan_before_reads=False)  # the periodic scan keeps it fresh
    if host not in LOOPBACK_BINDS:
        logger.warning("serving on %s: only requests naming a local Host are answered (DNS rebinding protection)", host)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_stop_on_signal, nursery.cancel_scope)
        nursery.start_soon(_scan_periodically, backend, config.session_discovery.scan_interval)
        urls = await nursery.start(_serve_mcp, backend, host, port)
        lsp_url = await nursery.start(_serve_lsp, host, lsp_port, config_path)
        print(f"llm-session serve: MCP at {', '.join(urls)}", file=sys.stderr, flush=True)
        print(f"llm-session serve: LSP at {lsp_url}", file=sys.stderr, flush=True)
        task_status.started(urls)


async def _serve_mcp(backend, host: str, port: int, *, task_status: trio.TaskStatus[list[str]]) -> None:
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    from .mcp_server.server import build_server

    app = build_server(backend).streamable_http_app(
        streamable_http_path=MCP_PATH, transport_security=local_only(), host=host,
    )
    hc = HypercornConfig()
    hc.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    hc.accesslog = None
    hc.errorlog = logger
    class _Status:  # hypercorn reports its binds ("http://127.0.0.1:8765"); we report /mcp's URLs
        def started(self, binds: list[str]) -> None:
            task_status.started([b + MCP_PATH for b in binds])

    await hypercorn_serve(app, hc, shutdown_trigger=trio.sleep_forever, task_status=_Status())


async def _serve_lsp(host: str, port: int, config_path: Path | None, *, task_status: trio.TaskStatus[str]) -> None:
    """The language server for editors that connect to a port instead of spawning one."""
    from .lsp import transport
    from .lsp.server import create_server

    async def one_editor(stream: trio.SocketStream) -> None:
        server = create_server(config_path)  # one per connection: its own documents and state
        await transport.serve_connection(server.protocol, stream, stream)

    listeners = await trio.open_tcp_listeners(port, host=host)
    address, bound_port = listeners[0].socket.getsockname()[:2]
    task_status.started(f"tcp://{address}:{bound_port}")
    await trio.serve_listeners(one_editor, listeners)


def local_only():
    """Transport security that accepts only local Host and Origin headers, with or without a port."""
    from mcp.server.transport_security import TransportSecuritySettings

    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[h for name in LOCAL_NAMES for h in (name, f"{name}:*")],
        allowed_origins=[o for name in LOCAL_NAMES for scheme in ("http", "https")
                         for o in (f"{scheme}://{name}", f"{scheme}://{name}:*")],
    )


async def _scan_periodically(backend, interval: float) -> None:
    """An incremental scan now and every ``interval`` seconds; a failed one is logged, not fatal."""
    from .errors import LlmSessionError

    while True:
        try:
            result = await backend.scan()
            for warning in result.warnings:
                logger.warning("scan: %s", warning)
        except LlmSessionError as e:
            logger.warning("scan failed: %s", e)
        except Exception:
            logger.exception("scan failed")
        await trio.sleep(interval)


async def _stop_on_signal(scope: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            logger.info("stopping")
            scope.cancel()
            return
