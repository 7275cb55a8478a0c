"""Plan limits you can trust: the assistants' own meters first, our estimate otherwise.

Subscription plans meter use in a 5-hour and a weekly window. Claude Code hands
its status line the official readings (``rate_limits.five_hour`` /
``seven_day``: percent used and reset time); Codex writes the same into its
rollout logs (``rate_limits.primary`` / ``secondary``). Each reading is kept
as a time series (``store/limit_readings.py``): one row per value seen, with
when it was first and last seen, so a reading's age is known.

``report`` answers, per assistant and window, with every figure labelled:

* ``official``: the assistant's own meter (and how old the reading is);
* ``exact``: counted from the logs (the tokens and cost in the window);
* ``estimated``: worked out by us (a 5-hour window's end from Claude's usage
  blocks, a weekly run-out time from the burn rate);
* ``unknown``: no meter and nothing to estimate from (a plan's percentage
  cannot be told from tokens alone).
"""

from __future__ import annotations

import time
from typing import Literal

import apsw
import msgspec

from ..store.limit_readings import Reading, latest, same_reset, since

FIVE_HOUR, SEVEN_DAY = "five_hour", "seven_day"
WINDOWS = (FIVE_HOUR, SEVEN_DAY)
WINDOW_SECONDS = {FIVE_HOUR: 5 * 3600, SEVEN_DAY: 7 * 86400}
# The assistants whose plans have these windows and report them.
PLAN_PROVIDERS = ("claude-code", "codex")
# A reading whose window has reset is stale; one newer than this drives the weekly pace.
_PACE_LOOKBACK_S = 24 * 3600
_PACE_MIN_SPAN_S = 3600

Provenance = Literal["official", "exact", "estimated", "unknown"]


class LimitWindow(msgspec.Struct, kw_only=True):
    """One window of one assistant; ``sources`` names the provenance of each figure."""

    window: str  # five_hour | seven_day
    used_percent: float | None
    resets_at: str | None
    resets_in_seconds: int | None
    observed_at: str | None  # when the official reading was first seen with this value
    age_seconds: int | None  # since it was last seen
    tokens: int | None  # in the window, from the logs
    cost_usd: float | None
    sources: dict[str, Provenance]


class WeeklyPacing(msgspec.Struct, kw_only=True):
    """At the current burn rate, whether the weekly window runs out before it resets."""

    percent_per_hour: float | None
    runs_out_at: str | None
    resets_at: str | None
    runs_out_before_reset: bool | None
    source: Provenance  # estimated (from official readings) or unknown
    basis: str  # what the rate is taken from, in words


class AssistantLimits(msgspec.Struct, kw_only=True):
    provider: str
    windows: list[LimitWindow]
    weekly_pacing: WeeklyPacing


class LimitsReport(msgspec.Struct, kw_only=True):
    generated_at: str
    assistants: list[AssistantLimits]


def current(reading: Reading | None, now: float) -> Reading | None:
    """``reading`` if its window has not reset since (a reading past its reset says nothing now)."""
    if reading is None or (reading.resets_at is not None and reading.resets_at <= now):
        return None
    if reading.resets_at is None and now - reading.seen_at > WINDOW_SECONDS[reading.window]:
        return None
    return reading


# --- the report ------------------------------------------------------------------

_WINDOW_USAGE = """
SELECT coalesce(sum(u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens), 0),
       coalesce(sum(u.cost_usd), 0.0), coalesce(sum(u.priced = 2), 0)
FROM sessions s JOIN usage u ON u.session_id = s.id
WHERE s.provider = :provider AND s.last_activity >= :lo AND u.ts >= :lo AND u.ts < :hi
"""
_HAS_USAGE = "SELECT 1 FROM sessions WHERE provider = ? LIMIT 1"


def report(conn: apsw.Connection, now: float | None = None) -> LimitsReport:
    """Both windows of every assistant with a plan meter or usage in the store."""
    now = time.time() if now is None else now
    assistants = []
    for provider in PLAN_PROVIDERS:
        has_reading = any(latest(conn, provider, w) for w in WINDOWS)
        if not has_reading and conn.execute(_HAS_USAGE, (provider,)).fetchone() is None:
            continue
        windows = [_window(conn, provider, w, now) for w in WINDOWS]
        assistants.append(AssistantLimits(provider=provider, windows=windows,
                                          weekly_pacing=pacing(conn, provider, now)))
    return LimitsReport(generated_at=_iso(now), assistants=assistants)


def _window(conn: apsw.Connection, provider: str, window: str, now: float) -> LimitWindow:
    reading = current(latest(conn, provider, window), now)
    sources: dict[str, Provenance] = {}
    used: float | None = None
    resets: float | None = None
    if reading is not None:
        used, resets = reading.used_percent, reading.resets_at
        sources["used_percent"] = "official"
        sources["resets_at"] = "official" if resets is not None else "unknown"
    else:
        sources["used_percent"] = "unknown"
        resets = _estimated_reset(conn, provider, window, now)
        sources["resets_at"] = "estimated" if resets is not None else "unknown"
    start = resets - WINDOW_SECONDS[window] if resets is not None else now - WINDOW_SECONDS[window]
    tokens, cost, unpriced = _one(conn, _WINDOW_USAGE, {"provider": provider, "lo": start, "hi": now + 1})
    sources["tokens"] = "exact"
    sources["cost_usd"] = "unknown" if unpriced else "exact"
    return LimitWindow(
        window=window,
        used_percent=used,
        resets_at=_iso(resets) if resets is not None else None,
        resets_in_seconds=max(0, round(resets - now)) if resets is not None else None,
        observed_at=_iso(reading.observed_at) if reading else None,
        age_seconds=max(0, round(now - reading.seen_at)) if reading else None,
        tokens=tokens,
        cost_usd=None if unpriced else round(cost, 6),
        sources=sources,
    )


def _estimated_reset(conn: apsw.Connection, provider: str, window: str, now: float) -> float | None:
    """Claude's 5-hour window ends where its active usage block ends (ccusage's blocks)."""
    if provider != "claude-code" or window != FIVE_HOUR:
        return None
    from .blocks import current_block

    block = current_block(conn, now)
    return block.end if block is not None else None


def pacing(conn: apsw.Connection, provider: str, now: float) -> WeeklyPacing:
    """When the weekly window runs out at the current rate, against when it resets.

    The rate is the rise of the official readings over the last day (over an
    hour or more of them), else the average since the window began.
    """
    reading = current(latest(conn, provider, SEVEN_DAY), now)
    if reading is None or reading.resets_at is None:
        return WeeklyPacing(percent_per_hour=None, runs_out_at=None, resets_at=None, runs_out_before_reset=None,
                            source="unknown", basis="no official weekly reading")
    same = [r for r in since(conn, provider, SEVEN_DAY, now - _PACE_LOOKBACK_S)
            if same_reset(r.resets_at, reading.resets_at)]
    rate, basis = None, ""
    if same and reading.seen_at - same[0].observed_at >= _PACE_MIN_SPAN_S:
        rise = reading.used_percent - same[0].used_percent
        rate, basis = rise / ((reading.seen_at - same[0].observed_at) / 3600), "official readings of the last day"
    if rate is None or rate <= 0:
        elapsed = now - (reading.resets_at - WINDOW_SECONDS[SEVEN_DAY])
        if elapsed > 0:
            rate, basis = reading.used_percent / (elapsed / 3600), "average since the window began"
    runs_out = None
    if rate and rate > 0:
        runs_out = now + max(0.0, 100.0 - reading.used_percent) / rate * 3600
    return WeeklyPacing(
        percent_per_hour=round(rate, 3) if rate is not None else None,
        runs_out_at=_iso(runs_out) if runs_out is not None else None,
        resets_at=_iso(reading.resets_at),
        runs_out_before_reset=runs_out < reading.resets_at if runs_out is not None else False,
        source="estimated",
        basis=basis or "no use yet this window",
    )


def _iso(ts: float) -> str:
    """Unix seconds as ISO 8601 UTC, as ``sessions.iso`` writes them (without importing it)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _one(conn: apsw.Connection, sql: str, params: tuple | dict) -> tuple:
    """The one row of an aggregate query (which always has one)."""
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row
