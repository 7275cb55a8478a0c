"""Alerts: a member's session turned critical, told once per turn by the budget alerts' channels.

Pushes carry each session's health as the member's machine scores it
(``PushSession.health_status``). After a push, ``due`` looks at the sessions
it carried, each as its owner's most recently active device last pushed it
(the dashboard's rule): a session now critical, and active within
``critical_watch_minutes`` (an old session's health falls as it idles, and
nobody needs to hear about last week's), is recorded in ``alerts_sent`` as
``critical:<owner>:<session id>`` by the statement that finds it new, so it is
told once however many pushes say it is still critical, and two pushes at once
cannot both tell it. A push saying it is healthy or warning again removes the
record: turning critical once more is a new alert. A session pushed without
health (an older client) changes nothing. ``alerts.send`` delivers, and
``alerts.forget`` removes the record of one that went nowhere.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    import psycopg

    from ..core.config_alerts import TeamAlertsConfig

_LAST = "((array_agg(s ORDER BY s.last_activity DESC NULLS LAST))[1]).{0}"  # as shared_sessions reads it
_STATE = (
    "SELECT s.id, u.name, " + ", ".join(_LAST.format(c) for c in ("health_status", "health_score", "context_percent",
                                                                  "project", "title"))
    + ", max(s.last_activity), array_agg(DISTINCT d.name ORDER BY d.name) "
    "FROM sessions s JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = d.user_id "
    "WHERE d.user_id = %s AND s.id = ANY(%s) GROUP BY s.id, u.name ORDER BY s.id")
RECOVERED = ("healthy", "warning")


class CriticalAlert(msgspec.Struct):
    """What the webhook receives (JSON) and the email says."""

    kind: str  # critical
    user: str  # the session's owner
    session: str
    project: str | None
    title: str | None
    devices: list[str]  # the owner's devices that pushed it
    health_score: float | None
    context_percent: float | None
    key: str

    def subject(self) -> str:
        name = self.title or self.session[:8]
        fill = f", context {self.context_percent:g} % full" if self.context_percent is not None else ""
        score = f"{self.health_score:g}/100" if self.health_score is not None else "unknown"
        return f"{self.user}'s session {name!r} turned critical (health {score}{fill})"


def key_of(user: str, session_id: str) -> str:
    return f"critical:{user}:{session_id}"


def due(conn: psycopg.Connection, user_id: int, session_ids: list[str], config: TeamAlertsConfig,
        now: float | None = None) -> list[CriticalAlert]:
    """The sessions of ``session_ids`` (``user_id``'s, just pushed) that turned critical since last told
    (recorded as told); those that recovered are forgotten, to be told again if they turn critical again."""
    if not (config.sends and config.critical_sessions and session_ids):
        return []
    since = (time.time() if now is None else now) - config.critical_watch_minutes * 60
    found = []
    with conn.transaction():
        for sid, user, status, score, percent, project, title, last, devices in conn.execute(
                _STATE, (user_id, sorted(set(session_ids)))).fetchall():
            key = key_of(user, sid)
            if status in RECOVERED:
                conn.execute("DELETE FROM alerts_sent WHERE key = %s", (key,))
            elif status == "critical" and last is not None and last >= since:
                new = conn.execute("INSERT INTO alerts_sent (key) VALUES (%s) ON CONFLICT DO NOTHING RETURNING key",
                                   (key,)).fetchone()
                if new is not None:
                    found.append(CriticalAlert("critical", user, sid, project, title, list(devices), score, percent,
                                               key))
    return found
