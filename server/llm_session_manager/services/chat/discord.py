"""Discord: signed interactions in (a PING, or ``/llm`` with a subcommand), an embed out.

Discord signs ``timestamp + body`` with the application's Ed25519 key; PyNaCl's
``VerifyKey`` checks it against the public key from the developer portal.
Discord sends a timestamp but sets no window; ours (``chat.replay_window``)
refuses a replayed request as Slack's does.
"""

from __future__ import annotations

import json
from typing import Any

from ...core.errors import ChatNotSetUp, ChatRefused
from .commands import Command, parse
from .question import Ping, Question, fresh, header

PING, APPLICATION_COMMAND = 1, 2
PONG = {"type": 1}


def verify(headers: dict[str, str], body: bytes, public_key: str, now: float, window: float) -> None:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        key = VerifyKey(bytes.fromhex(public_key))
    except (ValueError, TypeError):
        raise ChatNotSetUp("the Discord public key is not 64 hexadecimal digits (the portal's 'Public Key')") from None
    signature = header(headers, "X-Signature-Ed25519")
    timestamp = header(headers, "X-Signature-Timestamp")
    try:
        key.verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (BadSignatureError, ValueError):
        raise ChatRefused("the request's X-Signature-Ed25519 does not match its body") from None
    try:
        fresh(float(timestamp), now, window)
    except ValueError:
        raise ChatRefused("the request's X-Signature-Timestamp is not a number") from None


def interaction(body: bytes) -> Question | Ping | None:
    """The PING, or the ``/llm`` command asked; None for any other interaction."""
    try:
        sent: dict[str, Any] = json.loads(body)
    except ValueError:
        return None
    if sent.get("type") == PING:
        return Ping()
    if sent.get("type") != APPLICATION_COMMAND:
        return None
    user = (sent.get("member") or {}).get("user") or sent.get("user") or {}
    return Question("discord", str(sent.get("guild_id") or ""), str(user.get("id", "")),
                    _command(sent.get("data") or {}), user_name=str(user.get("username", "")))


def _command(data: dict[str, Any]) -> Command:
    """``/llm usage period:week`` arrives as a subcommand with options: the same words as Slack's text."""
    sub = (data.get("options") or [{}])[0]
    words = [str(sub.get("name", ""))] + [str(o.get("value", "")) for o in sub.get("options") or []]
    return parse(" ".join(words))
