"""Health score of a session: one number from four signals, weighted by config.

Each component is 0-100 (100 = fine) and falls linearly between a "fine" and
a "bad" point, so a user can read from the components what to fix:

* ``token_usage``: context fill; fine up to 50 %, 0 at 100 %.
* ``duration``: fine up to half of ``recommendations.max_duration_hours``,
  0 at twice it (long sessions drift and re-read stale context). Counted from
  the session's current run of work (``services/working.py``), not its first line.
* ``activity``: fine while idle less than ``recommendations.idle_minutes``,
  0 after eight times that.
* ``errors``: API and tool errors per billed turn; fine at 0, 0 at 25 %.
"""

from __future__ import annotations

from typing import NamedTuple

from ..config import Config
from ..models import Health


class Signals(NamedTuple):
    context_percent: float
    duration_s: float
    idle_s: float
    errors: int
    turns: int


def _falling(value: float, fine: float, bad: float) -> float:
    """100 at or below ``fine``, 0 at or above ``bad``, linear between."""
    if value <= fine:
        return 100.0
    if value >= bad:
        return 0.0
    return 100.0 * (bad - value) / (bad - fine)


def stopped_after_s(config: Config) -> float:
    """Idle this long, a session has stopped (its activity is 0/100): work after it is a new run."""
    return config.recommendations.idle_minutes * 60 * 8


def score(signals: Signals, config: Config) -> Health:
    rec = config.recommendations
    max_s = rec.max_duration_hours * 3600
    idle_s = rec.idle_minutes * 60
    components = {
        "token_usage": _falling(signals.context_percent, 50, 100),
        "duration": _falling(signals.duration_s, max_s / 2, max_s * 2),
        "activity": _falling(signals.idle_s, idle_s, stopped_after_s(config)),
        "errors": _falling(signals.errors / max(signals.turns, 1), 0, 0.25),
    }
    weights = config.health_weights
    weight_of = {
        "token_usage": weights.token_usage,
        "duration": weights.duration,
        "activity": weights.activity,
        "errors": weights.errors,
    }
    total = sum(weight_of.values())
    value = sum(components[k] * w for k, w in weight_of.items()) / total
    return Health(
        score=round(value, 1),
        status=status(value, config),
        components={k: round(v, 1) for k, v in components.items()},
    )


def status(value: float, config: Config) -> str:
    thresholds = config.health_thresholds
    if value >= thresholds.healthy:
        return "healthy"
    if value >= thresholds.warning:
        return "warning"
    return "critical"
