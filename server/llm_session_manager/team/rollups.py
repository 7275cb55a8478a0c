"""The usage rollups of team migration 006: folding what pushes appended into the sums.

Pushes never update a sum row (that made concurrent pushes wait on each other):
their triggers append each statement's differences to ``usage_quarters_log``
and ``usage_device_quarters_log``. A reader folds those into ``usage_quarters``
and ``usage_device_quarters`` first (one at a time: an advisory lock, skipped
when another reader is folding) and reads the sums and whatever is still in
the logs together (``QUARTERS``, ``DEVICE_QUARTERS``), so what it reads is
exact whether or not it folded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

_LOCK = 0x6C736D72  # "lsmr"
_SUMS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "cost_usd", "unpriced",
         "estimated", "responses")
_ADD = ", ".join(f"{c} = q.{c} + excluded.{c}" for c in _SUMS)
_SUMMED = ", ".join(f"sum({c})" for c in _SUMS)
QUARTERS = "(SELECT * FROM usage_quarters UNION ALL SELECT * FROM usage_quarters_log)"
DEVICE_QUARTERS = "(SELECT * FROM usage_device_quarters UNION ALL SELECT * FROM usage_device_quarters_log)"


def fold(conn: psycopg.Connection) -> None:
    """Move the logs' differences into the sums, unless another connection is doing it now."""
    with conn.transaction():
        locked = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_LOCK,)).fetchone()
        if not locked or not locked[0]:
            return
        conn.execute(f"WITH moved AS (DELETE FROM usage_quarters_log RETURNING *) "
                     f"INSERT INTO usage_quarters AS q SELECT quarter, provider, model, {_SUMMED} FROM moved "
                     f"GROUP BY 1, 2, 3 ON CONFLICT (quarter, provider, model) DO UPDATE SET {_ADD}".encode())
        conn.execute(f"WITH moved AS (DELETE FROM usage_device_quarters_log RETURNING *) "
                     f"INSERT INTO usage_device_quarters AS q SELECT device_id, quarter, {_SUMMED} FROM moved "
                     f"GROUP BY 1, 2 ON CONFLICT (device_id, quarter) DO UPDATE SET {_ADD}".encode())
