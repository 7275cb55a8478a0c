"""The ``chat:`` section of the config: the chat bots' endpoints on ``serve`` (docs/chat.md).

Its own module so config.py stays one screen of general settings. A platform
is on when its section is written and off when it is absent, so a default
config answers no chat request at all. Secrets (Slack's signing secret, the
Teams webhook's shared secret) are only ever named here by the environment
variable that holds them; Discord's public key is not a secret and may be
written out.
"""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Immutable, and a misspelt key is an error (as in config.py)."""


class SlackChat(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    enabled: bool = True
    signing_secret_env: str = "SLACK_SIGNING_SECRET"  # the variable holding the app's signing secret
    allowed_users: tuple[str, ...] = ()  # Slack user ids (U...) that may ask; no team server: nobody else


class DiscordChat(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    enabled: bool = True
    public_key: str | None = None  # the application's public key (hex), from the developer portal
    public_key_env: str | None = None  # or the variable holding it
    allowed_users: tuple[str, ...] = ()  # Discord user ids (snowflakes)

    def __post_init__(self) -> None:
        if self.enabled and (self.public_key is None) == (self.public_key_env is None):
            raise ValueError("must have one of public_key and public_key_env")
        if self.public_key is not None and not _HEX_KEY.fullmatch(self.public_key):
            raise ValueError("must have public_key as 64 hexadecimal digits (the portal's 'Public Key')")


class TeamsChat(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    enabled: bool = True
    secret_env: str = "TEAMS_WEBHOOK_SECRET"  # the variable holding the outgoing webhook's security token
    allowed_users: tuple[str, ...] = ()  # Teams user ids: from.aadObjectId or from.id


class ChatConfig(_Section, frozen=True):  # frozen like _Section: said again so type checkers see it
    replay_window: Seconds = 300.0  # seconds a signed request stays acceptable (Slack's own five minutes)
    answer_timeout: Seconds = 2.5  # seconds to compute an answer before replying "still working" (Slack: 3 s)
    slack: SlackChat = SlackChat(enabled=False)
    discord: DiscordChat = DiscordChat(enabled=False)
    teams: TeamsChat = TeamsChat(enabled=False)
