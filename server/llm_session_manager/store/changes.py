"""Whether other processes wrote the store: SQLite's ``PRAGMA data_version``.

Every writer (a scan by the CLI, ``serve``, an editor's server, a tag set over
MCP) commits through its own connection, and on a connection of ours
``data_version`` moves exactly when another connection committed -- one
integer, read in microseconds with no file reads. It never moves for this
connection's own commits, and two connections' numbers are unrelated, so a
caller keeps **one** connection for its polls (an engine ``ConnectionSlot``,
or the dashboard's one connection) and reads nothing else on it that it
would want to count.

Used by the LSP's store watcher and its sessions answer cache, and by the
dashboard, to ask the services again only when there is news.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import apsw

T = TypeVar("T")


def data_version(conn: apsw.Connection) -> int:
    """A number that moves when another connection commits (compare it only with ``conn``'s own)."""
    return conn.execute("PRAGMA data_version").get


class ChangePoller:
    """Reads again only when the store changed since the last read that worked.

    One caller at a time, always on the same connection.
    """

    def __init__(self) -> None:
        self._seen: int | None = None  # the version the last successful read was made at

    def read_if_changed(self, conn: apsw.Connection, read: Callable[[], T], *, force: bool = False) -> T | None:
        """``read()`` if another connection committed since the last one (or ``force``); else None.

        The version counts as seen only once ``read()`` returned: after a
        failure the next poll reads again rather than waiting for more news.
        """
        version = data_version(conn)
        if version == self._seen and not force:
            return None
        result = read()
        self._seen = version
        return result
