"""Opening the database: location, pragmas, extensions and migrations.

apsw rather than the standard ``sqlite3`` module because it bundles a modern
SQLite that can load extensions everywhere (many system Pythons cannot).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import apsw

from ..core.errors import StoreError
from ..core.paths import data_dir

SCHEMA_VERSION = 37
PAGE_SIZE = 16384
BUSY_TIMEOUT_MS = 10_000
DB_NAME = "sessions.db"


def db_path() -> Path:
    return data_dir() / DB_NAME


def connect(path: Path | None = None) -> apsw.Connection:
    """Open (creating if new) the store, migrated to ``SCHEMA_VERSION``.

    An existing file that is not a database raises ``StoreCorrupt``: it may hold
    the user's history, so it is never deleted or recreated over.
    """
    path = path or db_path()
    home = os.environ.get("HOME")
    if home and path.parent.is_relative_to(home) and not os.path.isdir(home):  # never create HOME
        raise StoreError(f"cannot create data directory {path.parent}: HOME {home} does not exist "
                         "(set HOME, or LLM_SESSION_DATA_DIR for the database)")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _private(path)
    except OSError as e:
        raise StoreError(f"cannot create data directory {path.parent}: {e.strerror}") from e
    try:
        conn = apsw.Connection(str(path))
    except apsw.CantOpenError as e:
        raise StoreError(f"cannot open database {path}: permission denied or not a file") from e
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    try:
        _configure(conn)
        _load_sqlite_vec(conn)
        from . import sealed

        sealed.install(conn)  # before migrating: the full-text index's triggers call it
        _migrate(conn)
    except apsw.Error as e:  # damaged, or no space left for the journal
        from .failures import explain_on

        known = explain_on(e, conn, path)
        conn.close()
        if known is None:
            raise
        raise known from e
    return conn


@contextmanager
def write_transaction(conn: apsw.Connection) -> Iterator[None]:
    """A transaction that takes the write lock up front.

    ``BEGIN IMMEDIATE`` makes a second writer wait on the busy timeout at the
    start instead of failing half-way when it tries to upgrade a read lock.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _private(path: Path) -> None:
    """Make the database readable by its owner only, before SQLite opens it.

    The store holds every conversation on the machine. A new file is created
    0600 here (no window in which it exists wider); SQLite gives its ``-wal``
    and ``-shm`` the main file's mode. A store made by an older version, 0644,
    is narrowed, with its ``-wal`` and ``-shm``.
    """
    if str(path) == ":memory:":
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    except OSError:
        return  # cannot create it here: opening it will say why
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except FileNotFoundError:
            continue
        except PermissionError:  # someone else's file: theirs to guard
            continue


def _configure(conn: apsw.Connection) -> None:
    # For a new file only (WAL fixes the size once set). Fewer, larger pages
    # make a first scan's bulk load about 8% faster; lookups read through the
    # OS page cache either way.
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
    _use_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA temp_store=MEMORY")
    # Deleted rows are overwritten with zeros, not left in free space: a
    # forgotten memory or a scrubbed secret is gone from the file, not just unlisted.
    conn.execute("PRAGMA secure_delete=ON")
    # Keys (uuids, message ids) arrive in random order, so index inserts touch
    # pages all over the file; a larger cache keeps a bulk scan from re-reading
    # them. Pages are only allocated as used.
    conn.execute("PRAGMA cache_size=-65536")


def _use_wal(conn: apsw.Connection) -> None:
    """Put the file in WAL mode (it stays so), waiting for other first-time openers.

    Switching needs the file to itself, and SQLite answers BUSY for that at once
    instead of calling the busy handler: two processes opening a new store
    together (an editor's server and a scan) would otherwise fail.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").get != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except apsw.BusyError:
            if time.monotonic() > deadline:
                raise StoreError("the database stayed locked by another process; try again") from None
            time.sleep(0.01)


def _load_sqlite_vec(conn: apsw.Connection) -> None:
    conn.enable_load_extension(True)
    try:
        conn.load_extension(_sqlite_vec_path())
    except apsw.ExtensionLoadingError as e:
        raise StoreError(f"cannot load the sqlite-vec extension: {e}") from e
    finally:
        conn.enable_load_extension(False)


@functools.cache
def _sqlite_vec_path() -> str:
    """``sqlite_vec.loadable_path()`` without importing the package.

    Importing it also imports sqlite3 and, where installed, numpy: 0.2 s that
    every command would pay before doing anything.
    """
    spec = importlib.util.find_spec("sqlite_vec")
    if spec is None or not spec.submodule_search_locations:
        raise StoreError("the sqlite-vec package is not installed (pip install sqlite-vec)")
    return os.path.join(spec.submodule_search_locations[0], "vec0")


def _migrate(conn: apsw.Connection) -> None:
    if _version(conn) == SCHEMA_VERSION:
        return
    # Under the write lock, and read again: another process may have just migrated.
    with write_transaction(conn):  # a crash leaves the old version intact
        version = _version(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database schema version {version} is newer than this program's ({SCHEMA_VERSION}); "
                "upgrade llm-session-manager"
            )
        if version == 0:
            conn.execute(_read_sql("schema.sql"))
            version = 1
        for step in range(version + 1, SCHEMA_VERSION + 1):
            conn.execute(_read_sql(f"migrations/{step:03d}.sql"))
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _version(conn: apsw.Connection) -> int:
    return conn.execute("PRAGMA user_version").get


def _read_sql(name: str) -> str:
    return (Path(__file__).parent / name).read_text(encoding="utf-8")
