"""Secondary indexes off during a first, big load; back on (and sorted) after.

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

from .connection import write_transaction

_PENDING = "bulk_load_indexes"
# Only plain indexes: UNIQUE constraints stay, they are what deduplicates. The
# partial index of estimated responses stays too: it costs a load nothing (most
# rows are not in it) and reports name it (``INDEXED BY``) before it could be rebuilt.
_SECONDARY = """
SELECT sql FROM sqlite_master
WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('usage', 'messages', 'file_refs')
  AND name != 'usage_estimated'
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
        definitions = [row[0] for row in conn.execute(_SECONDARY)]
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (_PENDING, msgspec.json.encode(definitions).decode()))
        for sql in definitions:
            name = sql.split()[2]  # CREATE INDEX <name> ON ...
            conn.execute(f"DROP INDEX {name}")
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
        for sql in msgspec.json.decode(row[0], type=list[str]):
            conn.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        conn.execute("DELETE FROM meta WHERE key = ?", (_PENDING,))
