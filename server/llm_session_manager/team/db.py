"""Connecting to the team database and bringing its schema up to date.

The server's schema is ``team/migrations/NNN.sql``, applied in order, each in
its own transaction with its number written to ``schema_version``, so
``team init-db`` run twice (or by two servers at once: an advisory lock keeps
them in turn) changes nothing the second time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING

from ..core.errors import BadArgument, TeamError, TeamUnreachable

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

SCHEMA_VERSION = 10
_LOCK = 0x6C736D74  # "lsmt": the advisory lock migrations hold


def database_url(given: str | None) -> str:
    """``--database-url``, else ``$DATABASE_URL``; one of them is needed."""
    url = given or os.environ.get("DATABASE_URL")
    if not url:
        raise BadArgument("database_url", "is needed (or DATABASE_URL), e.g. postgresql://lsm@localhost/lsm")
    return url


def connect(url: str) -> psycopg.Connection:
    """One connection to the team database; unreachable or refused as one line."""
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError as e:
        raise TeamUnreachable(f"cannot connect to the team database: {_first_line(e)}") from e
    except psycopg.ProgrammingError as e:  # a malformed URL
        raise BadArgument("database_url", f"is not a usable PostgreSQL URL: {_first_line(e)}") from e


@contextlib.contextmanager
def session(url: str) -> Iterator[psycopg.Connection]:
    """A connection for one command, its database errors as one line each."""
    import psycopg

    with connect(url) as conn:
        try:
            yield conn
        except psycopg.errors.UndefinedTable as e:
            raise TeamError("the team database has no tables yet: run 'llm-session team init-db' first") from e
        except psycopg.OperationalError as e:
            raise TeamUnreachable(f"lost the team database: {_first_line(e)}") from e
        except psycopg.Error as e:
            raise TeamError(f"the team database refused: {_first_line(e)}") from e


def pool(url: str, size: int = 4) -> ConnectionPool:
    """A pool of connections for the server's worker threads, opened and checked now."""
    from psycopg_pool import ConnectionPool, PoolTimeout

    connect(url).close()  # a clear message for a wrong URL rather than the pool's time-out
    opened = ConnectionPool(url, min_size=1, max_size=size, open=False, kwargs={"connect_timeout": 10})
    try:
        opened.open(wait=True, timeout=15)
    except PoolTimeout as e:
        raise TeamUnreachable(f"cannot connect to the team database: {e}") from e
    return opened


def version(conn: psycopg.Connection) -> int:
    """The schema version the database is at (0: never initialised)."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(found[0]) if found else 0


def migrate(conn: psycopg.Connection) -> tuple[int, int]:
    """Apply the migrations the database lacks; (version before, version after)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                     "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        before = version(conn)
        if before > SCHEMA_VERSION:
            raise TeamError(f"the team database is at schema version {before}, newer than this program's "
                            f"({SCHEMA_VERSION}); upgrade llm-session-manager")
        for step in range(before + 1, SCHEMA_VERSION + 1):
            conn.execute(_read(step).encode())
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (step,))
    return before, SCHEMA_VERSION


def check_schema(conn: psycopg.Connection) -> None:
    """Refuse to serve a database that ``team init-db`` has not brought to this version."""
    found = version(conn)
    if found != SCHEMA_VERSION:
        raise TeamError(f"the team database is at schema version {found}, this program needs {SCHEMA_VERSION}: "
                        "run 'llm-session team init-db' first")


def _read(step: int) -> str:
    return resources.files(__package__).joinpath(f"migrations/{step:03d}.sql").read_text(encoding="utf-8")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [error.__class__.__name__])[0]
