"""The memory vectors' SimHash codes, held in this process for recall without a table scan.

sqlite-vec finds the Hamming-nearest codes by scanning ``memories_vec``: about
20 ms at 100k memories, every query. A process that recalls often (the MCP
server, ``serve``) keeps the codes in memory instead, one column per 64-bit
word, and numpy counts the differing bits of all of them in under 2 ms --
the same neighbours, exactly.

Any process may write memories, so the store counts what changed (migration
005): ``memory_vectors_added`` moves with every new memory, whose rid is above
those held, so only rows above the highest held rid are fetched;
``memory_vectors_reset`` moves when a memory is deleted or re-embedded, and
then the codes are loaded again (0.6 s at 100k), as they are when the file
now holds another store (``memory_vectors_store``). Two settings read per query
are the whole cost of staying current.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import apsw
import numpy as np

APPEND_LIMIT = 2000  # more new rows than this: one full load is cheaper than lookups
_MARKS = ("memory_vectors_store", "memory_vectors_added", "memory_vectors_reset")


class _Codes(NamedTuple):
    store: str  # which database these came from (a file may be replaced by another)
    added: int
    reset: int
    rids: np.ndarray  # (n,) int64
    columns: np.ndarray  # (words, n) uint64: word i of every code, contiguous
    projects: np.ndarray  # (n,) int32, into ``names``
    names: dict[str, int]  # partition -> number


_lock = threading.Lock()
_held: dict[str, _Codes] = {}  # by database file


def nearest(conn: apsw.Connection, code: bytes, partition: str | None, k: int) -> list[int]:
    """The rids of the ``k`` codes nearest ``code`` by Hamming distance, in
    ``partition`` (a project's) or all; nearest first."""
    codes = _current(conn)
    query = np.frombuffer(code, dtype=np.uint64)
    if partition is None:
        columns, rids = codes.columns, codes.rids
    else:
        number = codes.names.get(partition)
        if number is None:
            return []
        where = np.flatnonzero(codes.projects == number)
        columns, rids = codes.columns[:, where], codes.rids[where]
    if not len(rids):
        return []
    distance = np.bitwise_count(columns[0] ^ query[0]).astype(np.uint16)
    for word in range(1, len(query)):
        distance += np.bitwise_count(columns[word] ^ query[word])
    if len(rids) > k:
        best = np.argpartition(distance, k)[:k]
    else:
        best = np.arange(len(rids))
    best = best[np.argsort(distance[best], kind="stable")]
    return rids[best].tolist()


def _current(conn: apsw.Connection) -> _Codes:
    marks = dict(conn.execute(f"SELECT key, value FROM meta WHERE key IN {_MARKS}"))
    store = str(marks.get(_MARKS[0], ""))
    added, reset = (int(marks.get(key, 0)) for key in _MARKS[1:])
    path = conn.filename
    with _lock:
        held = _held.get(path)
        if held is None or held.store != store or held.reset != reset:
            held = _load(conn, store, added, reset)
        elif held.added != added:
            held = _append(conn, held, added)
        if path:  # an in-memory database is nobody else's: nothing to keep
            _held[path] = held
        return held


def _load(conn: apsw.Connection, store: str, added: int, reset: int) -> _Codes:
    rows = conn.execute("SELECT rowid, project, bits FROM memories_vec").fetchall()
    return _build(store, added, reset, rows, {})


def _append(conn: apsw.Connection, held: _Codes, added: int) -> _Codes:
    top = int(held.rids.max()) if len(held.rids) else 0
    new = [r[0] for r in conn.execute("SELECT rid FROM memories WHERE rid > ? AND embedded = 1", (top,))]
    if len(new) > APPEND_LIMIT:
        return _load(conn, held.store, added, held.reset)
    rows = [(rid, *row) for rid in new
            if (row := conn.execute("SELECT project, bits FROM memories_vec WHERE rowid = ?", (rid,)).fetchone())]
    if not rows:
        return held._replace(added=added)
    more = _build(held.store, added, held.reset, rows, dict(held.names))
    return more._replace(
        rids=np.concatenate([held.rids, more.rids]),
        columns=np.concatenate([held.columns, more.columns], axis=1),
        projects=np.concatenate([held.projects, more.projects]),
    )


def _build(store: str, added: int, reset: int, rows: list[tuple], names: dict[str, int]) -> _Codes:
    n = len(rows)
    rids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    projects = np.fromiter((names.setdefault(r[1] or "", len(names)) for r in rows), dtype=np.int32, count=n)
    words = len(rows[0][2]) // 8 if rows else 0
    codes = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint64).reshape(n, words)
    return _Codes(store, added, reset, rids, np.ascontiguousarray(codes.T), projects, names)
