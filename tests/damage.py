"""Damaging a real store the way a failing disk or a crash of another program does."""

from __future__ import annotations

from pathlib import Path

import apsw

PAGE_GARBAGE = b"\xde\xad\xbe\xef"


def damage_page(db: Path, table: str = "sessions", which: int = 0) -> None:
    """Overwrite a leaf page of ``table`` (the ``which``-th, in file order) with garbage.

    The write-ahead log is folded in first, so the damage is what SQLite reads next.
    """
    conn = apsw.Connection(str(db))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [p for (p,) in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
    conn.close()
    with db.open("r+b") as f:
        f.seek((pages[which] - 1) * page_size)
        f.write(PAGE_GARBAGE * (page_size // len(PAGE_GARBAGE)))
