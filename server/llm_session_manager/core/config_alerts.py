"""The ``team_alerts:`` section of the config: the team server's alerts (docs/team.md#alerts).

When a member's spending passes a daily or weekly budget, or one of their
sessions turns critical, the team server tells someone once: a JSON POST to ``webhook_url``, an email through an SMTP
server, or both. Nothing is sent while neither is set. The SMTP password is
only ever named here by the environment variable that holds it.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Dollars = Annotated[float, msgspec.Meta(gt=0)]


class TeamAlertsConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    daily_budget_usd: Dollars | None = None  # a member's spending in one UTC day
    weekly_budget_usd: Dollars | None = None  # a member's spending in one week, Monday to Sunday, UTC
    webhook_url: str | None = None  # POSTed a JSON object per alert
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password_env: str = "LSM_SMTP_PASSWORD"
    mail_from: str = "llm-session@localhost"
    mail_to: tuple[str, ...] = ()
    critical_sessions: bool = True  # tell when a member's session turns critical (docs/team.md#alerts)
    critical_watch_minutes: Annotated[float, msgspec.Meta(gt=0)] = 60.0  # only sessions active this recently

    @property
    def sends(self) -> bool:
        """Whether any alert can go anywhere."""
        return bool(self.webhook_url or (self.smtp_host and self.mail_to))
