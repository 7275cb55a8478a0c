"""The ``notifications:`` section of the config (docs/notifications.md).

Its own module so config.py stays one screen of general settings; config.py
turns any mistake here into the same one-line error naming the key. A channel
is on when its section is written (``desktop: {}``) and off when it is absent,
so a default config never sends anything anywhere.
"""

import re
from typing import Annotated, Literal, TypeVar

import msgspec

Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]

_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Immutable, and a misspelt key is an error (as in config.py)."""


class QuietHours(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """Local times; ``start`` after ``end`` (22:00 to 07:00) spans midnight."""

    start: str
    end: str

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if not _CLOCK.fullmatch(value):
                raise ValueError(f"must have {name} as a 24-hour time like 22:00, got {value!r}")


class Rule(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    enabled: bool = True
    cooldown_minutes: Positive | None = None  # None: notifications.cooldown_minutes


class ContextRule(Rule, frozen=True):  # frozen like _Section: said again so type checkers see it
    percent: Percent = 85.0


class BudgetRule(Rule, frozen=True):  # frozen like _Section: said again so type checkers see it
    usd: Positive | None = None  # None: no budget, the rule is off


class BlockEndRule(Rule, frozen=True):  # frozen like _Section: said again so type checkers see it
    minutes_before: Positive = 15.0


class PlanLimitRule(Rule, frozen=True):  # frozen like _Section: said again so type checkers see it
    percent: Percent = 80.0  # an official 5-hour or weekly reading at least this high
    pacing: bool = True  # also: at the current rate the weekly window runs out before it resets


class NotifyRules(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    health_warning: Rule = Rule()
    health_critical: Rule = Rule()
    context: ContextRule = ContextRule()
    daily_budget: BudgetRule = BudgetRule()
    block_end: BlockEndRule = BlockEndRule()
    plan_limit: PlanLimitRule = PlanLimitRule()


class DesktopChannel(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    enabled: bool = True


class TerminalChannel(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    enabled: bool = True
    sound_command: str | None = None  # run instead of ringing the bell, e.g. "paplay bell.oga"


class WebhookChannel(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """Slack, Discord or Teams: the URL itself, or the environment variable holding it (it is a secret)."""

    enabled: bool = True
    webhook_url: str | None = None
    webhook_url_env: str | None = None

    def __post_init__(self) -> None:
        if self.enabled and (self.webhook_url is None) == (self.webhook_url_env is None):
            raise ValueError("must have one of webhook_url and webhook_url_env")
        if self.webhook_url is not None and not self.webhook_url.startswith(("https://", "http://")):
            raise ValueError(f"must have webhook_url starting with https://, got {self.webhook_url!r}")


class EmailChannel(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    """SMTP. The password is read from the environment variable ``password_env``, never the file."""

    enabled: bool = True
    host: str = ""
    port: Port | None = None  # None: 587 for starttls, 465 for ssl, 25 for none
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    sender: str = ""
    to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.enabled:
            return
        missing = [name for name in ("host", "sender", "to") if not getattr(self, name)]
        if missing:
            raise ValueError(f"must have {' and '.join(missing)}")
        if self.username is not None and self.password_env is None:
            raise ValueError("must have password_env (the variable holding the password) with username")


_Channel = TypeVar("_Channel", DesktopChannel, TerminalChannel, WebhookChannel, EmailChannel)


def _off(section: type[_Channel]) -> _Channel:
    return section(enabled=False)


class NotifyChannels(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    desktop: DesktopChannel = _off(DesktopChannel)
    terminal: TerminalChannel = _off(TerminalChannel)
    slack: WebhookChannel = _off(WebhookChannel)
    discord: WebhookChannel = _off(WebhookChannel)
    teams: WebhookChannel = _off(WebhookChannel)  # an Adaptive Card to a channel's webhook (docs/chat.md)
    email: EmailChannel = _off(EmailChannel)


class Notifications(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    cooldown_minutes: Positive = 30.0  # a rule repeats for the same subject at most this often
    watch_minutes: Positive = 60.0  # sessions active this recently are checked
    timeout: Positive = 5.0  # seconds per channel delivery
    quiet_hours: QuietHours | None = None
    rules: NotifyRules = NotifyRules()
    channels: NotifyChannels = NotifyChannels()
