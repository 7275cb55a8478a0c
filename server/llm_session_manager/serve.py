"""``llm-session serve``: one trio process hosting the engine for every client on this machine.

It holds MCP over streamable HTTP at ``/mcp`` (the SDK's ASGI app under
hypercorn, which runs on trio), the language server on a TCP port (one server
per connection, as ``llm-session lsp`` is one per editor) and the watcher that
keeps the store fresh for both (``watcher.py``) and sends the notifications
that the new data calls for; the web dashboard joins the same nursery later.

Most of the time nobody is connected and only the watcher works, so the two
protocol stacks are imported on their first connection, in a worker thread:
the MCP SDK alone is 55 MB and half a second of imports, which an idle
daemon should not carry.

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
    from . import logs

    logs.to_stderr(verbose)
    logging.getLogger("llm_session_manager.serve").setLevel(logging.INFO)
    trio.run(partial(serve, host, port, config_path, lsp_port=lsp_port))
    return 0


async def serve(host: str, port: int, config_path: Path | None = None, *, lsp_port: int = 8766,
                task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve until SIGINT or SIGTERM; ``task_status`` gets the bound URLs of ``/mcp``."""
    from . import config as config_module
    from .mcp_server.backend import Backend
    from .watcher import keep_fresh

    config = config_module.load(config_path)  # a broken config fails here, before binding
    backend = Backend(config_path, scan_before_reads=False)  # the periodic scan keeps it fresh
    if host not in LOOPBACK_BINDS:
        logger.warning("serving on %s: only requests naming a local Host are answered (DNS rebinding protection)", host)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(_stop_on_signal, nursery.cancel_scope)
        nursery.start_soon(partial(keep_fresh, backend.scan, config, known_logs=partial(backend.call, _known_logs),
                                   after_scan=partial(_notify, backend)))
        urls = await nursery.start(_serve_mcp, backend, host, port)
        lsp_url = await nursery.start(_serve_lsp, host, lsp_port, config_path)
        print(f"llm-session serve: MCP at {', '.join(urls)}", file=sys.stderr, flush=True)
        print(f"llm-session serve: LSP at {lsp_url}", file=sys.stderr, flush=True)
        task_status.started(urls)


async def _serve_mcp(backend, host: str, port: int, *, task_status: trio.TaskStatus[list[str]]) -> None:
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    def build():
        from .mcp_server.server import build_server

        return build_server(backend).streamable_http_app(
            streamable_http_path=MCP_PATH, transport_security=local_only(), host=host,
        )

    hc = HypercornConfig()
    hc.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    hc.accesslog = None
    hc.errorlog = logger
    class _Status:  # hypercorn reports its binds ("http://127.0.0.1:8765"); we report /mcp's URLs
        def started(self, binds: list[str]) -> None:
            task_status.started([b + MCP_PATH for b in binds])

    async with trio.open_nursery() as nursery:
        app = _BuiltOnFirstRequest(build, nursery)
        await hypercorn_serve(app, hc, shutdown_trigger=trio.sleep_forever, task_status=_Status())


class _BuiltOnFirstRequest:
    """An ASGI app that builds the real one, and runs its lifespan, on the first request.

    Hypercorn's own lifespan events are answered here at once; the real app's
    lifespan (the MCP session manager's task group) runs in ``nursery`` from
    the first request until the server stops.
    """

    def __init__(self, build, nursery: trio.Nursery) -> None:
        self._build = build
        self._nursery = nursery
        self._app = None
        self._lock = trio.Lock()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        async with self._lock:
            if self._app is None:
                app = await trio.to_thread.run_sync(self._build)
                await self._nursery.start(_run_lifespan, app)
                self._app = app
        await self._app(scope, receive, send)


async def _run_lifespan(app, *, task_status: trio.TaskStatus[None]) -> None:
    async with app.router.lifespan_context(app):
        task_status.started()
        await trio.sleep_forever()


async def _serve_lsp(host: str, port: int, config_path: Path | None, *, task_status: trio.TaskStatus[str]) -> None:
    """The language server for editors that connect to a port instead of spawning one."""

    def load():
        from .lsp import server, transport

        return server.create_server, transport.serve_connection

    loaded = None
    loading = trio.Lock()

    async def one_editor(stream: trio.SocketStream) -> None:
        nonlocal loaded
        async with loading:
            if loaded is None:
                loaded = await trio.to_thread.run_sync(load)
        create_server, serve_connection = loaded
        server = create_server(config_path)  # one per connection: its own documents and state
        await serve_connection(server.protocol, stream, stream)

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


def _known_logs(conn, config) -> frozenset[str]:
    return frozenset(row[0] for row in conn.execute("SELECT path FROM source_files"))


async def _notify(backend, _scanned) -> None:
    """After each scan, the notification rules (docs/notifications.md); free while no channel is set."""
    for line in await backend.call(_notify_round):
        logger.warning("%s", line)


def _notify_round(conn, config) -> list[str]:
    from .services import notify

    return notify.failures(notify.check(conn, config))


async def _stop_on_signal(scope: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            logger.info("stopping")
            scope.cancel()
            return
