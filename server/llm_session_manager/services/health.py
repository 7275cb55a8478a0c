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

from typing import NamedTuple

from ..core.config import Config
from ..core.models import Health


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
    return Scorer(config)(signals)


class Scorer:
    """Scores with the config's points and weights read once: ``list`` scores 20,000
    sessions in one call, and asking the config again for each was a third of its time.

    Most sessions share their four components (a finished session's activity is
    0, a short one's duration 100), so each distinct set is scored once and its
    ``Health`` handed to every session that has it: read it, never change it.
    """

    def __init__(self, config: Config) -> None:
        rec = config.recommendations
        max_s = rec.max_duration_hours * 3600
        idle_s = rec.idle_minutes * 60
        self.duration = (max_s / 2, max_s * 2)
        self.activity = (idle_s, stopped_after_s(config))
        w = config.health_weights
        self.weights = (w.token_usage, w.duration, w.activity, w.errors)
        self.total = sum(self.weights)
        self.config = config
        self._scored: dict[tuple[float, float, float, float], Health] = {}

    def __call__(self, signals: Signals) -> Health:
        return self.of(*signals)

    def of(self, context_percent: float, duration_s: float, idle_s: float, errors: int, turns: int) -> Health:
        """The score of ``Signals(context_percent, ...)``, without building one."""
        parts = (_falling(context_percent, 50, 100), _falling(duration_s, *self.duration),
                 _falling(idle_s, *self.activity), _falling(errors / max(turns, 1), 0, 0.25) if errors else 100.0)
        scored = self._scored.get(parts)
        if scored is None:
            scored = self._scored[parts] = self._health(*parts)
        return scored

    def _health(self, tokens: float, duration: float, activity: float, errors: float) -> Health:
        w_tokens, w_duration, w_activity, w_errors = self.weights
        weighted = tokens * w_tokens + duration * w_duration + activity * w_activity + errors * w_errors
        value = weighted / self.total
        return Health(
            score=round(value, 1),
            status=status(value, self.config),
            components={"token_usage": _tenth(tokens), "duration": _tenth(duration),
                        "activity": _tenth(activity), "errors": _tenth(errors)},
        )


def _tenth(part: float) -> float:
    """``round(part, 1)``; most parts are 100 or 0, which it leaves as they are, and
    ``round`` (correctly rounded, through decimal digits) is slow enough to count at 20,000 sessions."""
    return part if part == 100.0 or part == 0.0 else round(part, 1)


def status(value: float, config: Config) -> str:
    thresholds = config.health_thresholds
    if value >= thresholds.healthy:
        return "healthy"
    if value >= thresholds.warning:
        return "warning"
    return "critical"
