"""What a process holds of a store's memories in RAM: when, and how it stays current.

At 100k memories SQLite answers the two halves of recall in 18 and 12 ms (p50,
bench/memory.py): FTS5 scores every memory a query's common words are in, and
vec0 scans every vector code. A process that recalls often holds both as
numpy arrays instead -- the words (``resident_words``) and the codes
(``resident_codes``) -- and recalls in about 3 ms, with the same results.

When: loading them costs about 1.4 s at 100k memories (words 0.8 s, codes
0.6 s), as much as 30 recalls answered by SQLite (44 ms). A CLI ``recall``
asks once and exits, so a process answers its first recall of a store from
SQLite and holds the indexes from its second on: the servers (MCP, LSP,
``serve``) and scripts that recall in a loop pay the load once, a CLI command
never (``llm-session recall`` at 100k: 0.25 s, 0.24 s of it the process's start).

Current: any process may write memories, so the store counts what changed
(migration 005) and every query reads the counts (one statement, ~5 us):
``memory_vectors_added`` moves with every new memory, whose rid is above those
held, so only rows above the highest held rid are read;
``memory_vectors_reset`` moves when a memory is deleted or re-embedded, and
everything is loaded again, as it is when the file now holds another store
(``memory_vectors_store``). The words also watch FTS5's structure record,
which every change to ``memories_fts`` rewrites: changed with no memory added
means a memory's text was edited (nothing in this program does; a hand edit
in the sqlite3 shell might), and the words are loaded again. An edit that
falls between the same two recalls as a new memory goes unseen until the next
load: only a trigger (a migration) could count edits exactly, too much for a
hand edit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import apsw

T = TypeVar("T")


class Marks(NamedTuple):
    """Where a store's memories stood when an index was read from it."""

    store: str  # which database (a file may be replaced by another store)
    added: int
    reset: int
    words: bytes | None  # memories_fts's structure record


_MARKS = (
    "SELECT (SELECT value FROM meta WHERE key = 'memory_vectors_store'),"
    " (SELECT value FROM meta WHERE key = 'memory_vectors_added'),"
    " (SELECT value FROM meta WHERE key = 'memory_vectors_reset'),"
    " (SELECT block FROM memories_fts_data WHERE id = 10)"
)

_lock = threading.Lock()
_held: dict[tuple[str, str], object] = {}  # by (database file, index kind)
_recalls: dict[str, int] = {}  # recalls this process made, by database file


def marks(conn: apsw.Connection) -> Marks:
    store, added, reset, words = conn.execute(_MARKS).get
    return Marks(str(store or ""), int(added or 0), int(reset or 0), words)


def worth_holding(conn: apsw.Connection) -> bool:
    """Count a recall of ``conn``'s store: True from this process's second on.

    An in-memory database is never held: it has no file to key it by, and a
    process that made one has it to itself.
    """
    path = conn.filename
    if not path:
        return False
    with _lock:
        count = _recalls[path] = _recalls.get(path, 0) + 1
    return count > 1


def current(conn: apsw.Connection, kind: str, update: Callable[[apsw.Connection, T | None, Marks], T]) -> T:
    """This process's ``kind`` index of ``conn``'s store, as ``update(conn, held, marks)``
    brings it up to date (``held`` is None the first time)."""
    now = marks(conn)
    path = conn.filename
    with _lock:
        held = update(conn, _held.get((path, kind)), now)  # type: ignore[arg-type]
        if path:  # an in-memory database is nobody else's: nothing to keep
            _held[(path, kind)] = held
        return held
