"""Token and cost reports grouped by day, week, month, session, model, project or provider.

Token fields mean what ccusage reports (input excludes cache reads; output
includes reasoning), so the two tools can be compared line by line. Days,
weeks and months are in local time and follow ``TZ``, as ccusage does, or in
the IANA zone a report is asked for. A week is keyed by the date of its
Monday (ccusage ``weekly --start-of-week monday``).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import apsw

from ..core import args, pricing, when
from ..core.errors import BadArgument
from ..core.models import (
    ATTRIBUTION_GROUPS,
    Provenance,
    UsageModelRow,
    UsageReport,
    UsageReportRow,
    UsageTotals,
    provenance,
)
from ..store import quarters, session_sums
from . import unpriced_models

_TIMED: dict[str, Callable[[datetime.date], str]] = {
    "day": lambda d: d.isoformat(),
    "week": lambda d: (d - datetime.timedelta(days=d.weekday())).isoformat(),
    "month": lambda d: f"{d.year:04d}-{d.month:02d}",
}
_SUMS = "sum({p}input_tokens), sum({p}output_tokens), sum({p}cache_creation_tokens), " \
        "sum({p}cache_read_tokens), sum({p}cost_usd)"


class _Source(NamedTuple):
    """Where sums come from: the quarter-hour sums, or every response."""

    table: str
    time: str  # the time column
    step: int  # seconds per unit of ``time``
    keys: dict[str, str]  # group -> SQL for its key; groups it cannot serve are absent
    provider: str
    model: str
    prefix: str  # of the summed columns
    unpriced: str  # SQL counting the responses without a price


# Day, week, month, model and provider are summed from ``usage_quarters``
# (store/quarters.py), a few rows per hour of use; session and project, and any
# report cut at an instant that is not a whole quarter hour, from every response.
_QUARTERS = _Source(
    "usage_quarters", "quarter", quarters.QUARTER_HOUR,
    {"day": "quarter", "week": "quarter", "month": "quarter", "model": "model", "provider": "provider"},
    "provider", "model", "", "sum(unpriced)",
)
_RESPONSES = _Source(
    "usage u LEFT JOIN sessions s ON s.id = u.session_id", "u.ts", 1,
    {"day": "u.ts", "week": "u.ts", "month": "u.ts", "model": "u.model", "provider": "coalesce(s.provider, '')",
     "session": "u.session_id", "project": "coalesce(s.project, '(none)')"},
    "s.provider", "u.model", "u.", f"sum(u.priced = {pricing.UNKNOWN})",
)
# Day, week and month of every provider from the responses themselves, by quarter hour: for the
# report right after a first scan, before the quarter-hour sums are rebuilt (``_days_of_quarters``).
_DIRECT = _Source(
    "usage", f"CAST(ts / {quarters.QUARTER_HOUR} AS INTEGER)", quarters.QUARTER_HOUR,
    {"day": f"CAST(ts / {quarters.QUARTER_HOUR} AS INTEGER)"}, "", "model", "", f"sum(priced = {pricing.UNKNOWN})",
)
# Session and project over all time: the sums per session (store/session_sums.py),
# one row per session instead of every response.
_SESSIONS = _Source(
    "usage_sessions u LEFT JOIN sessions s ON s.id = u.session_id", "", 1,
    {"session": "u.session_id", "project": "coalesce(s.project, '(none)')"},
    "s.provider", "NULL", "u.", "sum(u.unpriced)",
)

_Sums = dict[Any, dict[str | None, list[float]]]  # key -> model (None without breakdown) -> five sums, unpriced count


class _NotWholeQuarters(Exception):
    """A day in the asked-for zone does not begin on a quarter hour (offsets before 1980)."""


def report(
    conn: apsw.Connection,
    by: str = "day",
    *,
    since: str | None = None,
    until: str | None = None,
    provider: str | None = None,
    project: str | None = None,
    timezone: str | None = None,
    breakdown: bool = False,
) -> UsageReport:
    """Usage summed per group.

    ``since``/``until`` take what ``list --since`` takes: a date (inclusive, a
    whole day in ``timezone``), an ISO time or an age (``7d``). ``timezone`` is
    an IANA name for the day, week and month keys and dates (default: local
    time). ``breakdown`` adds each row's ``models``.
    """
    args.check(by, args.UsageGroup, "by")
    if by in ATTRIBUTION_GROUPS:
        if breakdown:
            raise BadArgument("breakdown", f"splits rows by model, not by {by}'s rows")
        from . import attribution

        return attribution.report(conn, by, since=since, until=until, provider=provider, project=project,
                                  timezone=timezone)
    tz = when.zone(timezone)
    start = None if since is None else when.start(since, name="since", tz=tz)
    end = None if until is None else when.end(until, name="until", tz=tz)
    fmt = _TIMED.get(by)
    whole = all(t is None or t % quarters.QUARTER_HOUR == 0 for t in (start, end))
    if whole and project is None and by in _QUARTERS.keys:
        source = _QUARTERS
    elif start is None and end is None and not breakdown and by in _SESSIONS.keys:
        source = _SESSIONS
    else:
        source = _RESPONSES
    if source is _SESSIONS and by == "session":
        return _per_session(conn, provider, project)
    try:
        sums = _days_of_quarters(conn, start, end, provider, breakdown, fmt, tz) \
            if fmt and source is _QUARTERS else None
        if sums is None:
            sums = _sums(conn, source, by, start, end, provider, project, breakdown)
            if fmt:
                sums = _by_calendar(sums, fmt, tz, whole_quarters=source is _QUARTERS)
    except _NotWholeQuarters:
        assert fmt is not None  # only days, weeks and months are cut at midnights
        sums = _by_calendar(_sums(conn, _RESPONSES, by, start, end, provider, project, breakdown), fmt, tz)
    rows = [_row(str(key), models, breakdown) for key, models in sums.items()]
    _label(rows, _estimated_keys(conn, by, fmt, tz, start, end, provider, project))
    if not fmt:
        rows.sort(key=lambda r: (-r.total_tokens, r.key))
    totals = totals_of(rows)
    unpriced = [] if totals.cost_complete else _unpriced(conn, start, end, provider, project)
    return UsageReport(rows=rows, totals=totals, unpriced_models=unpriced)


# Responses with estimated counts, through the partial index ``usage_estimated`` (migration 018).
_ESTIMATED = _RESPONSES._replace(
    table="(SELECT * FROM usage INDEXED BY usage_estimated WHERE NOT exact) u LEFT JOIN sessions s ON s.id = u.session_id",
)


def _estimated_keys(conn: apsw.Connection, by: str, fmt: Callable[[datetime.date], str] | None, tz: when.Zone,
                    start: float | None, end: float | None, provider: str | None, project: str | None) -> set[str]:
    """The report's keys whose rows hold a response with estimated counts (few: most logs count exactly)."""
    sums = _sums(conn, _ESTIMATED, by, start, end, provider, project, False)
    if fmt:
        sums = _by_calendar(sums, fmt, tz)
    return {str(key) for key in sums}


def _label(rows: list[UsageReportRow], estimated: set[str]) -> None:
    """Each row's provenance: exact tokens unless a response of it is estimated; its cost as ``provenance`` says."""
    for row in rows:
        row.provenance = provenance(row.key in estimated, row.cost_complete)


def totals_of(rows: Sequence[UsageReportRow]) -> UsageTotals:
    """The sums of ``rows``, with their provenance: a report's totals line."""
    complete = all(r.cost_complete for r in rows)
    # Tokens estimated if any row's are; the cost as ``provenance`` says.
    estimated = any(isinstance(r.provenance, Provenance) and r.provenance.tokens == "estimated" for r in rows)
    return UsageTotals(
        input_tokens=sum(r.input_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cache_creation_tokens=sum(r.cache_creation_tokens for r in rows),
        cache_read_tokens=sum(r.cache_read_tokens for r in rows),
        total_tokens=sum(r.total_tokens for r in rows),
        cost_usd=unpriced_models.known_cost(sum(r.cost_usd or 0.0 for r in rows), not complete),
        cost_complete=complete,
        provenance=provenance(estimated, complete),
    )


def _per_session(conn: apsw.Connection, provider: str | None, project: str | None) -> UsageReport:
    """``report`` by session over all time, straight from ``usage_sessions``, one row each.

    What the general path makes of the same sums (rows, their order, the totals
    added up in that order), without its dictionaries and generators: 20,000
    sessions take 25 ms here instead of 0.15 s.
    """
    session_sums.refresh(conn)
    clauses, params = _filters(_SESSIONS, None, None, provider, project)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = ("SELECT u.session_id, u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens, "
           f"u.cost_usd, u.unpriced > 0, NOT u.exact FROM {_SESSIONS.table} {where} "
           "ORDER BY u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens DESC, "
           "u.session_id")
    rows: list[UsageReportRow] = []
    costs: list[float] = []
    i_all = o_all = cc_all = cr_all = 0
    any_unpriced = any_estimated = False
    for key, i, o, cc, cr, cost, unpriced, estimated in conn.execute(sql, params):
        known = unpriced_models.known_cost(0.0 + (cost or 0), unpriced)
        rows.append(UsageReportRow(key, i, o, cc, cr, i + o + cc + cr, known, not unpriced,
                                   provenance=provenance(estimated, not unpriced)))
        i_all, o_all, cc_all, cr_all = i_all + i, o_all + o, cc_all + cc, cr_all + cr
        costs.append(known or 0.0)
        any_unpriced |= unpriced
        any_estimated |= estimated
    complete = not any_unpriced
    totals = UsageTotals(
        input_tokens=i_all, output_tokens=o_all, cache_creation_tokens=cc_all, cache_read_tokens=cr_all,
        total_tokens=i_all + o_all + cc_all + cr_all,
        cost_usd=unpriced_models.known_cost(sum(costs), not complete), cost_complete=complete,
        provenance=provenance(any_estimated, complete),
    )
    unpriced_names = [] if complete else _unpriced(conn, None, None, provider, project)
    return UsageReport(rows=rows, totals=totals, unpriced_models=unpriced_names)


def _unpriced(conn: apsw.Connection, start: float | None, end: float | None, provider: str | None,
              project: str | None) -> list[str]:
    """The models without a price among the report's responses; a project's from its own responses,
    chosen by the report's filters (the quarter-hour sums know no project)."""
    if project is None:
        return unpriced_models.in_range(conn, start, end, provider)
    clauses, params = _filters(_RESPONSES, start, end, provider, project)
    sql = (f"SELECT DISTINCT u.model FROM {_RESPONSES.table} "
           f"WHERE u.priced = {pricing.UNKNOWN} AND {' AND '.join(clauses)} ORDER BY u.model")
    return [model for (model,) in conn.execute(sql, params)]


def _row(key: str, models: dict[str | None, list[float]], breakdown: bool) -> UsageReportRow:
    whole = [0, 0, 0, 0, 0.0, 0]
    for values in models.values():
        _add(whole, values)
    row = UsageReportRow(key, *_fields(whole))
    if breakdown:
        shares = [UsageModelRow(model or "", *_fields([v or 0 for v in values])) for model, values in models.items()]
        row.models = sorted(shares, key=lambda m: (-(m.cost_usd or 0.0), -m.total_tokens, m.model))
    return row


def _fields(v: list[float]) -> tuple[int, int, int, int, int, float | None, bool]:
    """Token sums, total and cost of five sums and an unpriced count; the cost is unknown without a price."""
    i, o, cc, cr = (int(x) for x in v[:4])
    unpriced = bool(v[5])
    return i, o, cc, cr, i + o + cc + cr, unpriced_models.known_cost(v[4], unpriced), not unpriced


def _sums(conn: apsw.Connection, source: _Source, by: str, start: float | None, end: float | None,
          provider: str | None, project: str | None, breakdown: bool) -> _Sums:
    """The five sums per key (and model), in key order; day, week and month keyed by their time column."""
    if source is _QUARTERS:
        quarters.refresh(conn)
    elif source is _SESSIONS:
        session_sums.refresh(conn)
    clauses, params = _filters(source, start, end, provider, project)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    key = source.keys[by]
    model = source.model if breakdown else "NULL"
    # Not grouped by a constant split: SQLite then sums in the order of the key's index, where
    # it can (the quarters' primary key), instead of sorting twice (half of a warm ``usage``'s query).
    grouping = "grouped, split" if breakdown else "grouped"
    sql = (f"SELECT {key} AS grouped, {model} AS split, {_SUMS.format(p=source.prefix)}, {source.unpriced} "
           f"FROM {source.table} {where} GROUP BY {grouping} ORDER BY grouped")
    sums: _Sums = {}
    for k, m, *values in conn.execute(sql, params):
        at = k * source.step if key == source.time else k
        sums.setdefault(at, {})[m] = values
    return sums


def response_filters(start: float | None, end: float | None, provider: str | None,
                     project: str | None) -> tuple[list[str], list[object]]:
    """The WHERE clauses (and parameters) that pick a report's responses from ``usage u`` joined
    with ``sessions s``: the same responses ``report`` sums (services/attribution.py groups them)."""
    return _filters(_RESPONSES, start, end, provider, project)


def _filters(source: _Source, start: float | None, end: float | None, provider: str | None,
             project: str | None) -> tuple[list[str], list[object]]:
    """The WHERE clauses (and their parameters) of a report from ``source``."""
    clauses: list[str] = []
    params: list[object] = []
    # Quarters are read only between whole quarter hours (``report`` checks): no quarter is cut in two.
    if start is not None:
        clauses.append(f"{source.time} >= ?")
        params.append(start // source.step if source.step > 1 else start)
    if end is not None:
        clauses.append(f"{source.time} < ?")
        params.append(end // source.step if source.step > 1 else end)
    if provider:
        clauses.append(f"{source.provider} = ?")
        params.append(provider)
    if project is not None:
        clauses.append("s.project = ?")
        params.append(project)
    return clauses, params


def _by_calendar(by_time: _Sums, fmt: Callable[[datetime.date], str], tz: when.Zone,
                 *, whole_quarters: bool = False) -> dict[str, dict[str | None, list[float]]]:
    """Sums keyed by unix time (in order) added up per day, week or month in ``tz``.

    The zone is asked once per day, not per row: a time before the next
    midnight is on the same day as the one before it. With ``whole_quarters``
    the times are quarter hours, and a day must begin and end on one.
    """
    out: dict[str, dict[str | None, list[float]]] = {}
    key, next_day = "", float("-inf")
    acc: dict[str | None, list[float]] = {}
    for at, models in by_time.items():
        assert isinstance(at, (int, float))
        if at >= next_day:
            day = when.local_date(at, tz)
            key = fmt(day)
            bounds = when.midnight(day, tz), when.midnight(day + datetime.timedelta(days=1), tz)
            if whole_quarters and any(b % quarters.QUARTER_HOUR for b in bounds):
                raise _NotWholeQuarters
            next_day = bounds[1]
            acc = out.setdefault(key, {})  # a week or month goes on over the days of its key
        for m, values in models.items():
            _add(acc.setdefault(m, [0, 0, 0, 0, 0.0, 0]), values)
    return out


_EPOCH = datetime.date(1970, 1, 1)
_DAY_QUARTERS = 86400 // quarters.QUARTER_HOUR
_OFFSET_LOOKS = 7 * _DAY_QUARTERS  # quarters between looks at the UTC offset: its changes are months apart


def _days_of_quarters(conn: apsw.Connection, start: float | None, end: float | None, provider: str | None,
                      breakdown: bool, fmt: Callable[[datetime.date], str],
                      tz: when.Zone) -> dict[str, dict[str | None, list[float]]] | None:
    """``_by_calendar(_sums(conn, _QUARTERS, ...))``, the days summed by SQLite: a row per day
    instead of one per quarter hour of use, which took two thirds of a warm ``usage --by day``.

    A quarter's local day is (quarter + UTC offset in quarters) // 96, with the offset
    in force from each of its changes over the range (``_offset_changes``). Each day's
    first and last quarter must lie within the day as ``_by_calendar`` cuts it:
    where one does not (a change between two looks), None, and the caller sums
    quarter by quarter.
    """
    # Right after a first usage the sums are to be rebuilt whole (a sort of every response, a
    # fifth of it at 1 GB) and its conversation is left to a continuation, which rebuilds them
    # (ingest/_conversation.py): its report sums the responses themselves. SQLite sums floats
    # compensated (Kahan-Babuska-Neumaier), so the days come out as from the quarters.
    direct = provider is None and quarters.rebuild_pending(conn) and _continuation_ahead(conn)
    if not direct:
        quarters.refresh(conn)
    source = _DIRECT if direct else _QUARTERS
    clauses, params = _filters(source, start, end, provider, None)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    quarter = source.keys["day"]
    if direct:  # no index has the responses' quarters: one scan for both
        lo, hi = next(conn.execute(f"SELECT min({quarter}), max({quarter}) FROM {source.table} {where}", params))
    else:  # two look-ups by an index; ``min`` and ``max`` in one query would scan every row
        lo, hi = next(conn.execute(f"SELECT (SELECT min({quarter}) FROM {source.table} {where}), "
                                   f"(SELECT max({quarter}) FROM {source.table} {where})", params + params))
    if lo is None:
        return {}
    if hi - lo > _OFFSET_LOOKS * 1100:  # over 21 years (a log's time gone wrong): not worth a look a week
        return None
    try:
        changes = _offset_changes(lo, hi, tz)
    except (OverflowError, ValueError, OSError):  # a time the platform's calendar cannot take
        return None
    if changes is None:
        return None
    offset = str(changes[-1][1])  # SQL for the offset in force at quarter ``q``
    if len(changes) > 1:
        offset = f"CASE {''.join(f'WHEN q < {at} THEN {off} ' for (at, _), (_, off) in zip(changes[1:], changes))}" \
            f"ELSE {offset} END"
    split = "model" if breakdown else "NULL"
    sql = (f"SELECT (q + {offset}) / {_DAY_QUARTERS} AS day, split, min(q), max(q), "
           "sum(i), sum(o), sum(cc), sum(cr), sum(cost), sum(unpriced) "
           f"FROM (SELECT {quarter} AS q, {split} AS split, sum(input_tokens) AS i, sum(output_tokens) AS o, "
           "sum(cache_creation_tokens) AS cc, sum(cache_read_tokens) AS cr, sum(cost_usd) AS cost, "
           f"{source.unpriced} AS unpriced FROM {source.table} {where} GROUP BY q{', model' if breakdown else ''}) "
           "GROUP BY day, split ORDER BY day")
    out: dict[str, dict[str | None, list[float]]] = {}
    acc: dict[str | None, list[float]] = {}
    number = None
    begins = ends = 0.0
    for n, m, first, last, *values in conn.execute(sql, params):
        if n != number:
            number, day = n, _EPOCH + datetime.timedelta(days=n)
            begins, ends = when.midnight(day, tz), when.midnight(day + datetime.timedelta(days=1), tz)
            if begins % quarters.QUARTER_HOUR or ends % quarters.QUARTER_HOUR:
                raise _NotWholeQuarters
            acc = out.setdefault(fmt(day), {})  # a week or month goes on over the days of its key
        if first * quarters.QUARTER_HOUR < begins or (last + 1) * quarters.QUARTER_HOUR > ends:
            return None
        _add(acc.setdefault(m, [0, 0, 0, 0, 0.0, 0]), values)
    return out


def _continuation_ahead(conn: apsw.Connection) -> bool:
    """Whether a first usage left conversation to a continuation, which rebuilds the sums after it."""
    from ..ingest import conversation_behind  # only here: a whole rebuild pending is rare

    return conversation_behind(conn)


def _offset_changes(lo: int, hi: int, tz: when.Zone) -> list[tuple[int, int]] | None:
    """From quarter ``lo`` to ``hi``, each quarter where ``tz``'s UTC offset changes (``lo``
    first), with the offset from then on in quarters: looked at every week, and found
    between two looks that differ. None if an offset is not whole quarter hours."""

    def offset(q: int) -> int:
        at = q * quarters.QUARTER_HOUR
        if tz is None:
            return time.localtime(at).tm_gmtoff
        delta = datetime.datetime.fromtimestamp(at, tz).utcoffset()
        return 0 if delta is None else int(delta.total_seconds())

    changes = [(lo, offset(lo))]
    q = lo
    while q < hi:
        ahead = min(q + _OFFSET_LOOKS, hi)
        if offset(ahead) == changes[-1][1]:
            q = ahead
            continue
        same, other = q, ahead  # the first quarter with another offset is after ``same``, at most ``other``
        while other - same > 1:
            middle = (same + other) // 2
            same, other = (middle, other) if offset(middle) == changes[-1][1] else (same, middle)
        changes.append((other, offset(other)))
        q = other
    if any(off % quarters.QUARTER_HOUR for _, off in changes):
        return None
    return [(at, off // quarters.QUARTER_HOUR) for at, off in changes]


def _add(acc: list[float], values: Sequence[float]) -> None:
    """Add five sums and an unpriced count to ``acc``: once per quarter hour of a
    report by day, so spelled out rather than looped (a third of its time)."""
    i, o, cc, cr, cost, unpriced = values
    acc[0] += i or 0
    acc[1] += o or 0
    acc[2] += cc or 0
    acc[3] += cr or 0
    acc[4] += cost or 0
    acc[5] += unpriced or 0


def local_midnight(name: str, value: str, days_after: int = 0) -> float:
    """Unix time of local midnight starting ``value`` (+ ``days_after`` days).

    Public so that analytics cuts its days at the very instants ``usage --by day`` does.
    """
    if not when.is_date(value):
        raise BadArgument(name, f"must be a date like 2025-01-31, got {value!r}")
    try:
        day = datetime.date.fromisoformat(value) + datetime.timedelta(days=days_after)
    except ValueError:
        raise BadArgument(name, f"is not a real date: {value!r}") from None
    return when.midnight(day, None)

