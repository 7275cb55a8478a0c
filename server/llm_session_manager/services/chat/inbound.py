"""A request from any platform: verified, then read, and an answer turned back into its reply.

A server (``serve``'s chat route) hands over the path's platform, the headers
and the raw body (signatures are over the exact bytes, so nothing may parse
it first); it gets back a ``Question`` to answer, a ``Ping``, or a
``ChatRefused`` for an unsigned, stale or tampered request.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from ...core.config_chat import ChatConfig
from ...core.errors import ChatNotSetUp
from . import discord, discord_embeds, slack, slack_blocks, teams, teams_cards
from .answers import Answer
from .question import Ping, Question

Door = Literal["slack-commands", "slack-interactivity", "discord", "teams"]
PATHS: dict[str, Door] = {
    "/chat/slack/commands": "slack-commands",
    "/chat/slack/interactivity": "slack-interactivity",
    "/chat/discord/interactions": "discord",
    "/chat/teams/messages": "teams",
}


def platform(door: Door) -> str:
    return door.split("-")[0]


def enabled(chat: ChatConfig, door: Door) -> bool:
    return bool(getattr(chat, platform(door)).enabled)


def receive(chat: ChatConfig, door: Door, headers: dict[str, str], body: bytes, now: float) -> Question | Ping | None:
    """The verified question (None: a signed request that asks nothing we answer); ``ChatRefused`` if
    the signature or the timestamp is wrong; ``ChatNotSetUp`` if the secret is not in the environment."""
    window = chat.replay_window
    if door.startswith("slack"):
        slack.verify(headers, body, _secret(chat.slack.signing_secret_env, "the Slack signing secret"), now, window)
        return slack.slash_command(body) if door == "slack-commands" else slack.interaction(body)
    if door == "discord":
        key = chat.discord.public_key or _secret(chat.discord.public_key_env or "", "the Discord public key")
        discord.verify(headers, body, key, now, window)
        return discord.interaction(body)
    teams.verify(headers, body, _secret(chat.teams.secret_env, "the Teams webhook secret"), now, window)
    return teams.message(body)


def reply(door: Door, answer: Answer) -> dict[str, Any]:
    """The platform's reply to the request, carrying ``answer``."""
    if door.startswith("slack"):
        return slack_blocks.message(answer)
    if door == "discord":
        return discord_embeds.interaction_reply(answer)
    return teams_cards.message(answer)


def _secret(variable: str, what: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise ChatNotSetUp(f"environment variable {variable} ({what}) is not set")
    return value
