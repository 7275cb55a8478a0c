"""``serve`` pushing to the team server this data dir joined, after its scans, backing off
while the server is out of reach (docs/team.md).

Each finished scan asks for a push; the pusher runs one at a time in its own task,
so a long first push never holds up the scans. A server out of reach is tried again
after 1, 2, 4 ... scans' worth of time, up to half an hour; a refusal (a revoked
token, a viewer's) waits the half hour. Nothing is lost meanwhile: the store keeps
what was not acknowledged (services/team/push.py), and the next push that gets
through sends it all.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio

from ..core.errors import TeamError, TeamUnreachable
from ..services.team import link, push
from .engine import Engine

if TYPE_CHECKING:
    import apsw

    from ..core.config import Config

logger = logging.getLogger(__name__)

MAX_WAIT = 1800.0  # seconds between tries at most


class TeamPusher:
    def __init__(self, engine: Engine, interval: float) -> None:
        self._engine = engine
        self._interval = interval  # the scan interval: the first wait after a failure
        self._wanted = trio.Event()
        self._failures = 0
        self._not_before = 0.0

    def after_scan(self) -> None:
        """A scan finished: push when the back-off allows (a no-op for a data dir that joined nothing)."""
        self._wanted.set()

    async def run(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted = trio.Event()
            if trio.current_time() < self._not_before or not link.path().exists():
                continue
            await self._push_once()

    async def _push_once(self) -> None:
        try:
            done = await self._engine.call(_push)
        except TeamUnreachable as e:
            self._failures += 1
            self._wait(min(MAX_WAIT, self._interval * 2 ** (self._failures - 1)), e)
            return
        except TeamError as e:
            self._failures += 1
            self._wait(MAX_WAIT, e)
            return
        if self._failures:
            logger.warning("team push: %s reachable again", done.url)
        self._failures = 0
        if done.usage or done.sessions:
            logger.info("team push: %d response(s) (%d new to the team), %d session(s) to %s",
                        done.usage, done.usage_new, done.sessions, done.url)

    def _wait(self, seconds: float, error: TeamError) -> None:
        self._not_before = trio.current_time() + seconds
        logger.warning("team push: %s; trying again in %d s", error, round(seconds))


def _push(conn: apsw.Connection, config: Config) -> push.Pushed:
    return push.push(conn, link.load(), config=config)
