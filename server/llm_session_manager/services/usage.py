"""Token and cost reports grouped by day, month, session, model, project or provider.

Token fields mean what ccusage reports (input excludes cache reads; output
includes reasoning), so the two tools can be compared line by line. Days and
months are in local time and follow ``TZ``, as ccusage does.
"""

from __future__ import annotations

import datetime
import re
import time

import apsw

from ..errors import BadInput
from ..models import UsageReport, UsageReportRow, UsageTotals
from ..store import write_transaction
from . import pricing

GROUPS = ("day", "month", "session", "model", "project", "provider")

# Days and months are grouped in two steps: SQL sums per quarter hour (plain
# integer arithmetic, fast over a million rows), then Python names each quarter
# hour's local day. Every UTC offset in use is a multiple of 15 minutes, so a
# quarter hour never straddles local midnight, and DST is handled by the
# platform's ``localtime`` exactly as ``TZ`` says.
_QUARTER_HOUR = 900
_KEY = {
    "day": f"CAST(u.ts / {_QUARTER_HOUR} AS INTEGER)",
    "month": f"CAST(u.ts / {_QUARTER_HOUR} AS INTEGER)",
    "session": "u.session_id",
    "model": "u.model",
    "project": "coalesce(s.project, '(none)')",
    "provider": "s.provider",
}
_LOCAL_FORMAT = {"day": "%Y-%m-%d", "month": "%Y-%m"}
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
    if since is not None:
        clauses.append("u.ts >= ?")
        params.append(local_midnight("since", since))
    if until is not None:
        clauses.append("u.ts < ?")
        params.append(local_midnight("until", until, days_after=1))
    if provider:
        clauses.append("s.provider = ?")
        params.append(provider)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    needs_session = provider or by in ("project", "provider")
    join = "JOIN sessions s ON s.id = u.session_id" if needs_session else ""
    sql = f"""
        SELECT {_KEY[by]} AS key, sum(u.input_tokens), sum(u.output_tokens),
               sum(u.cache_creation_tokens), sum(u.cache_read_tokens), sum(u.cost_usd)
        FROM usage u {join}
        {where}
        GROUP BY key
    """
    sums: dict[str, list[float]] = {}
    local = _LOCAL_FORMAT.get(by)
    for key, *values in conn.execute(sql, params):
        if local:
            key = time.strftime(local, time.localtime(key * _QUARTER_HOUR))
        acc = sums.setdefault(key, [0, 0, 0, 0, 0.0])
        for n, v in enumerate(values):
            acc[n] += v
    rows = [
        UsageReportRow(
            key=key,
            input_tokens=i,
            output_tokens=o,
            cache_creation_tokens=cc,
            cache_read_tokens=cr,
            total_tokens=i + o + cc + cr,
            cost_usd=round(c, 6),
        )
        for key, (i, o, cc, cr, c) in sums.items()
    ]
    if local:
        rows.sort(key=lambda r: r.key)
    else:
        rows.sort(key=lambda r: (-r.total_tokens, r.key))
    totals = UsageTotals(
        input_tokens=sum(r.input_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cache_creation_tokens=sum(r.cache_creation_tokens for r in rows),
        cache_read_tokens=sum(r.cache_read_tokens for r in rows),
        total_tokens=sum(r.total_tokens for r in rows),
        cost_usd=round(sum(r.cost_usd for r in rows), 6),
    )
    return UsageReport(rows=rows, totals=totals)


def local_midnight(name: str, value: str, days_after: int = 0) -> float:
    """Unix time of local midnight starting ``value`` (+ ``days_after`` days).

    Public so that analytics cuts its days at the very instants ``usage --by day`` does.
    """
    if not _DATE.fullmatch(value):
        raise BadInput(f"--{name} must be a date like 2025-01-31, got {value!r}")
    try:
        day = datetime.date.fromisoformat(value) + datetime.timedelta(days=days_after)
    except ValueError:
        raise BadInput(f"--{name} is not a real date: {value!r}") from None
    return time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1))


def reprice(conn: apsw.Connection) -> int:
    """Recompute the cost of every response we priced, after the table changed.

    Rows whose cost came from the log itself (``priced = 0``) keep it.
    """
    # The table's own method: the module-level ``pricing.cost`` looks the table up per call.
    conn.create_scalar_function("llm_cost", pricing.load_table().cost, 5, deterministic=True)
    with write_transaction(conn):
        conn.execute(
            """UPDATE usage SET cost_usd = llm_cost(model, input_tokens, output_tokens,
                                                    cache_creation_tokens, cache_read_tokens)
               WHERE priced = 1"""
        )
        return conn.changes()
