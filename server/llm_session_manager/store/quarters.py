"""Usage summed per quarter hour, provider and model, rebuilt when the usage changed.

A report by day over a year of heavy use would sum a million responses on every
call; a status line asks every few seconds while nothing changed. Reports read
``usage_quarters`` instead: a few rows per hour of use. Keeping it current row
by row (triggers) would slow every insert of a cold scan by half, so writers of
``usage`` only move ``usage_version`` once per transaction, and the first
report after that rebuilds the table whole.

Quarter hours, because every UTC offset in use is a multiple of 15 minutes:
no quarter straddles a local midnight, whatever ``TZ`` says.
"""

from __future__ import annotations

import apsw

from .connection import write_transaction

QUARTER_HOUR = 900

_CURRENT = """
SELECT (SELECT value FROM meta WHERE key = 'usage_version')
    IS (SELECT value FROM meta WHERE key = 'usage_quarters_version')
"""

_REBUILD = f"""
DELETE FROM usage_quarters;
INSERT INTO usage_quarters
SELECT CAST(u.ts / {QUARTER_HOUR} AS INTEGER), coalesce(s.provider, ''), u.model,
       sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens),
       sum(u.cache_read_tokens), sum(u.cost_usd)
FROM usage u LEFT JOIN sessions s ON s.id = u.session_id
GROUP BY 1, 2, 3;
UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'usage_version') WHERE key = 'usage_quarters_version';
"""


def usage_changed(conn: apsw.Connection) -> None:
    """Say, inside the transaction that wrote ``usage``, that the sums are stale."""
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'usage_version'")


def refresh(conn: apsw.Connection) -> None:
    """Bring ``usage_quarters`` up to date with ``usage``, if it is not."""
    if conn.execute(_CURRENT).fetchone()[0]:
        return
    with write_transaction(conn):
        if not conn.execute(_CURRENT).fetchone()[0]:  # another process may have just rebuilt it
            conn.execute(_REBUILD)
