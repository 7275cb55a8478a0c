"""Running the team server: Hypercorn's trio worker serving ``app`` on one port.

TLS is a reverse proxy's job (docs/team.md). So that tokens never cross a
network in clear by mistake, the server binds beyond loopback only when told
``--insecure`` (meaning: a proxy on this machine, or a trusted network, carries
the traffic); behind a proxy on the same host it binds 127.0.0.1. Beside the
server runs the pruning of what the database no longer needs (``pruning``):
at start, then hourly.
"""

from __future__ import annotations

import functools
import logging
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import trio

from ..core.errors import BadInput
from ..runtime.serve_address import is_loopback
from . import db, pruning
from .app import build
from .dashboard_routes import Pages

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)


class Insecure(BadInput):
    """Plain HTTP asked for on an address other machines can reach, without ``--insecure``."""



def check_host(host: str, insecure: bool) -> None:
    if not insecure and not is_loopback(host):
        raise Insecure(f"refusing plain HTTP on {host}, which other machines can reach: serve on 127.0.0.1 behind "
                       "a TLS reverse proxy (docs/team.md), or pass --insecure if the network is trusted")


def run(database_url: str, host: str, port: int, insecure: bool, dashboard: Pages | None = None) -> None:
    """Serve until interrupted; the database must be at this program's schema (``team init-db``).
    ``dashboard`` builds the web pages over a data source (``frontends.web.app.build``)."""
    from ..core import config

    check_host(host, insecure)
    settings = config.load()
    chat = settings.chat  # the chat bots' section (docs/chat.md); secrets from the environment
    with db.connect(database_url) as conn:
        db.check_schema(conn)
    listening = _listen(host, port)
    pool = db.pool(database_url)
    try:
        trio.run(_serve, build(pool, chat, dashboard, settings.team_alerts), listening,
                 functools.partial(_prune, pool, settings.team_server.audit_retention_days))
    finally:
        pool.close()


def _prune(pool: ConnectionPool, audit_retention_days: int) -> None:
    """One ``pruning.prune``; a database out of reach is logged, and the next run tries again."""
    import psycopg
    from psycopg_pool import PoolTimeout

    try:
        with pool.connection() as conn:
            done = pruning.prune(conn, audit_retention_days)
    except (psycopg.Error, PoolTimeout) as e:
        logger.warning("pruning the team database failed: %s", e)
        return
    logger.info("pruned %s", done)


async def _pruning(prune: Callable[[], None]) -> None:
    while True:
        await trio.to_thread.run_sync(prune)
        await trio.sleep(pruning.EVERY_S)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family, backlog=128)
    except OSError as e:
        raise BadInput(f"cannot listen on {host} port {port}: {e.strerror or e}") from e


async def _serve(app: object, listening: socket.socket, prune: Callable[[], None]) -> None:
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    hc = HypercornConfig()
    hc.bind = [f"fd://{listening.detach()}"]
    hc.accesslog = None
    hc.errorlog = logger

    class _Status:  # hypercorn reports its binds; the line says where members join
        def started(self, binds: list[str]) -> None:
            print(f"llm-session team serve: listening at {', '.join(binds)}", file=sys.stderr, flush=True)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(_pruning, prune)
        await hypercorn_serve(app, hc, shutdown_trigger=trio.sleep_forever, task_status=_Status())  # type: ignore[arg-type]  # hypercorn only calls .started()
        nursery.cancel_scope.cancel()  # the server stopped: so does the pruning
