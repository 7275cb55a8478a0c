"""Bringing stored costs in line with the price table in force.

A response is priced when it is ingested. When the table changes (a new
bundled table in an upgrade, ``pricing update``, or a store migrated to keep
more of each response), every response we priced is priced again, in SQL, by
the table's own ``cost``: the table's ``version`` is kept in ``meta`` as
``pricing_version``, and the scan that finds it differs reprices first.
Responses whose cost came from the log itself keep it.
"""

from __future__ import annotations

from typing import Any

import apsw
import msgspec

from ..core import pricing
from . import quarters
from .connection import write_transaction

VERSION_KEY = "pricing_version"

# The last argument: whether the row is one response (tiered), not a vendor's daily total.
_ARGS = """model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens,
    (SELECT provider FROM sessions s WHERE s.id = usage.session_id)
        NOT IN (SELECT value FROM json_each(:totals))"""
# Each row is priced once (a Python call), then both columns are set from that price.
_REPRICE = f"""
UPDATE usage SET
    cost_usd = coalesce(p.cost, 0),
    priced = CASE WHEN p.cost IS NULL THEN {pricing.UNKNOWN} ELSE {pricing.FROM_TABLE} END
FROM (SELECT rowid AS id, llm_cost({_ARGS}) AS cost FROM usage WHERE priced <> {pricing.FROM_LOG}) AS p
WHERE usage.rowid = p.id
"""


def reprice(conn: apsw.Connection) -> int:
    """Price every response we priced again with the table in force; how many there were."""
    from ..sources import TOTALS_PROVIDERS  # only here: a status line storing one response imports no other source

    table = pricing.load_table()

    def llm_cost(*row: Any) -> float | None:  # the columns of _ARGS
        model, i, o, cw, cr, cw_1h, tiered = row
        return table.cost(model, i, o, cw, cr, cache_creation_1h_tokens=cw_1h, tiered=bool(tiered))

    conn.create_scalar_function("llm_cost", llm_cost, 7, deterministic=True)
    with write_transaction(conn):
        conn.execute(_REPRICE, {"totals": msgspec.json.encode(sorted(TOTALS_PROVIDERS)).decode()})
        repriced = conn.changes()
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (VERSION_KEY, table.version))
        quarters.usage_changed(conn)
    return repriced


def reprice_if_stale(conn: apsw.Connection) -> int:
    """``reprice`` when the store was priced with another table (or never recorded which)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (VERSION_KEY,)).fetchone()
    if row is not None and row[0] == pricing.load_table().version:
        return 0
    return reprice(conn)
