"""Running the team server: Hypercorn's trio worker serving ``app`` on one port.

TLS is a reverse proxy's job (docs/team.md). So that tokens never cross a
network in clear by mistake, the server binds beyond loopback only when told
``--insecure`` (meaning: a proxy on this machine, or a trusted network, carries
the traffic); behind a proxy on the same host it binds 127.0.0.1.
"""

from __future__ import annotations

import logging
import socket
import sys

import trio

from ..core.errors import BadInput
from ..runtime.serve_address import is_loopback
from . import db
from .app import build
from .dashboard_routes import Pages

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
        trio.run(_serve, build(pool, chat, dashboard, settings.team_alerts), listening)
    finally:
        pool.close()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family, backlog=128)
    except OSError as e:
        raise BadInput(f"cannot listen on {host} port {port}: {e.strerror or e}") from e


async def _serve(app: object, listening: socket.socket) -> None:
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    hc = HypercornConfig()
    hc.bind = [f"fd://{listening.detach()}"]
    hc.accesslog = None
    hc.errorlog = logger

    class _Status:  # hypercorn reports its binds; the line says where members join
        def started(self, binds: list[str]) -> None:
            print(f"llm-session team serve: listening at {', '.join(binds)}", file=sys.stderr, flush=True)

    await hypercorn_serve(app, hc, shutdown_trigger=trio.sleep_forever, task_status=_Status())  # type: ignore[arg-type]  # hypercorn only calls .started()
