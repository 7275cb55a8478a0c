"""Slack: signed slash commands and button presses in, Block Kit out.

The signature is checked by ``slack_sdk``'s ``SignatureVerifier`` (HMAC-SHA256
of ``v0:timestamp:body`` with the app's signing secret, compared in constant
time); before it, the timestamp must be within the replay window. ``slack_sdk``
rather than ``slack-bolt``: Bolt is a whole app framework with its own
request loop and listeners, where all we need is the verifier, and our routes
already run on serve's Starlette/Hypercorn stack.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from ... import __version__
from ...core.errors import ChatRefused
from .commands import parse
from .question import Question, fresh, header


def verify(headers: dict[str, str], body: bytes, secret: str, now: float, window: float) -> None:
    from slack_sdk.signature import Clock, SignatureVerifier

    timestamp = header(headers, "X-Slack-Request-Timestamp")
    signature = header(headers, "X-Slack-Signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise ChatRefused("the request's X-Slack-Request-Timestamp is not a number") from None
    fresh(sent_at, now, window)

    class _At(Clock):  # the verifier's own five-minute check, on our clock
        def now(self) -> float:
            return now

    if not SignatureVerifier(secret, clock=_At()).is_valid(body, timestamp, signature):
        raise ChatRefused("the request's X-Slack-Signature does not match its body")


def slash_command(body: bytes) -> Question:
    """A slash command's form (``command``, ``text``, ``user_id``, ``team_id``, ``response_url``)."""
    form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
    return Question("slack", form.get("team_id", ""), form.get("user_id", ""), parse(form.get("text", "")),
                    user_name=form.get("user_name", ""), response_url=form.get("response_url"))


def interaction(body: bytes) -> Question | None:
    """A button press (``block_actions``) as the command its value holds; None for anything else."""
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    try:
        payload = json.loads(form["payload"][0])
    except (KeyError, ValueError):
        return None
    actions = payload.get("actions") or []
    if payload.get("type") != "block_actions" or not actions or not isinstance(actions[0].get("value"), str):
        return None
    user = payload.get("user") or {}
    team = (payload.get("team") or {}).get("id") or user.get("team_id", "")
    return Question("slack", team, user.get("id", ""), parse(actions[0]["value"]),
                    user_name=user.get("username", ""), response_url=payload.get("response_url"))


def post(url: str, message: dict, timeout: float) -> None:
    """A message to a ``response_url`` (a button's answer, or a slow command's)."""
    request = urllib.request.Request(url, data=json.dumps(message).encode(), method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"llm-session-manager/{__version__}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
