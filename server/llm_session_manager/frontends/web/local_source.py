"""The dashboard's data from this machine's store, through serve's engine (worker threads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...services import dashboard
from ...services.dashboard import Facets, Query, SessionPage, View

if TYPE_CHECKING:
    import apsw

    from ...core.config import Config
    from ...runtime.engine import Engine


class LocalSource:
    """A ``services.dashboard.DashboardSource`` over the local store: one person, no users or devices."""

    def __init__(self, engine: Engine) -> None:
        from ...runtime.engine import ConnectionSlot

        self._engine = engine
        self._slot = ConnectionSlot()  # data_version counts other connections' commits: one connection, always

    async def view(self, query: Query) -> View:
        return await self._engine.call(dashboard.view, query)

    async def session_page(self, ref: str) -> SessionPage:
        return await self._engine.call(_page, ref)

    async def facets(self) -> Facets:
        return await self._engine.call(_facets)

    async def version(self) -> int:
        return await self._engine.call_on(self._slot, _version)


def _page(conn: apsw.Connection, config: Config, ref: str) -> SessionPage:
    from ...services import conversation

    return SessionPage(conversation=conversation.load(conn, config, ref))


def _facets(conn: apsw.Connection, config: Config) -> Facets:
    return dashboard.facets(conn)


def _version(conn: apsw.Connection, config: Config) -> int:
    from ...store.changes import data_version

    return data_version(conn)
