"""The rules: which conditions in the store deserve a notification at ``now``.

Rules only look; whether a notification is muted, repeated too soon or sent
is decided in ``check``. Session rules watch sessions active within
``notifications.watch_minutes``: an old session's health drops as it idles,
and nobody needs to hear about last week.
"""

from __future__ import annotations

import os
import time

import apsw

from ...core.config import Config
from ...core.models import Session, short_id
from .. import blocks, sessions, usage
from .notification import Notification

# What each health component measures, to name the one dragging a score down.
_COMPONENTS = {
    "token_usage": "context fill",
    "duration": "session length",
    "activity": "idle time",
    "errors": "errors",
}


def evaluate(conn: apsw.Connection, config: Config, now: float) -> list[Notification]:
    """Every rule that holds at ``now``, most severe first."""
    rules = config.notifications.rules
    found: list[Notification] = []
    if rules.health_warning.enabled or rules.health_critical.enabled or rules.context.enabled:
        for session in _watched(conn, config, now):
            found += _health(session, config)
            found += _context(session, config)
    found += _daily_budget(conn, config, now)
    found += _block_end(conn, config, now)
    found += _plan_limit(conn, config, now)
    found.sort(key=lambda n: n.severity != "critical")  # stable: rule order otherwise
    return found


def _watched(conn: apsw.Connection, config: Config, now: float) -> list[Session]:
    since = now - config.notifications.watch_minutes * 60
    found = sessions.list_sessions(conn, config, sessions.Filters(since=since), now=now)
    latest = sessions.iso(now)
    # ISO strings of one form compare as times do; a moment in the past ignores later sessions.
    return [s for s in found if s.last_activity and s.last_activity <= latest]


def _health(s: Session, config: Config) -> list[Notification]:
    status = s.health.status
    rules = config.notifications.rules
    thresholds = config.health_thresholds
    if status == "critical" and rules.health_critical.enabled:
        rule, severity, below = "health_critical", "critical", thresholds.warning
    elif status == "warning" and rules.health_warning.enabled:
        rule, severity, below = "health_warning", "warning", thresholds.healthy
    else:
        return []
    weakest = min(s.health.components, key=lambda k: s.health.components[k])
    return [Notification(
        rule=rule, severity=severity, subject=s.id, session_id=s.id,
        title=f"Session health {status}: {_name(s)}",
        message=(f"{_label(s)}: health {s.health.score:g}/100, below {below:g}; "
                 f"weakest: {_COMPONENTS.get(weakest, weakest)} ({s.health.components[weakest]:g}/100)."),
    )]


def _context(s: Session, config: Config) -> list[Notification]:
    rule = config.notifications.rules.context
    if not rule.enabled or s.context.percent < rule.percent:
        return []
    return [Notification(
        rule="context", severity="warning", subject=s.id, session_id=s.id,
        title=f"Context {s.context.percent:g}% full: {_name(s)}",
        message=(f"{_label(s)}: {s.context.used:,} of {s.context.limit:,} tokens in the context window "
                 f"({s.context.percent:g}%, alert at {rule.percent:g}%). Compact it or start a new session."),
    )]


def _daily_budget(conn: apsw.Connection, config: Config, now: float) -> list[Notification]:
    rule = config.notifications.rules.daily_budget
    if not rule.enabled or rule.usd is None:
        return []
    today = time.strftime("%Y-%m-%d", time.localtime(now))
    spent = usage.report(conn, "day", since=today, until=today).totals.cost_usd or 0.0  # the priced part
    if spent <= rule.usd:
        return []
    return [Notification(
        rule="daily_budget", severity="warning", subject=today,
        title=f"Daily budget exceeded: ${spent:,.2f} of ${rule.usd:,.2f}",
        message=f"AI coding usage on {today} has cost ${spent:,.2f}, over the daily budget of ${rule.usd:,.2f}.",
    )]


def _block_end(conn: apsw.Connection, config: Config, now: float) -> list[Notification]:
    rule = config.notifications.rules.block_end
    if not rule.enabled:
        return []
    block = blocks.current_block(conn, now)
    if block is None or block.end - now > rule.minutes_before * 60:
        return []
    left = max(1, round((block.end - now) / 60))
    start, end = (time.strftime("%H:%M", time.localtime(t)) for t in (block.start, block.end))
    return [Notification(
        rule="block_end", severity="warning", subject=sessions.iso(block.start),
        title=f"Claude 5-hour block ends in {left} min",
        message=(f"The Claude usage block that began at {start} ends at {end} (in {left} min): "
                 f"{block.responses:,} responses, ${block.cost_usd:,.2f} so far. Limits reset then."),
    )]


_WINDOW_NAMES = {"five_hour": "5-hour", "seven_day": "weekly"}


def _plan_limit(conn: apsw.Connection, config: Config, now: float) -> list[Notification]:
    """An assistant's own meter (official readings only) nearly spent, or the week running out early."""
    from .. import limits

    rule = config.notifications.rules.plan_limit
    if not rule.enabled:
        return []
    found: list[Notification] = []
    for a in limits.report(conn, now).assistants:
        for w in a.windows:
            if w.used_percent is None or w.sources.get("used_percent") != "official" or w.used_percent < rule.percent:
                continue
            name = _WINDOW_NAMES.get(w.window, w.window)
            when = f", resets {w.resets_at}" if w.resets_at else ""
            found.append(Notification(
                rule="plan_limit", severity="warning", subject=f"{a.provider}:{w.window}:{w.resets_at}",
                title=f"{a.provider} {name} limit {w.used_percent:g}% used",
                message=(f"{a.provider}'s own meter says {w.used_percent:g}% of the {name} window is used "
                         f"(alert at {rule.percent:g}%{when})."),
            ))
        p = a.weekly_pacing
        if rule.pacing and p.runs_out_before_reset:
            found.append(Notification(
                rule="plan_limit", severity="warning", subject=f"{a.provider}:pacing:{p.resets_at}",
                title=f"{a.provider} weekly limit runs out before it resets",
                message=(f"At {p.percent_per_hour:g}%/h ({p.basis}) the weekly window runs out at {p.runs_out_at}; "
                         f"it resets at {p.resets_at}."),
            ))
    return found


def _name(s: Session) -> str:
    """The session as a person recognises it: its project, else its directory, else its id."""
    return _place(s) or short_id(s.id)


def _label(s: Session) -> str:
    title = f' "{s.title[:60]}"' if s.title else ""
    place = _place(s)
    return f"{s.provider} session {short_id(s.id)}{title}" + (f" in {place}" if place else "")


def _place(s: Session) -> str:
    return s.project or (os.path.basename(s.cwd.rstrip("/\\")) if s.cwd else "")
