"""Slack, Discord and Teams incoming webhooks: one JSON POST each, standard library only.

A webhook URL is a password (whoever has it can post), so errors name only
its host, never the URL.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from ... import __version__
from ...core.config_notifications import WebhookChannel
from .notification import ChannelFailed, Notification


def slack(settings: WebhookChannel, note: Notification, timeout: float) -> None:
    """Slack's ``{"text"}``: mrkdwn, where &, < and > must be escaped."""
    text = f"*{note.title}*\n{note.message}"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    _post_json(_url(settings, "slack"), {"text": text}, timeout)


def discord(settings: WebhookChannel, note: Notification, timeout: float) -> None:
    """Discord's ``{"content"}``; no mentions, so an ``@everyone`` in a title pings nobody."""
    content = f"**{note.title}**\n{note.message}"
    _post_json(_url(settings, "discord"), {"content": content, "allowed_mentions": {"parse": []}}, timeout)


def teams(settings: WebhookChannel, note: Notification, timeout: float) -> None:
    """An Adaptive Card in a ``message`` activity: what a Teams channel's webhook (a Workflows
    "post to a channel when a webhook request is received" flow) takes, drawn as the chat bot's answers are."""
    from ..chat.answers import Answer
    from ..chat.teams_cards import message

    card = message(Answer(note.title, note.message, tone="critical" if note.severity == "critical" else "warning"))
    _post_json(_url(settings, "teams"), card, timeout)


def _post_json(url: str, payload: dict, timeout: float) -> None:
    host = urllib.parse.urlsplit(url).hostname or "?"
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        # Discord's front refuses Python's default User-Agent.
        headers={"Content-Type": "application/json", "User-Agent": f"llm-session-manager/{__version__}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as e:
        said = e.read(200).decode(errors="replace").strip().splitlines()
        raise ChannelFailed(f"{host} answered HTTP {e.code}" + (f": {said[0]}" if said else "")) from None
    except urllib.error.URLError as e:
        reason = "timed out" if isinstance(e.reason, TimeoutError) else getattr(e.reason, "strerror", None) or e.reason
        raise ChannelFailed(f"cannot reach {host}: {reason}") from None
    except TimeoutError:
        raise ChannelFailed(f"{host} did not answer within {timeout:g} s") from None
    except OSError as e:
        raise ChannelFailed(f"cannot reach {host}: {e.strerror or e}") from None


def _url(settings: WebhookChannel, name: str) -> str:
    if settings.webhook_url is not None:
        return settings.webhook_url
    url = os.environ.get(settings.webhook_url_env or "", "")
    if not url:
        raise ChannelFailed(f"environment variable {settings.webhook_url_env} (the {name} webhook URL) is not set")
    return url
