"""The health of the session working on a checkout, for a pre-commit hook (``health-check``).

A hook runs on every commit and must answer in well under a second, so it reads
the store as it stands and scans nothing: the store is as fresh as ``serve``, the
assistants' hooks (``hooks install``) or the last command left it. Where there
is no store at all there is nothing to judge, and none is created.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from ..core.config import Config
from ..core.models import Health

_RANK = {"healthy": 0, "warning": 1, "critical": 2}
FAIL_ON = ("critical", "warning", "never")


class HealthCheck(msgspec.Struct):
    cwd: str
    store: bool  # False: no store on this machine, nothing was judged
    session_id: str | None = None
    provider: str | None = None
    title: str | None = None
    health: Health | None = None

    def fails(self, fail_on: str) -> bool:
        return self.health is not None and fail_on != "never" and _RANK[self.health.status] >= _RANK[fail_on]

    def worrying(self) -> bool:
        return self.health is not None and self.health.status != "healthy"


def check(cwd: Path, config: Config) -> HealthCheck:
    """The session working in ``cwd`` (or nearest above or below it) and its health."""
    from ..store import connect, db_path

    place = str(cwd.resolve())
    path = db_path()
    if not path.is_file():
        return HealthCheck(place, store=False)
    from . import sessions  # only with a store: it costs a hook's start-up time

    conn = connect(path)
    try:
        found = sessions.for_cwd(conn, config, place)
    finally:
        conn.close()
    if found is None:
        return HealthCheck(place, store=True)
    return HealthCheck(place, True, found.id, found.provider, found.title, found.health)
