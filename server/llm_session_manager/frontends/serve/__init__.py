"""``llm-session serve``: one trio process hosting the engine for every client on this machine.

It holds MCP over streamable HTTP at ``/mcp`` (the SDK's ASGI app under
hypercorn, which runs on trio), the language server on a TCP port (one server
per connection, as ``llm-session lsp`` is one per editor) and the watcher that
keeps the store fresh for both (``watcher.py``) and sends the notifications
that the new data calls for; the web dashboard answers on the MCP port
(``frontends/web``, docs/web.md).

Most of the time nobody is connected and only the watcher works, so the two
protocol stacks are imported on their first connection, in a worker thread:
the MCP SDK alone is 55 MB and half a second of imports, which an idle
daemon should not carry.

Every door is local-only by default and locked (docs/mcp.md, docs/lsp.md):

* it binds 127.0.0.1; an address beyond loopback needs ``--allow-remote``, and
  then every HTTP request needs ``Authorization: Bearer <token>``
  (``bearer_auth.py``) with the per-install token (``serve_token.py``);
* on loopback, MCP answers only requests whose ``Host`` or ``Origin`` header is
  a local name (DNS rebinding protection: a web page in the user's browser must
  not reach the user's session history through a hostile DNS name that
  resolves to 127.0.0.1);
* the LSP port always wants the token, in ``initialize`` (``lsp/tcp.py``);
* at most ``max_clients`` LSP connections and as many MCP sessions are open at
  a time; an MCP session with no request in flight for ``idle_timeout``
  seconds ends, and so does an LSP connection that has not shown its token
  within ``LOGIN_TIMEOUT_S`` (or ``idle_timeout``, if shorter).

Both ports are bound before anything starts, so a port in use or an address
that cannot be bound is one line (``BadInput``), not a failed task group.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import trio

from ...core.errors import BadInput
from ...runtime.serve_address import is_loopback

if TYPE_CHECKING:
    from ...core.config_chat import ChatConfig
    from ...core.models import ScanResult
    from ...runtime.engine import Engine
    from ...runtime.team_pusher import TeamPusher

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_LSP_PORT = 8766
LOGIN_TIMEOUT_S = 10.0  # an LSP client sends initialize at once; a silent connection is not an editor
MAX_OPEN_FILES = 65536
BACKLOG = 1024  # a burst of connections waits in the kernel, not in SYN retries


class Doors(msgspec.Struct, frozen=True):
    """Where ``serve`` listens and how much it lets in."""

    host: str = "127.0.0.1"
    port: int = 8765
    lsp_port: int | None = None  # None: 8766, or any free port when ``port`` is 0
    allow_remote: bool = False
    max_clients: int = 64  # LSP connections, and MCP sessions, open at a time
    idle_timeout: float = 300.0  # seconds an MCP session may have no request in flight

    @property
    def remote(self) -> bool:
        return not is_loopback(self.host)

    @property
    def lsp_port_or_default(self) -> int:
        if self.lsp_port is not None:
            return self.lsp_port
        return 0 if self.port == 0 else DEFAULT_LSP_PORT



def run(doors: Doors, config_path: Path | None = None, verbose: bool = False) -> int:
    from ...core import logs

    logs.to_stderr(verbose)
    logging.getLogger("llm_session_manager.frontends.serve").setLevel(logging.INFO)
    _more_file_descriptors()
    trio.run(partial(serve, doors, config_path))
    return 0


def _more_file_descriptors() -> None:
    """Raise the soft limit on open files to the hard one, as servers do.

    The common soft limit of 1,024 is a few seconds of a flood of idle HTTP
    connections (hypercorn drops each after 5 s); out of descriptors, the store
    cannot open its files and every door stalls. The LSP port has its own cap.
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, MAX_OPEN_FILES)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as e:  # macOS refuses more than kern.maxfilesperproc
            logger.debug("could not raise the open file limit: %s", e)


async def serve(doors: Doors, config_path: Path | None = None,
                task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve until SIGINT or SIGTERM; ``task_status`` gets the bound URLs of ``/mcp``."""
    from ...core import config as config_module
    from ...runtime import serve_token
    from ...runtime.engine import Engine
    from ...runtime.team_pusher import TeamPusher
    from ...runtime.watcher import keep_fresh
    from .metrics_source import SnapshotSource

    if doors.remote and not doors.allow_remote:
        raise BadInput(f"--host {doors.host} is reachable from other machines; add --allow-remote to serve "
                       "there, and every client must then send the token (llm-session serve --print-token)")
    config = config_module.load(config_path)  # a broken config fails here, before binding
    otlp_metrics = None
    if config.metrics.otlp_endpoint:  # docs/metrics.md; a bad metrics config fails here too
        from .metrics_otlp import OtlpMetrics

        otlp_metrics = OtlpMetrics(config.metrics)
    token = serve_token.load_or_create()
    mcp_socket = _listen(doors.host, doors.port, "MCP", "--port")
    try:
        lsp_socket = _listen(doors.host, doors.lsp_port_or_default, "LSP", "--lsp-port")
    except BadInput:
        mcp_socket.close()
        raise
    engine = Engine(config_path, scan_before_reads=False)  # the periodic scan keeps it fresh

    async with trio.open_nursery() as nursery:
        nursery.start_soon(_stop_on_signal, nursery.cancel_scope)
        pusher = TeamPusher(engine, config.session_discovery.scan_interval)  # docs/team.md
        nursery.start_soon(pusher.run)
        nursery.start_soon(partial(keep_fresh, engine.scan, config, known_logs=partial(engine.call, _known_logs),
                                   after_scan=partial(_notify, engine, pusher)))
        metrics = SnapshotSource(engine)
        if otlp_metrics is not None:
            nursery.start_soon(otlp_metrics.run, metrics)
        urls = await nursery.start(_serve_mcp, engine, mcp_socket, doors, token, metrics, config.chat)
        lsp_url = await nursery.start(_serve_lsp, lsp_socket, config_path, doors, token)
        print(f"llm-session serve: MCP at {', '.join(urls)}", file=sys.stderr, flush=True)
        print(f"llm-session serve: LSP at {lsp_url}", file=sys.stderr, flush=True)
        print(f"llm-session serve: dashboard at {urls[0].removesuffix(MCP_PATH)}/", file=sys.stderr, flush=True)
        print(f"llm-session serve: OTLP at {', '.join(u.removesuffix(MCP_PATH) for u in urls)} (/v1/logs, /v1/metrics, /v1/traces)",
              file=sys.stderr, flush=True)
        if config.chat.slack.enabled or config.chat.discord.enabled or config.chat.teams.enabled:
            print(f"llm-session serve: chat bots at {', '.join(u.removesuffix(MCP_PATH) for u in urls)} (/chat/...)",
                  file=sys.stderr, flush=True)
        if doors.remote:
            print("llm-session serve: reachable from other machines; every request needs the token "
                  "(llm-session serve --print-token)", file=sys.stderr, flush=True)
        task_status.started(urls)


def _listen(host: str, port: int, door: str, flag: str) -> socket.socket:
    """A listening socket for one door, or one line saying why there is none."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family, backlog=BACKLOG)
    except OSError as e:
        if not e.errno:
            reason = str(e)
        elif e.errno < 0:  # getaddrinfo's codes, which os.strerror does not know
            reason = "no such host name"
        else:  # not create_server's "(while attempting to bind on ...)", which repeats what we say
            reason = os.strerror(e.errno)
        in_use = e.errno == errno.EADDRINUSE
        hint = f"; is another llm-session serve running? Choose another port with {flag}" if in_use else ""
        raise BadInput(f"cannot listen for {door} on {host} port {port}: {reason}{hint}") from e


async def _serve_mcp(engine: Engine, listening: socket.socket, doors: Doors, token: str,
                     metrics: Callable[[], Awaitable[Any]], chat: ChatConfig, *,
                     task_status: trio.TaskStatus[list[str]]) -> None:
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    from ...runtime import serve_address
    from ..web.routes import WebRoutes
    from .bearer_auth import RequireToken
    from .hooks_route import HooksRoute
    from .metrics_route import MetricsRoute
    from .otlp_routes import OtlpRoutes

    def build():
        from ..mcp_server.server import build_server

        return build_server(engine).streamable_http_app(
            streamable_http_path=MCP_PATH, transport_security=_anyone() if doors.remote else local_only(),
            host=doors.host, session_idle_timeout=doors.idle_timeout, max_sessions=doors.max_clients,
        )

    hc = HypercornConfig()
    hc.bind = [f"fd://{listening.detach()}"]  # hypercorn takes over the socket bound in serve()
    hc.backlog = BACKLOG
    hc.accesslog = None
    hc.errorlog = logger
    class _Status:  # hypercorn reports its binds ("http://127.0.0.1:8765"); we report /mcp's URLs
        def started(self, binds: list[str]) -> None:
            serve_address.publish(binds[0])  # where hooks find us (runtime/hook_relay.py)
            task_status.started([b + MCP_PATH for b in binds])

    async with trio.open_nursery() as nursery:
        otlp = OtlpRoutes(_BuiltOnFirstRequest(build, nursery), engine, local_only=not doors.remote)  # docs/otel.md
        app = MetricsRoute(otlp, metrics, local_only=not doors.remote)  # docs/metrics.md
        web = WebRoutes(app, engine, local_only=not doors.remote)  # the dashboard: docs/web.md
        outermost: Any = HooksRoute(RequireToken(web, token) if doors.remote else web, engine, token, nursery)
        if chat.slack.enabled or chat.discord.enabled or chat.teams.enabled:  # docs/chat.md
            from .chat_route import ChatRoute

            outermost = ChatRoute(outermost, engine, chat, nursery)
        try:
            await hypercorn_serve(outermost, hc, shutdown_trigger=trio.sleep_forever, task_status=_Status())  # type: ignore[arg-type]  # hypercorn only calls .started(); its stub asks for trio's class
        finally:
            serve_address.withdraw()


class _BuiltOnFirstRequest:
    """An ASGI app that builds the real one, and runs its lifespan, on the first request.

    Hypercorn's own lifespan events are answered here at once; the real app's
    lifespan (the MCP session manager's task group) runs in ``nursery`` from
    the first request until the server stops.
    """

    def __init__(self, build: Callable[[], Callable[..., Awaitable[None]]], nursery: trio.Nursery) -> None:
        self._build = build
        self._nursery = nursery
        self._app: Callable[..., Awaitable[None]] | None = None
        self._lock = trio.Lock()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        async with self._lock:
            app = self._app
            if app is None:
                app = await trio.to_thread.run_sync(self._build)
                await self._nursery.start(_run_lifespan, app)
                self._app = app
        await app(scope, receive, send)


async def _run_lifespan(app, *, task_status: trio.TaskStatus[None]) -> None:
    async with app.router.lifespan_context(app):
        task_status.started()
        await trio.sleep_forever()


async def _serve_lsp(listening: socket.socket, config_path: Path | None, doors: Doors, token: str, *,
                     task_status: trio.TaskStatus[str]) -> None:
    """The language server for editors that connect to a port instead of spawning one.

    A connection beyond ``max_clients`` is closed at once, before it costs
    anything; one that fails is logged and closed, and the others go on.
    """

    def load():
        from ..lsp import server, tcp

        return server.create_server, tcp.serve_editor

    loaded: list[tuple[Callable[..., Any], Callable[..., Awaitable[None]]]] = []  # filled on first use
    loading = trio.Lock()
    open_connections = 0
    login_timeout = min(LOGIN_TIMEOUT_S, doors.idle_timeout)

    async def one_editor(stream: trio.SocketStream) -> None:
        nonlocal open_connections
        if open_connections >= doors.max_clients:
            logger.debug("refused an LSP connection: %d are open (--max-clients)", open_connections)
            await trio.aclose_forcefully(stream)
            return
        open_connections += 1
        try:
            async with loading:
                if not loaded:
                    loaded.append(await trio.to_thread.run_sync(load))
            create_server, serve_editor = loaded[0]
            await serve_editor(stream, create_server, config_path, token=token, login_timeout=login_timeout)
        except Exception:
            logger.exception("an LSP connection failed; the others go on")
            await trio.aclose_forcefully(stream)
        finally:
            open_connections -= 1

    listener = trio.SocketListener(trio.socket.from_stdlib_socket(listening))
    address, bound_port = listening.getsockname()[:2]
    task_status.started(f"tcp://[{address}]:{bound_port}" if ":" in address else f"tcp://{address}:{bound_port}")
    await trio.serve_listeners(one_editor, [listener])


def local_only():
    """Transport security that accepts only local Host and Origin headers, with or without a port."""
    from mcp.server.transport_security import TransportSecuritySettings

    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[h for name in LOCAL_NAMES for h in (name, f"{name}:*")],
        allowed_origins=[o for name in LOCAL_NAMES for scheme in ("http", "https")
                         for o in (f"{scheme}://{name}", f"{scheme}://{name}:*")],
    )


def _anyone():
    """Transport security for a bind beyond loopback: any Host, since every request must bear the token."""
    from mcp.server.transport_security import TransportSecuritySettings

    return TransportSecuritySettings(enable_dns_rebinding_protection=False)


def _known_logs(conn, config) -> frozenset[str]:
    return frozenset(row[0] for row in conn.execute("SELECT path FROM source_files"))


async def _notify(engine: Engine, pusher: TeamPusher, _scanned: ScanResult) -> None:
    """After each scan, the notification rules (docs/notifications.md); free while no channel is set.
    Then a push to the team server, if this data dir joined one."""
    for line in await engine.call(_notify_round):
        logger.warning("%s", line)
    pusher.after_scan()


def _notify_round(conn, config) -> list[str]:
    from ...services import notify

    return notify.failures(notify.check(conn, config))


async def _stop_on_signal(scope: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            logger.info("stopping")
            scope.cancel()
            return
