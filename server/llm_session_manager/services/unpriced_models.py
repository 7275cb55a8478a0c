"""Usage of models without a price: reported as unknown, never as $0.

A response whose model the price table does not know is stored with
``priced = pricing.UNKNOWN`` and ``cost_usd = 0`` (the column cannot be null);
``usage_quarters.unpriced`` counts them. Reports turn that back into "unknown":
a cost with an unpriced part is the sum of the priced parts, flagged
``cost_complete: false``, and ``null`` when no part of it is priced. The
frontends name the models on stderr (``cli/_context.warn_unpriced``).
"""

from __future__ import annotations

import apsw
import msgspec

from ..core import pricing
from ..store import quarters


def known_cost(cost: float, unpriced: int | bool) -> float | None:
    """The priced part of a cost, rounded; None when part is unpriced and nothing of it is priced."""
    return None if unpriced and not cost else round(cost, 6)


def in_range(conn: apsw.Connection, start: float | None, end: float | None, provider: str | None) -> list[str]:
    """The unpriced models used from ``start`` to ``end`` (unix times, None: open), by provider if given."""
    quarters.refresh(conn)
    clauses: list[str] = ["unpriced > 0"]
    params: list[float | str] = []
    if start is not None:
        clauses.append("quarter >= ?")
        params.append(start // quarters.QUARTER_HOUR)
    if end is not None:
        clauses.append("quarter < ?")
        params.append(end // quarters.QUARTER_HOUR)
    if provider:
        clauses.append("provider = ?")
        params.append(provider)
    sql = f"SELECT DISTINCT model FROM usage_quarters WHERE {' AND '.join(clauses)} ORDER BY model"
    return [model for (model,) in conn.execute(sql, params)]


def of_sessions(conn: apsw.Connection, session_ids: list[str]) -> list[str]:
    """The unpriced models the given sessions used."""
    if not session_ids:
        return []
    sql = (f"SELECT DISTINCT model FROM usage WHERE priced = {pricing.UNKNOWN} "
           "AND session_id IN (SELECT value FROM json_each(?)) ORDER BY model")
    return [model for (model,) in conn.execute(sql, (msgspec.json.encode(session_ids).decode(),))]
