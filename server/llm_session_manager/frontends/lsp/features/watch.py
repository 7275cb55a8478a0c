"""Telling the client when the store has news, and when a session turns critical.

Whoever writes the store -- this server's ``llmSession.refresh``, the CLI, the
daemon, another editor's server -- commits through its own connection, which
``store.changes`` sees on the watcher's one connection of its own. So every
``dashboard.refresh_interval`` seconds a trio timer asks it (one integer, no
file reads); only when the store changed are the sessions listed and compared
with the last listing:

* sessions with new data or metadata -> ``llmSession/didChangeSessions``
  ``{"changed": [ids]}`` (nothing is sent when no session changed, e.g. a
  scan that found nothing new);
* while a scan runs, ``$/progress`` (``lsp/progress.py``) if the client can show it;
* a session whose health score fell from at or above
  ``health_thresholds.warning`` to below it (it became critical) ->
  ``window/showMessage`` with the first recommendation for it, once per
  session for the life of the server.

Health also drifts with idle time, which writes nothing; it is re-evaluated
when the store next changes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import apsw
import msgspec
import trio
from lsprotocol import types

from ....core.config import Config, Dashboard
from ....core.errors import LlmSessionError
from ....core.models import ScanResult, Session, short_id
from ....runtime.engine import ConnectionSlot
from ....store.changes import ChangePoller
from ..feature import Feature
from ..progress import Report, work_done

NOTIFICATION = "llmSession/didChangeSessions"
REFRESH = "llmSession.refresh"


class StoreWatcher(Feature):
    def __init__(self, server) -> None:
        super().__init__(server)
        self._slot = ConnectionSlot()  # the watcher's own connection (see the module doc)
        self._changes = ChangePoller()
        self._lock = trio.Lock()
        self._seen: dict[str, tuple] | None = None  # id -> what moves when a session has news
        self._scores: dict[str, float] = {}
        self._alerted: set[str] = set()

    def register(self) -> None:
        self.command(REFRESH, self.refresh)

    async def initialized(self, options: dict[str, Any]) -> None:
        """Take a baseline, scan once if the client wants it, then poll until shutdown.

        A broken store or config does not stop the polling: once the user has
        fixed it, the next tick picks up from there.
        """
        await self._check_quietly()
        if options.get("scanOnStart", True):
            self.server.spawn(self._scan)
        while True:
            await trio.sleep(await self._interval())
            await self._check_quietly()

    async def _interval(self) -> float:
        try:
            return (await self.server.engine.config()).dashboard.refresh_interval
        except LlmSessionError:
            return Dashboard().refresh_interval

    async def refresh(self, *args: Any) -> dict[str, Any]:
        """Scan the logs now; always notify afterwards. Returns the scan's counts."""
        result = await self._scan()
        await self.check(force=True)
        return msgspec.to_builtins(result)

    async def _scan(self) -> ScanResult:
        async with work_done(self.server, "Scanning assistant logs") as report:
            return await self.server.engine.call(_scan, report)

    async def _check_quietly(self) -> None:
        try:
            await self.check()
        except LlmSessionError:
            pass  # shown to the user if about the environment (``errors.ShownOnce``); try again on the next tick

    async def check(self, force: bool = False) -> None:
        """Compare the store with what the client last heard; tell it what changed."""
        async with self._lock:
            found, config = await self.server.engine.call_on(self._slot, _poll, self._changes, force)
            if found is None:
                return
            before = self._seen
            first = before is None
            seen = {s.id: _fingerprint(s) for s in found}
            if before is None:
                changed = list(seen) if force else []
            else:
                changed = [sid for sid, mark in seen.items() if before.get(sid) != mark]
            self._seen = seen
            falls = [] if first else self._falls(found, config)
            self._scores = {s.id: s.health.score for s in found}
        for session in falls:
            self.server.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning, message=_alert(session, config),
            ))
        if changed or force:
            self.server.notify(NOTIFICATION, {"changed": changed})

    def _falls(self, found: list[Session], config: Config) -> list[Session]:
        threshold = config.health_thresholds.warning
        out = []
        for s in found:
            before = self._scores.get(s.id)
            if before is not None and before >= threshold > s.health.score and s.id not in self._alerted:
                self._alerted.add(s.id)
                out.append(s)
        return out


def _scan(conn: apsw.Connection, config: Config, report: Report | None) -> ScanResult:
    from .... import ingest  # in the worker thread (see sessions.py)

    return ingest.scan(conn, config, progress=report)


def _poll(conn: apsw.Connection, config: Config, changes: ChangePoller,
          force: bool) -> tuple[list[Session] | None, Config]:
    """The sessions if the store changed since the last poll (or ``force``), else None."""
    return changes.read_if_changed(conn, partial(_sessions, conn, config), force=force), config


def _sessions(conn: apsw.Connection, config: Config) -> list[Session]:
    from ....services import sessions

    return sessions.list_sessions(conn, config)


def _fingerprint(s: Session) -> tuple:
    return (s.last_activity, s.tokens.total, s.context.used, s.title, s.project, s.model, tuple(s.tags), s.active)


def _alert(s: Session, config: Config) -> str:
    where = s.project or s.cwd or "no project"
    head = (f"{s.provider} session {short_id(s.id)} ({where}) is now {s.health.status}: "
            f"health {s.health.score:.0f}, below {config.health_thresholds.warning:g}")
    from ....services import recommend

    recs = recommend.for_sessions([s], config, only_recent=False)
    return f"{head}. {recs[0].message}; {recs[0].action}." if recs else head + "."
