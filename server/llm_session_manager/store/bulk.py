"""Secondary indexes (and the full-text index's triggers) off during a first, big load; back on after.

Building an index once over sorted keys is much cheaper than updating it row by
row in random order. The dropped definitions are kept in ``meta`` in the same
transaction that drops them, so a load killed half-way gets its indexes back
on the next scan instead of losing them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import apsw
import msgspec

from . import sealed
from .connection import write_transaction

_PENDING = "bulk_load_indexes"
# Only plain indexes: UNIQUE constraints stay, they are what deduplicates. The
# partial index of estimated responses stays too: it costs a load nothing (most
# rows are not in it) and reports name it (``INDEXED BY``) before it could be rebuilt.
# And the triggers that keep the messages' full-text index in step (migration 019):
# the index rebuilt once after the load costs less than keeping it in step batch by
# batch (bench/search.py measures both).
_SECONDARY = """
SELECT type, name, sql FROM sqlite_master
WHERE (type = 'index' AND sql IS NOT NULL AND tbl_name IN ('usage', 'messages', 'file_refs')
       AND name != 'usage_estimated')
   OR (type = 'trigger' AND name IN ('messages_fts_insert', 'messages_fts_delete', 'messages_fts_update'))
"""


@contextmanager
def bulk_load(conn: apsw.Connection, enabled: bool, *, restore: bool = True) -> Iterator[None]:
    """Run a load with the secondary indexes dropped, if ``enabled``.

    ``restore=False`` leaves them for whoever loads next to rebuild (a first
    ``usage`` leaves them to the continuation that stores the conversation: its
    report needs none of them, and the messages go in faster without).
    """
    restore_indexes(conn)
    if not enabled:
        yield
        return
    with write_transaction(conn):
        found: list[tuple[str, str, str]] = conn.execute(_SECONDARY).fetchall()  # type: ignore[assignment]
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (_PENDING, msgspec.json.encode([sql for _, _, sql in found]).decode()))
        for kind, name, _ in found:
            conn.execute(f"DROP {kind.upper()} {name}")
    try:
        yield
    finally:
        if restore:
            restore_indexes(conn)


def restore_indexes(conn: apsw.Connection) -> None:
    """Recreate indexes a bulk load dropped, if any are still missing."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_PENDING,)).fetchone()
    if row is None:
        return
    with write_transaction(conn):
        triggers = False
        for sql in msgspec.json.decode(row[0], type=list[str]):
            triggers |= sql.startswith("CREATE TRIGGER")
            conn.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
                            .replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
        if triggers:  # what was stored while they were off
            sealed.sync_triggers(conn)
            sealed.rebuild_index(conn)
        conn.execute("DELETE FROM meta WHERE key = ?", (_PENDING,))
