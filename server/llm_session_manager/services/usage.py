"""Token and cost reports grouped by day, month, session, model, project or provider.

Token fields mean what ccusage reports (input excludes cache reads; output
includes reasoning), so the two tools can be compared line by line. Days and
months are in local time; SQLite's ``localtime`` follows ``TZ`` as ccusage does.
"""

from __future__ import annotations

import re

import apsw

from ..errors import BadInput
from ..models import UsageReport, UsageReportRow, UsageTotals
from ..store import write_transaction
from . import pricing

GROUPS = ("day", "month", "session", "model", "project", "provider")

_KEY = {
    "day": "date(u.ts, 'unixepoch', 'localtime')",
    "month": "strftime('%Y-%m', u.ts, 'unixepoch', 'localtime')",
    "session": "u.session_id",
    "model": "u.model",
    "project": "coalesce(s.project, '(none)')",
    "provider": "s.provider",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def report(
    conn: apsw.Connection,
    by: str = "day",
    *,
    since: str | None = None,
    until: str | None = None,
    provider: str | None = None,
) -> UsageReport:
    """Usage summed per group; ``since``/``until`` are inclusive local dates."""
    if by not in _KEY:
        raise BadInput(f"cannot group usage by {by!r}; choose one of {', '.join(GROUPS)}")
    clauses, params = [], []
    for name, value, op in (("since", since, ">="), ("until", until, "<=")):
        if value is None:
            continue
        if not _DATE.fullmatch(value):
            raise BadInput(f"--{name} must be a date like 2025-01-31, got {value!r}")
        clauses.append(f"date(u.ts, 'unixepoch', 'localtime') {op} ?")
        params.append(value)
    if provider:
        clauses.append("s.provider = ?")
        params.append(provider)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    needs_session = provider or by in ("project", "provider")
    join = "JOIN sessions s ON s.id = u.session_id" if needs_session else ""
    order = "total_tokens DESC, key" if by in ("session", "model", "project", "provider") else "key"
    sql = f"""
        SELECT {_KEY[by]} AS key, sum(u.input_tokens), sum(u.output_tokens),
               sum(u.cache_creation_tokens), sum(u.cache_read_tokens),
               sum(u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens)
                   AS total_tokens,
               sum(u.cost_usd)
        FROM usage u {join}
        {where}
        GROUP BY key ORDER BY {order}
    """
    rows = [
        UsageReportRow(
            key=key,
            input_tokens=i,
            output_tokens=o,
            cache_creation_tokens=cc,
            cache_read_tokens=cr,
            total_tokens=t,
            cost_usd=round(c, 6),
        )
        for key, i, o, cc, cr, t, c in conn.execute(sql, params)
    ]
    totals = UsageTotals(
        input_tokens=sum(r.input_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cache_creation_tokens=sum(r.cache_creation_tokens for r in rows),
        cache_read_tokens=sum(r.cache_read_tokens for r in rows),
        total_tokens=sum(r.total_tokens for r in rows),
        cost_usd=round(sum(r.cost_usd for r in rows), 6),
    )
    return UsageReport(rows=rows, totals=totals)


def reprice(conn: apsw.Connection) -> int:
    """Recompute the cost of every response we priced, after the table changed.

    Rows whose cost came from the log itself (``priced = 0``) keep it.
    """
    conn.create_scalar_function("llm_cost", pricing.cost, 5, deterministic=True)
    with write_transaction(conn):
        conn.execute(
            """UPDATE usage SET cost_usd = llm_cost(model, input_tokens, output_tokens,
                                                    cache_creation_tokens, cache_read_tokens)
               WHERE priced = 1"""
        )
        return conn.changes()
