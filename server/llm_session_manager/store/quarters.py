"""Usage summed per quarter hour, provider and model, kept up to date lazily.

Besides tokens and cost, each row counts its responses without a price
(``usage.priced = 2``, whose cost_usd of 0 means unknown), so that reports can
say "unknown" rather than $0 without reading every response.

A report by day over a year of heavy use would sum a million responses on every
call; a status line asks every few seconds. Reports read ``usage_quarters``
instead: a few rows per hour of use. Keeping it current row by row (triggers on
insert) would slow every insert of a cold scan by half, so writers only note
what changed, once per transaction, and the next report brings the sums up to
date:

* a small write notes the quarters its responses fall in, and those that
  copies of the same responses it replaces fell in (``usage_quarters_dirty``),
  and only those quarters are summed again;
* a big one (a first scan, a repricing) moves ``usage_version`` instead, and
  the table is rebuilt whole.

Quarter hours, because every UTC offset in use is a multiple of 15 minutes:
no quarter straddles a local midnight, whatever ``TZ`` says. A response's
quarter is ``CAST(ts / 900 AS INTEGER)`` everywhere, computed by SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import apsw

from . import _derived
from ._derived import NOTED_LIMIT, usage_changed

QUARTER_HOUR = 900


def quarter_of(ts: str) -> str:
    """SQL for the quarter of the time ``ts``: the one definition every statement that
    splits usage by quarter hour uses (here and in analytics), so that they agree."""
    return f"CAST({ts} / {QUARTER_HOUR} AS INTEGER)"


_SUMS = f"""
SELECT {quarter_of("u.ts")}, coalesce(s.provider, ''), u.model,
       sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens),
       sum(u.cache_read_tokens), sum(u.cost_usd), sum(u.priced = 2)
"""

_STATE = """
SELECT (SELECT value FROM meta WHERE key = 'usage_version')
           IS (SELECT value FROM meta WHERE key = 'usage_quarters_version'),
       EXISTS (SELECT 1 FROM usage_quarters_dirty)
"""

_REBUILD = f"""
DELETE FROM usage_quarters;
INSERT INTO usage_quarters
{_SUMS}
FROM usage u LEFT JOIN sessions s ON s.id = u.session_id
GROUP BY 1, 2, 3;
DELETE FROM usage_quarters_dirty;
UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'usage_version') WHERE key = 'usage_quarters_version';
"""

_NOTE = f"""
INSERT OR IGNORE INTO usage_quarters_dirty (quarter)
SELECT {quarter_of("ts")} FROM usage WHERE dedup_key = ?1
UNION SELECT {quarter_of("?2")}
"""

# A second on either side of the range lets the index find every response whose
# quarter (by the division above) is a noted one, whatever the rounding. CROSS
# JOIN keeps SQLite from scanning every response for the noted quarters instead.
_UPDATE_NOTED = f"""
DELETE FROM usage_quarters WHERE quarter IN (SELECT quarter FROM usage_quarters_dirty);
INSERT INTO usage_quarters
{_SUMS}
FROM usage_quarters_dirty d
CROSS JOIN usage u ON u.ts >= d.quarter * {QUARTER_HOUR} - 1 AND u.ts < (d.quarter + 1) * {QUARTER_HOUR} + 1
                AND {quarter_of("u.ts")} = d.quarter
LEFT JOIN sessions s ON s.id = u.session_id
GROUP BY 1, 2, 3;
DELETE FROM usage_quarters_dirty;
"""


def usage_writing(conn: apsw.Connection, rows: Sequence[tuple[str, float]]) -> None:
    """Note, in the transaction about to write them, the responses ``(dedup_key, ts)``.

    Before the write: a response already stored may be replaced by a fuller copy
    logged in another quarter, and its old quarter is read here.
    """
    if len(rows) > NOTED_LIMIT:
        usage_changed(conn)
    else:
        conn.executemany(_NOTE, rows)


def rebuild_pending(conn: apsw.Connection) -> bool:
    """Whether the sums are to be rebuilt whole (a big write moved ``usage_version`` since)."""
    return not conn.execute(_STATE).get[0]


def refresh(conn: apsw.Connection) -> None:
    """Bring ``usage_quarters`` up to date with ``usage``, if it is not."""
    _derived.refresh(conn, _STATE, _REBUILD, _UPDATE_NOTED)
