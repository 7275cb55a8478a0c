"""``llmSession/sessions``: the sessions, exactly as ``llm-session list --json`` prints them.

Services are imported where they run, in the worker thread: the server
answers ``initialize`` before paying for them (as the CLI's commands do).

Editors ask for the whole list often (every tree redraw), and with a thousand
sessions building it takes tens of milliseconds. So each answer is kept, with
the store's data version it was built at (``store.changes``, read on a
connection kept for it), and served again while that has not moved and it is
younger than ``dashboard.refresh_interval``: what
only time changes (idle health, running processes) is at most that stale, as
it would be between two polls of the watcher anyway.
"""

from __future__ import annotations

import time
from typing import Any

import apsw
import msgspec

from ....core.args import SessionFilters
from ....core.config import Config
from ....runtime.engine import ConnectionSlot
from .. import params as p
from ..feature import Feature
from ..protocol import Encoded

METHOD = "llmSession/sessions"


class Sessions(Feature):
    def __init__(self, server) -> None:
        super().__init__(server)
        self._slot = ConnectionSlot()  # data_version moves only for other connections' commits
        self._cache: dict[SessionFilters, tuple[int, float, Encoded]] = {}

    def register(self) -> None:
        self.on(METHOD, self.sessions)

    async def sessions(self, params: Any) -> Encoded:
        """Params ``{provider?, project?, tag?, active?, since?}``; most recently active first.

        Unlike ``list``, this does not scan first: ``llmSession.refresh`` does,
        and ``llmSession/didChangeSessions`` says when the store has news.
        """
        filters = p.query(p.fields(params, METHOD), SessionFilters)
        key = filters
        version, max_age = await self.server.engine.call_on(self._slot, _data_version)
        cached = self._cache.get(key)
        if cached and cached[0] == version and time.monotonic() - cached[1] < max_age:
            return cached[2]
        answer = await self.server.engine.call(list_sessions, filters)
        self._cache[key] = (version, time.monotonic(), answer)
        return answer


def _data_version(conn: apsw.Connection, config: Config) -> tuple[int, float]:
    from ....store.changes import data_version

    return data_version(conn), config.dashboard.refresh_interval


def list_sessions(conn: apsw.Connection, config: Config, f: SessionFilters) -> Encoded:
    """The list as JSON, encoded here in the worker thread (see ``protocol.Encoded``)."""
    from ....services import sessions

    filters = sessions.Filters(provider=f.provider, tag=f.tag, project=f.project, active=f.active,
                               since=f.since_time())
    return Encoded(msgspec.json.encode(sessions.list_sessions(conn, config, filters)))
