"""Usage within the window, summed by SQL: per session and model, and per local day.

A million responses must be summed in well under a second, so SQL does one pass
grouped by (session, model), which the ``usage_session`` index (migration 004)
delivers in order with every column the sums need: no sort, no table reads.
Days come from the same rows: a session whose first and last response in the
window fall on one local day belongs to that day whole. Only sessions that cross
a midnight are summed again, per quarter hour (as ``usage --by day`` does), to
split them.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import apsw

from ...store.quarters import QUARTER_HOUR, quarter_of
from ..unpriced_models import known_cost
from ._window import Window

# [responses, input, output, cache_creation, cache_read, cost, unpriced responses]
Sums = list
RESPONSES, INPUT, OUTPUT, CACHE_CREATION, CACHE_READ, COST, UNPRICED = range(7)


def total_tokens(s: Sums) -> int:
    return s[INPUT] + s[OUTPUT] + s[CACHE_CREATION] + s[CACHE_READ]


def token_fields(s: Sums) -> dict[str, Any]:  # Any: spread into structs of mixed field types
    """The token and cost fields of the report's usage structs (``DailyUsage``, ``UsageShare``)."""
    return {"input_tokens": s[INPUT], "output_tokens": s[OUTPUT], "cache_creation_tokens": s[CACHE_CREATION],
            "cache_read_tokens": s[CACHE_READ], "total_tokens": total_tokens(s),
            "cost_usd": known_cost(s[COST], s[UNPRICED]), "cost_complete": not s[UNPRICED]}


_BY_SESSION_MODEL = """
SELECT session_id, model, count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens),
       sum(cache_read_tokens), sum(cost_usd), sum(priced = 2), min(ts), max(ts),
       max(CASE WHEN sidechain = 0 THEN input_tokens + cache_creation_tokens + cache_read_tokens ELSE 0 END)
FROM usage
WHERE ts >= :start AND ts < :end
GROUP BY session_id, model
"""

# Every UTC offset in use is a multiple of 15 minutes, so a quarter hour never
# straddles local midnight: summing per quarter hour loses no day boundary.
_BY_QUARTER_HOUR = f"""
SELECT session_id, {quarter_of("ts")} AS q, count(*), sum(input_tokens), sum(output_tokens),
       sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd), sum(priced = 2)
FROM usage
WHERE session_id IN (SELECT value FROM json_each(:ids)) AND ts >= :start AND ts < :end
GROUP BY session_id, q
"""


class Rollup(NamedTuple):
    sessions: dict[str, Sums]  # session id -> sums
    peak_prompt: dict[str, int]  # session id -> largest main-chain prompt (input + cache)
    models: dict[str, Sums]  # model -> sums
    model_sessions: dict[str, int]  # model -> sessions that used it
    days: list[Sums]  # per day of the window
    session_days: dict[str, set[int]]  # session id -> the days it had responses


def rollup(conn: apsw.Connection, w: Window) -> Rollup:
    """The window's usage per session, per model and per day."""
    sessions: dict[str, Sums] = {}
    span: dict[str, list[float]] = {}  # session id -> [first, last] response in the window
    peak: dict[str, int] = {}
    models: dict[str, Sums] = {}
    model_sessions: dict[str, int] = {}
    bounds = {"start": w.start, "end": w.end}
    for sid, model, *sums, first, last, prompt in conn.execute(_BY_SESSION_MODEL, bounds):
        s = sessions.get(sid)
        if s is None:
            sessions[sid] = sums
            span[sid] = [first, last]
            peak[sid] = prompt
        else:  # the session used a second model
            add_sums(s, sums)
            t = span[sid]
            t[0], t[1] = min(t[0], first), max(t[1], last)
            peak[sid] = max(peak[sid], prompt)
        m = models.get(model)
        if m is None:
            models[model] = list(sums)
            model_sessions[model] = 1
        else:
            add_sums(m, sums)
            model_sessions[model] += 1
    days: list[Sums] = [[0, 0, 0, 0, 0, 0.0, 0] for _ in w.dates]
    session_days: dict[str, set[int]] = {}
    crossing = []
    day_of = w.day_of
    for sid, (first, last) in span.items():
        day = day_of(first)
        if day == day_of(last):
            add_sums(days[day], sessions[sid])
            session_days[sid] = {day}
        else:
            crossing.append(sid)
    if crossing:
        for sid, q, *sums in conn.execute(_BY_QUARTER_HOUR, {**bounds, "ids": json.dumps(crossing)}):
            day = day_of(q * QUARTER_HOUR)
            add_sums(days[day], sums)
            session_days.setdefault(sid, set()).add(day)
    return Rollup(sessions, peak, models, model_sessions, days, session_days)


def add_sums(acc: Sums, sums: Sums) -> None:
    """``acc += sums``, field by field."""
    acc[0] += sums[0]
    acc[1] += sums[1]
    acc[2] += sums[2]
    acc[3] += sums[3]
    acc[4] += sums[4]
    acc[5] += sums[5]
    acc[6] += sums[6]
