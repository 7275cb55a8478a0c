"""Getting a damaged store back: check it, copy out what can be read, swap it in.

SQLite finds a damaged page only when a statement reads it, and then the whole
statement fails: one bad page hides every row of a table behind it. Recovery
reads each table from both ends (rowid or primary key order, ascending then
descending), so the rows on either side of damaged pages come out, and writes
them into a fresh store made by ``connect`` (so it is at ``SCHEMA_VERSION``
whatever version the damaged one had). An encrypted store's bodies are copied
sealed, and its full-text index is rebuilt from them opened, which takes its key.

What is copied is what exists nowhere else (memories, tags, projects, memory
imports, sent notifications, counted tokens) and what the logs gave (sessions,
usage, messages, files). Log read positions (``source_files``) are not
copied, so the next scan reads every log again and fills in what the damage
hid; rows already recovered are deduplicated by their keys. Derived tables
(full-text and vector indexes, quarter-hour sums) are rebuilt, not copied.

The damaged file is never deleted: it is renamed aside, with its ``-wal`` and
``-shm`` files, only once the new store has been written, reopened and checked.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import apsw
import msgspec

from ..core.errors import NotFound
from . import sealed
from .connection import connect, write_transaction
from .failures import explain

# Rebuilt from other tables, or deliberately left for the next scan to refill.
_NOT_COPIED = {"source_files", "usage_quarters", "usage_quarters_dirty", "meta"}
# Meta keys that describe the old file rather than the data in it.
_FRESH_META = ("bulk_load_indexes", "memory_vectors_added", "memory_vectors_reset", "memory_vectors_store",
               "usage_version", "usage_quarters_version")
_BATCH = 500


class Check(msgspec.Struct):
    """What SQLite's own check says of the store."""

    database: str
    ok: bool
    problems: list[str]


class Recovered(msgspec.Struct):
    """What ``recover`` copied, and where each file went."""

    database: str  # the recovered store, now in the damaged one's place
    damaged_copy: str  # where the damaged file was moved (never deleted)
    tables: dict[str, int]  # rows copied per table
    incomplete: list[str]  # tables with rows behind damaged pages (the logs may fill them in)


def check(path: Path) -> Check:
    """``PRAGMA quick_check`` of the file at ``path``, which is only read."""
    if not path.exists():
        raise NotFound(f"no database at {path}")
    try:
        with _opened(path) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(20)")]
    except (apsw.CorruptError, apsw.NotADBError) as e:
        problems = [str(e)]
    problems = [p for p in problems if p != "ok"]
    return Check(database=str(path), ok=not problems, problems=problems)


def recover(path: Path, now: float | None = None) -> Recovered:
    """Copy what can be read of ``path`` into a new store and put it in its place."""
    if not path.exists():
        raise NotFound(f"no database at {path}")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now or time.time()))
    fresh = path.with_name(f"{path.name}.recovered-{stamp}")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    try:
        tables, incomplete = _copy_into(path, fresh)
        connect(fresh).close()  # it opens, migrates and passes the check before anything is moved
        if not check(fresh).ok:
            raise apsw.CorruptError(f"the recovered copy {fresh} does not pass SQLite's check")
    except BaseException as e:
        for leftover in _with_journals(fresh):
            leftover.unlink(missing_ok=True)  # only our own half-written copy
        known = explain(e, fresh)
        if known is not None:
            raise known from e
        raise
    for name, moved in zip(_with_journals(path), _with_journals(aside), strict=True):
        if name.exists():
            name.rename(moved)
    fresh.rename(path)
    return Recovered(database=str(path), damaged_copy=str(aside), tables=tables, incomplete=incomplete)


def _copy_into(source: Path, target: Path) -> tuple[dict[str, int], list[str]]:
    conn = connect(target)
    try:
        with _opened(source) as old:
            counts: dict[str, int] = {}
            incomplete: list[str] = []
            try:
                old_tables = _tables(old)
            except (apsw.CorruptError, apsw.NotADBError):  # the list of tables itself is unreadable
                return counts, sorted(_tables(conn) - _NOT_COPIED)
            for table in sorted(_tables(conn)):
                if table in _NOT_COPIED or table not in old_tables:
                    continue
                columns = [c for c in _columns(conn, table) if c in _columns(old, table)]
                rows, complete = _readable_rows(old, table, columns)
                if table == "memories" and "embedded" in columns:
                    at = columns.index("embedded")  # vectors are not copied: embed again
                    rows = [(*row[:at], 0, *row[at + 1:]) for row in rows]
                counts[table] = _insert(conn, table, columns, rows)
                if not complete:
                    incomplete.append(table)
            if "meta" in old_tables:
                meta, complete = _readable_rows(old, "meta", ["key", "value"])
                kept = [row for row in meta if row[0] not in _FRESH_META]
                counts["meta"] = _insert(conn, "meta", ["key", "value"], kept)
                if not complete:
                    incomplete.append("meta")
            if sealed.lock_of(conn) is not None:
                # Encrypted bodies were copied sealed, under the index's plain triggers:
                # index their words as the store's own triggers do (this needs the key;
                # without it recovery stops, and the damaged store stays as it was).
                with write_transaction(conn):
                    sealed.sync_triggers(conn)
                    sealed.rebuild_index(conn)
        return counts, incomplete
    finally:
        conn.close()


def _readable_rows(conn: apsw.Connection, table: str, columns: list[str]) -> tuple[list[tuple], bool]:
    """Every row of ``table`` SQLite can read, from the front and then from the back.

    True with them if no damaged page was met.
    """
    key = _key(conn, table)
    select = f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table)}"
    rows: dict[tuple, tuple] = {}
    complete = True
    for direction in ("ASC", "DESC"):
        try:
            order = ", ".join(f"{_quote(c)} {direction}" for c in key)
            for row in conn.execute(f"{select} ORDER BY {order}"):
                rows.setdefault(tuple(row), tuple(row))
        except (apsw.CorruptError, apsw.NotADBError, apsw.IOError):
            complete = False
        if complete:
            break  # read whole from the front: no need to read it again
    return list(rows.values()), complete


def _insert(conn: apsw.Connection, table: str, columns: list[str], rows: list[tuple]) -> int:
    if not rows:
        return 0
    names = ", ".join(_quote(c) for c in columns)
    marks = ", ".join("?" * len(columns))
    before = _count(conn, table)
    for start in range(0, len(rows), _BATCH):
        with write_transaction(conn):
            conn.executemany(f"INSERT OR IGNORE INTO {_quote(table)} ({names}) VALUES ({marks})",
                             rows[start:start + _BATCH])
    return _count(conn, table) - before


def _count(conn: apsw.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchall()[0][0] or 0)


def _tables(conn: apsw.Connection) -> set[str]:
    """Ordinary tables: not SQLite's own, not virtual tables nor their shadow tables."""
    rows = [(str(name), str(sql or "")) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table'")]
    virtual = [name for name, sql in rows if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    return {
        name for name, sql in rows
        if not name.startswith("sqlite_") and name not in virtual and not any(name.startswith(f"{v}_") for v in virtual)
    }


def _columns(conn: apsw.Connection, table: str) -> list[str]:
    return [str(row[1]) for row in conn.execute(f"PRAGMA table_info({_quote(table)})")]


def _key(conn: apsw.Connection, table: str) -> list[str]:
    """The columns a table is stored in order of: its primary key, else its rowid."""
    info = [(int(row[5] or 0), str(row[1])) for row in conn.execute(f"PRAGMA table_info({_quote(table)})")]
    key = [name for position, name in sorted(info) if position]
    sql = str(conn.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (table,)).fetchall()[0][0])
    return key if "WITHOUT ROWID" in sql.upper() else ["rowid"]


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[apsw.Connection]:
    """``path`` opened as it is: no migration, no extension, and no statement that writes."""
    conn = apsw.Connection(str(path))
    try:
        yield conn
    finally:
        conn.close()


def _with_journals(path: Path) -> list[Path]:
    return [path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
