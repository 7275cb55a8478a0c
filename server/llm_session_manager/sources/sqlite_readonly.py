"""Reading another program's SQLite database without ever getting in its way.

Cursor and ``llm`` keep their databases open while they run. We open them through a
``file:…?mode=ro`` URI with ``SQLITE_OPEN_READONLY``, so nothing we do can write,
with a short busy timeout, so we give up rather than wait on a writer, and do every
read of one scan in one read transaction, so what we read is one consistent snapshot
(a composer and its bubbles, a response and its conversation). In WAL mode a reader
never blocks the writer; in rollback-journal mode a writer's lock shuts readers out
for the length of its transaction, and ``Busy`` says to come back.

Both keep rows in tables with an implicit ``rowid`` that only grows: SQLite gives
each new row one more than the largest, and VS Code's storage (whose table Cursor's
``cursorDiskKV`` copies, schema and all) writes ``INSERT INTO … VALUES`` into a
``key UNIQUE ON CONFLICT REPLACE`` table, which deletes the old row and inserts a
new one, so an updated value gets a new, larger rowid too. ``Mark`` remembers the
largest rowid read; ``resume_after`` checks it still holds, and the rows after it,
found by one b-tree seek however big the table, are all that was written since.

A reader of a WAL database whose ``-wal`` file is absent (its owner closed it
cleanly) leaves an empty ``-wal`` and a ``-shm`` behind (a read-only connection
cannot remove them on close). Ingest folds the ``-wal``'s mtime into the database's,
so the next scan sees a change and reads the file once more: a source that keeps
``Batch.state`` finds nothing new and that read costs only its check. The files are
the owner's to remove; deleting them under a program that may be opening the
database is how databases get corrupted, so they are left alone.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apsw
import msgspec

BUSY_TIMEOUT_MS = 250

# What makes a database unreadable for now or for good, other than a lock: damaged,
# not a database, vanished, unreadable, or not shaped as expected (a table or
# column missing). Callers count the file as malformed; it is read again when it
# changes.
UNREADABLE = (
    apsw.CorruptError,
    apsw.NotADBError,
    apsw.CantOpenError,
    apsw.IOError,
    apsw.ReadOnlyError,
    apsw.ProtocolError,
    apsw.SQLError,
)
_LOCKED = (apsw.BusyError, apsw.LockedError)


class Busy(OSError):
    """The database's owner holds a lock on it right now; read it again next scan.

    An ``OSError`` because that is what ingest treats as "retry": the file's
    stat is not recorded, so the next scan reads it even if it did not change.
    """

    def __init__(self, owner: str) -> None:
        super().__init__(errno.EBUSY, f"{owner}'s database is locked; read again next scan")


@contextmanager
def snapshot(path: Path, owner: str) -> Iterator[apsw.Connection]:
    """``path`` opened read-only inside one read transaction, closed on exit.

    Raises ``Busy`` (naming ``owner``, e.g. "Cursor") when a writer's lock outlasts
    the busy timeout, whether at the open or at any read in the block; any other
    failure is one of ``UNREADABLE``.
    """
    uri = path.absolute().as_uri() + "?mode=ro"
    try:
        conn = apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
    except _LOCKED as e:
        raise Busy(owner) from e
    try:
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        conn.execute("BEGIN")
        yield conn
    except _LOCKED as e:
        raise Busy(owner) from e
    finally:
        conn.close()


def tables(conn: apsw.Connection) -> set[str]:
    """The names of the database's tables (reading them also proves it is a database)."""
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


class Mark(msgspec.Struct, array_like=True, frozen=True):
    """The newest row of a table at the last read: its rowid and its key.

    The key guards against rowids handed out again (the newest rows deleted,
    then new ones inserted) or renumbered (a ``VACUUM`` may, for tables without
    an ``INTEGER PRIMARY KEY``): then the row at ``rowid`` is another one.
    """

    rowid: int
    key: str


def mark(conn: apsw.Connection, table: str, key: str) -> Mark | None:
    """The newest row of ``table`` (``key`` names its key column); None if it is empty."""
    row = conn.execute(f"SELECT rowid, [{key}] FROM [{table}] ORDER BY rowid DESC LIMIT 1").fetchone()
    return Mark(row[0], str(row[1])) if row else None


def resume_after(conn: apsw.Connection, table: str, key: str, since: Mark | None) -> int | None:
    """The rowid after which lie all the rows of ``table`` written since ``since``.

    None when there is no mark, or when the rows up to it may have changed
    (rowids reused or renumbered since): then read the whole table.
    """
    if since is None:
        return None
    top = conn.execute(f"SELECT max(rowid) FROM [{table}]").get
    if top is None or top < since.rowid:
        return None
    row = conn.execute(f"SELECT [{key}] FROM [{table}] WHERE rowid = ?", (since.rowid,)).fetchone()
    if row is not None and str(row[0]) != since.key:
        return None
    return since.rowid
