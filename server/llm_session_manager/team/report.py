"""Usage summed for whoever asks: the same report shape as ``usage --json``.

An admin sees the team's usage; a member or viewer the responses one of their
own devices pushed, and those of the sessions (and projects) granted to them, as
their owner's devices pushed them (``access.readable_usage_sql``). Each response
counts once however many devices pushed it, except in the rows of ``by=device``,
each device's own view (so they may add up to more than the totals: that
overlap is what they show). An admin's report over whole quarter hours reads
the rollups of team migration 006 (``rollups``), and so does a member's (their
own rollups, team migration 9: by model over whole UTC days); a member holding
grants adds the granted sessions' responses that none of their devices pushed,
from their owners' rollups, or summed from those sessions' responses alone
(``_granted``). Other windows sum
every response the caller may read.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, get_args

from ..core import pricing, when
from ..core.errors import BadArgument
from ..core.models import UsageReport, UsageReportRow, provenance
from ..services.unpriced_models import known_cost
from ..services.usage import totals_of
from . import access, rollups
from .auth import Caller

if TYPE_CHECKING:
    import psycopg

TeamGroup = Literal["day", "model", "device"]
TEAM_GROUPS: tuple[str, ...] = get_args(TeamGroup)
QUARTER_HOUR = 900  # days are made of quarter-hour sums: every zone's midnight falls on one
DAY = 86400

_SUMS = (f"sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens), sum(u.cache_read_tokens), "
         f"sum(u.cost_usd), count(*) FILTER (WHERE u.priced = {pricing.UNKNOWN}), count(*) FILTER (WHERE NOT u.exact)")
_KEYS = {
    "day": f"floor(u.ts / {QUARTER_HOUR})::bigint",
    "model": "u.model",
    "device": "du.name || '/' || d.name",  # only over usage_seen
}


def report(conn: psycopg.Connection, who: Caller, by: str = "day", *, since: str | None = None,
           until: str | None = None, timezone: str | None = None, afresh: bool = False) -> UsageReport:
    """Usage per day (in ``timezone``, default the server's local time), model or device; ``afresh``:
    summed from the responses even where the rollups answer (what they must equal: the tests' check)."""
    if by not in TEAM_GROUPS:
        raise BadArgument("by", f"must be one of {', '.join(TEAM_GROUPS)}, got {by!r}")
    tz = when.zone(timezone)
    window: list[str] = []
    params: list[object] = []
    if since is not None:
        window.append("u.ts >= %s")
        params.append(when.start(since, tz=tz))
    if until is not None:
        window.append("u.ts < %s")
        params.append(when.end(until, tz=tz))
    whole_quarters = not afresh and all(t % QUARTER_HOUR == 0 for t in params if isinstance(t, float | int))
    found = _from_rollups(conn, by, tz, window, params) if who.role == "admin" and whole_quarters else None
    if found is not None:
        return found
    # The responses the caller may see, each once: for a member, those one of their devices pushed and
    # those of the sessions granted to them (access.py).
    rule, mine = access.readable_usage_sql(who)
    device_rule, devices = access.readable_seen_sql(who)
    granted = conn.execute("SELECT EXISTS (SELECT 1 FROM grants WHERE grantee_id = %s)", (who.user_id,)).fetchone()
    if whole_quarters:
        found = _from_rollups(conn, by, tz, window, params, owner=who.user_id,
                              granted=granted is not None and bool(granted[0]))
        if found is not None:
            return found
    if granted is not None and not granted[0]:
        # Nothing granted: only their own devices' responses, a condition PostgreSQL joins on (the general
        # one names each response's session, so it is asked once per response of the team).
        rule, mine = ("u.dedup_key IN (SELECT rseen.dedup_key FROM usage_seen rseen JOIN devices rd "
                      "ON rd.id = rseen.device_id WHERE rd.user_id = %s)"), [who.user_id]
        device_rule, devices = "d.user_id = %s", [who.user_id]
    scope = "WHERE " + " AND ".join([*window, rule])
    if by == "device":
        per_device = ("usage_seen s JOIN usage u ON u.dedup_key = s.dedup_key JOIN devices d ON d.id = s.device_id "
                      "JOIN users du ON du.id = d.user_id")
        where = "WHERE " + " AND ".join([*window, device_rule])
        sums = conn.execute(f"SELECT {_KEYS[by]} AS k, {_SUMS} FROM {per_device} {where} GROUP BY k".encode(),
                            params + devices).fetchall()
        rows = sorted((_row(str(k), v) for k, *v in sums), key=lambda r: (-r.total_tokens, r.key))
        # Each device's rows hold what it saw, overlaps and all; the totals count each response once.
        whole = conn.execute(f"SELECT {_SUMS} FROM usage u {scope}".encode(), params + mine).fetchone()
        totals = totals_of([_row("", list(whole))] if whole and whole[0] is not None else [])
    else:
        sums = conn.execute(f"SELECT {_KEYS[by]} AS k, {_SUMS} FROM usage u {scope} GROUP BY k ORDER BY k".encode(),
                            params + mine).fetchall()
        if by == "day":
            rows = _by_day(sums, tz)
        else:
            rows = sorted((_row(str(k), v) for k, *v in sums), key=lambda r: (-r.total_tokens, r.key))
        totals = totals_of(rows)
    unpriced: list[str] = []
    if not totals.cost_complete:
        unpriced = [m for (m,) in conn.execute(
            f"SELECT DISTINCT u.model FROM usage u {scope} AND u.priced = {pricing.UNKNOWN} "
            "ORDER BY 1".encode(), params + mine)]
    return UsageReport(rows=rows, totals=totals, unpriced_models=unpriced)


# The team migration 006's sums per quarter hour, kept in step on push: an admin's report over whole
# quarter hours (any window given as dates, in any zone) reads these instead of every response.
_ROLLED = ("sum(q.input_tokens), sum(q.output_tokens), sum(q.cache_creation_tokens), sum(q.cache_read_tokens), "
           "sum(q.cost_usd)::float8, sum(q.unpriced), sum(q.estimated)")
_ROLLED_KEYS = {"day": "q.quarter", "model": "q.model", "device": "du.name || '/' || d.name"}


# What a member holding grants may count beyond their own (access.readable_usage_sql): the responses of
# the sessions granted to them, as a granting owner's device whose row of that session a grant covers
# saw them, that none of the member's own devices saw (those are in their own rollups: each response
# counts once). A granted session is read from its owner's ``usage_session_days`` where that says the
# same (``clean``: every device of the member's or of an owner granting them anything that saw a
# response of it, by ``usage_device_sessions``, is one owner's, with a covered row of it), and its
# responses are summed otherwise: only the granted sessions' responses are read, never the team's.
_COVERED = """SELECT DISTINCT s.device_id, s.id FROM grants g JOIN devices d ON d.user_id = g.owner_id
    JOIN sessions s ON s.device_id = d.id AND ((g.scope = 'session' AND s.id = g.resource)
                                               OR (g.scope = 'project' AND s.project = g.resource))
    WHERE g.grantee_id = {member}"""
_CLEAN = """SELECT p.session_id, min(d.user_id) AS owner_id, min(p.device_id) AS device_id
    FROM usage_device_sessions p JOIN devices d ON d.id = p.device_id
    LEFT JOIN covered c ON c.device_id = p.device_id AND c.id = p.session_id
    WHERE p.session_id = ANY(ARRAY(SELECT id FROM covered))
      AND (d.user_id = {member} OR d.user_id IN (SELECT owner_id FROM grants WHERE grantee_id = {member}))
    GROUP BY 1 HAVING bool_and(c.device_id IS NOT NULL) AND count(DISTINCT d.user_id) = 1{one_device}"""
_FIGURES = f"""u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens,
    u.cost_usd::numeric AS cost_usd, (u.priced = {pricing.UNKNOWN})::int AS unpriced, (NOT u.exact)::int AS estimated,
    1 AS responses"""
# Per response, once (the member's view) or per sighting of a covered device (``by=device``'s rows).
_RESPONSES = """SELECT {member}::bigint AS user_id, {keys}, {figures} FROM usage u
    WHERE u.session_id = ANY(ARRAY(SELECT id FROM covered {unclean}))
        AND EXISTS (SELECT 1 FROM usage_seen x WHERE x.dedup_key = u.dedup_key
                    AND x.device_id = ANY(ARRAY(SELECT c.device_id FROM covered c WHERE c.id = u.session_id)))
        AND NOT EXISTS (SELECT 1 FROM usage_seen y WHERE y.dedup_key = u.dedup_key
                        AND y.device_id = ANY(ARRAY(SELECT id FROM devices WHERE user_id = {member})))"""
_SIGHTINGS = """SELECT x.device_id, floor(u.ts / 900)::bigint AS quarter, {figures}
    FROM usage u JOIN usage_seen x ON x.dedup_key = u.dedup_key
    JOIN covered c ON c.device_id = x.device_id AND c.id = u.session_id
    WHERE u.session_id = ANY(ARRAY(SELECT id FROM covered {unclean}))"""
_SHAPES = {  # the rows each rollup holds: key columns from the session days (``q``), and from a response
    "quarters": ("{member}::bigint, q.day * 96", "floor(u.ts / 900)::bigint AS quarter"),
    "models": ("{member}::bigint, q.session_id, q.day, q.provider, q.model",
               "u.session_id, floor(u.ts / 86400)::bigint AS day, u.provider, u.model"),
    "devices": ("k.device_id, q.day * 96", ""),
}


def _granted(member: int, shape: str, days: bool) -> str:
    """The rows, shaped as ``shape``'s rollup, that ``member``'s grants add to their own; ``days``: the
    clean sessions from the owners' session days (the window and the report's days are whole UTC days)."""
    covered = _COVERED.format(member=member)
    rolled, keys = _SHAPES[shape]
    if shape == "devices":
        per_response = _SIGHTINGS.format(figures=_FIGURES, unclean="{unclean}")
    else:
        per_response = _RESPONSES.format(member=member, keys=keys, figures=_FIGURES, unclean="{unclean}")
    if not days:
        return f"(WITH covered AS MATERIALIZED ({covered}) {per_response.format(unclean='')})"
    clean = _CLEAN.format(member=member, one_device=" AND count(*) = 1" if shape == "devices" else "")
    sums = ", ".join(f"q.{c}" for c in rollups.SUMS)
    return (f"(WITH covered AS MATERIALIZED ({covered}), clean AS MATERIALIZED ({clean}) "
            f"SELECT {rolled.format(member=member)}, {sums} FROM {rollups.SESSION_DAYS} q "
            f"JOIN clean k ON q.user_id = k.owner_id AND q.session_id = k.session_id "
            f"UNION ALL {per_response.format(unclean='WHERE id NOT IN (SELECT session_id FROM clean)')})")


_UTC = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu", "Universal", "Etc/Universal"}


def _from_rollups(conn: psycopg.Connection, by: str, tz: when.Zone, window: list[str],
                  params: list[object], owner: int | None = None, granted: bool = False) -> UsageReport | None:
    """The whole team's report from the rollups: the same figures the responses give, summed ahead.
    ``owner``'s (each response their devices pushed once) from the owners' rollups: per quarter hour,
    and per UTC day and model (so by model, or naming unpriced models, over whole UTC days only:
    None where the window is not); ``granted``: and the responses of the sessions granted to them
    that their devices did not see (``_granted``)."""
    spans = [w.replace("u.ts", "q.quarter * 900") for w in window]
    where = " AND ".join(spans) or "TRUE"
    whose = "TRUE" if owner is None else f"d.user_id = {int(owner)}"
    team = models = rollups.QUARTERS
    per_model, whole_days = where, True
    if owner is not None:
        whole_days = all(t % DAY == 0 for t in params if isinstance(t, float | int))
        if by == "model" and not whole_days:
            return None
        team, models = rollups.OWNER_QUARTERS, rollups.SESSION_DAYS
        if granted:  # their rollups and what their grants add, as one
            utc_days = whole_days and (by != "day" or getattr(tz, "key", None) in _UTC)
            team = (f"(SELECT user_id, quarter, {', '.join(rollups.SUMS)} FROM {team} UNION ALL "
                    f"SELECT * FROM {_granted(int(owner), 'quarters', utc_days)} g)")
            models = f"(SELECT * FROM {models} UNION ALL SELECT * FROM {_granted(int(owner), 'models', utc_days)} g)"
        where = " AND ".join([f"q.user_id = {int(owner)}", *spans])
        per_model = " AND ".join([f"q.user_id = {int(owner)}", *(w.replace("u.ts", f"q.day * {DAY}") for w in window)])
    table, outer = f"{team} q", where
    if by == "model":
        table, outer = f"{models} q", per_model
    if by == "device":  # each device's quarter hours summed by its id first, then named (200 names, not 88,000)
        sums_of = ", ".join(f"sum(q.{c}) AS {c}" for c in rollups.SUMS)
        devices = f"{rollups.DEVICE_QUARTERS} q JOIN devices d ON d.id = q.device_id WHERE {whose}"
        if owner is not None and granted:  # their devices' rollups, and the granting owners' devices' views
            seen = _granted(int(owner), "devices", whole_days)
            columns = ", ".join(f"q.{c}" for c in ("device_id", "quarter", *rollups.SUMS))
            devices = f"(SELECT {columns} FROM {devices} UNION ALL SELECT * FROM {seen} g) q WHERE TRUE"
        table = (f"(SELECT q.device_id, {sums_of} FROM {devices} AND {' AND '.join(spans) or 'TRUE'} GROUP BY 1) q "
                 "JOIN devices d ON d.id = q.device_id JOIN users du ON du.id = d.user_id")
        outer = "TRUE"
    days = _days_in_sql(conn, table, where, params, tz) if by == "day" else None
    sums = [] if days is not None else conn.execute(
        f"SELECT {_ROLLED_KEYS[by]} AS k, {_ROLLED} FROM {table} WHERE {outer} GROUP BY k "
        "HAVING sum(q.responses) > 0 ORDER BY k".encode(), params).fetchall()
    if days is not None:
        rows = days
    elif by == "day":
        rows = _by_day(sums, tz)
    else:
        rows = sorted((_row(str(k), v) for k, *v in sums), key=lambda r: (-r.total_tokens, r.key))
    if by == "device":
        whole = conn.execute(f"SELECT {_ROLLED} FROM {team} q WHERE {where} HAVING sum(q.responses) > 0"
                             .encode(), params).fetchone()
        totals = totals_of([_row("", list(whole))] if whole else [])
    else:
        totals = totals_of(rows)
    unpriced: list[str] = []
    if not totals.cost_complete:
        if models != team and not whole_days:
            return None
        unpriced = [m for (m,) in conn.execute(
            f"SELECT q.model FROM {models} q WHERE {per_model} GROUP BY 1 HAVING sum(q.unpriced) > 0 "
            "ORDER BY 1".encode(),
            params)]
    return UsageReport(rows=rows, totals=totals, unpriced_models=unpriced)


def _days_in_sql(conn: psycopg.Connection, table: str, where: str, params: list[object],
                 tz: when.Zone) -> list[UsageReportRow] | None:
    """Days added up by PostgreSQL in a named zone (a year's 35,000 quarter-hour sums never leave it);
    None for the server's local time, or a zone PostgreSQL does not know: then ``_by_day`` does it."""
    name = getattr(tz, "key", None)
    if not name:
        return None
    import psycopg

    try:
        with conn.transaction():
            # A year is some 85,000 to 280,000 quarter-hour rows: with the default 4 MB PostgreSQL sorts
            # them on disk to group them by day, where 64 MB lets it hash them (a third of the time).
            conn.execute("SET LOCAL work_mem = '64MB'")
            found = conn.execute(
                f"SELECT (to_timestamp(q.quarter * {QUARTER_HOUR}) AT TIME ZONE %s)::date AS k, {_ROLLED} "
                f"FROM {table} WHERE {where} GROUP BY k HAVING sum(q.responses) > 0 ORDER BY k".encode(),
                [name, *params]).fetchall()
    except psycopg.errors.InvalidParameterValue:
        return None
    return [_row(day.isoformat(), v) for day, *v in found]


def _by_day(quarters: Iterable[tuple], tz: when.Zone) -> list[UsageReportRow]:
    """Quarter-hour sums (in time order) added up per calendar day in ``tz``; a day's bounds are worked
    out once, not per quarter (a year of quarter hours is 35,000 rows)."""
    days: dict[str, list[float]] = {}
    acc: list[float] = []
    day_start = day_end = 0.0
    for quarter, *values in quarters:
        at = quarter * QUARTER_HOUR
        if not day_start <= at < day_end:
            day = when.local_date(at, tz)
            day_start, day_end = when.midnight(day, tz), when.midnight(day + datetime.timedelta(days=1), tz)
            acc = days.setdefault(day.isoformat(), [0, 0, 0, 0, 0.0, 0, 0])
        for i, v in enumerate(values):
            acc[i] += v or 0
    return [_row(day, v) for day, v in days.items()]


def _row(key: str, v: list[float]) -> UsageReportRow:
    """One row from its sums (tokens, cost, unpriced and estimated responses), with the provenance
    ``usage --json`` gives: tokens estimated if one of its responses is, cost unknown if one is unpriced."""
    i, o, cc, cr = (int(x or 0) for x in v[:4])
    unpriced, estimated = bool(v[5]), bool(v[6])
    return UsageReportRow(key, i, o, cc, cr, i + o + cc + cr, known_cost(float(v[4] or 0), unpriced), not unpriced,
                          provenance=provenance(estimated, not unpriced))
