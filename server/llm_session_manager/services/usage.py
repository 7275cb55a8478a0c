"""Token and cost reports grouped by day, month, session, model, project or provider.

Token fields mean what ccusage reports (input excludes cache reads; output
includes reasoning), so the two tools can be compared line by line. Days and
months are in local time and follow ``TZ``, as ccusage does.
"""

from __future__ import annotations

import datetime
import math
import re
import time
from typing import Any

import apsw

from ..errors import BadInput
from ..models import UsageReport, UsageReportRow, UsageTotals
from ..store import quarters, session_sums, write_transaction
from . import pricing

GROUPS = ("day", "month", "session", "model", "project", "provider")

# Day, month, model and provider are summed from ``usage_quarters`` (store/quarters.py),
# a few rows per hour of use; session and project from ``usage_sessions``
# (store/session_sums.py), or from every response in a window of dates. Quarter
# hours get their local day from the platform's ``localtime``, so DST follows ``TZ``
# exactly as ccusage's does.
_QUARTERS_KEY = {"day": "quarter", "month": "quarter", "model": "model", "provider": "provider"}
_RESPONSES_KEY = {"session": "u.session_id", "project": "coalesce(s.project, '(none)')"}
_LOCAL_FORMAT = {"day": "%Y-%m-%d", "month": "%Y-%m"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SESSION_COLUMNS = "u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens, u.cost_usd"
_SUMS = "sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd)"


def report(
    conn: apsw.Connection,
    by: str = "day",
    *,
    since: str | None = None,
    until: str | None = None,
    provider: str | None = None,
) -> UsageReport:
    """Usage summed per group; ``since``/``until`` are inclusive local dates."""
    if by not in GROUPS:
        raise BadInput(f"cannot group usage by {by!r}; choose one of {', '.join(GROUPS)}")
    start = None if since is None else local_midnight("since", since)
    end = None if until is None else local_midnight("until", until, days_after=1)
    local = _LOCAL_FORMAT.get(by)
    sums = _sums(conn, by, start, end, provider)
    if local:
        sums = _by_local_time(sums, local)
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
    if not local:
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


def _sums(conn: apsw.Connection, by: str, start: float | None, end: float | None,
          provider: str | None) -> dict[Any, list]:
    """The five sums per key, in key order; day and month keyed by quarter hour."""
    if by in _QUARTERS_KEY:
        quarters.refresh(conn)
        key, table, time_column, step = _QUARTERS_KEY[by], "usage_quarters", "quarter", quarters.QUARTER_HOUR
        provider_column = "provider"
    elif start is None and end is None:  # all time: the sums per session (store/session_sums.py)
        session_sums.refresh(conn)
        key, table, time_column, step = _RESPONSES_KEY[by], "usage_sessions u", "", 1
        provider_column = "s.provider"
        if by == "project" or provider:
            table += " JOIN sessions s ON s.id = u.session_id"
    else:
        key, table, time_column, step = _RESPONSES_KEY[by], "usage u", "u.ts", 1
        provider_column = "s.provider"
        if by == "project" or provider:
            table += " JOIN sessions s ON s.id = u.session_id"
    clauses, params = [], []
    # Local midnights are whole quarter hours, so the bounds cut no quarter in two.
    if start is not None:
        clauses.append(f"{time_column} >= ?")
        params.append(start // step)
    if end is not None:
        clauses.append(f"{time_column} < ?")
        params.append(end // step)
    if provider:
        clauses.append(f"{provider_column} = ?")
        params.append(provider)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = f"SELECT {key} AS key, {_SUMS} FROM {table} {where} GROUP BY key ORDER BY key"
    if table.startswith("usage_sessions") and by == "session":  # a row per session already: nothing to add up
        sql = f"SELECT {key}, {_SESSION_COLUMNS} FROM {table} {where}"
    return {key: values for key, *values in conn.execute(sql, params)}


def _by_local_time(by_quarter: dict[int, list], fmt: str) -> dict[str, list]:
    """Quarter-hour sums (in order) added up per local day or month.

    ``localtime`` is asked once per local day, not per quarter: a quarter
    before the next local midnight is on the same day as the one before it.
    """
    sums: dict[str, list] = {}
    key, next_day = "", -math.inf
    for quarter, values in by_quarter.items():
        at = quarter * quarters.QUARTER_HOUR
        if at >= next_day:
            now = time.localtime(at)
            key = time.strftime(fmt, now)
            next_day = time.mktime((now.tm_year, now.tm_mon, now.tm_mday + 1, 0, 0, 0, 0, 0, -1))
        acc = sums.setdefault(key, [0, 0, 0, 0, 0.0])
        for n, v in enumerate(values):
            acc[n] += v
    return sums


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
        repriced = conn.changes()
        quarters.usage_changed(conn)
        return repriced
