"""Microsoft Teams: an outgoing webhook's signed message activity in, an Adaptive Card out.

Teams signs the body with HMAC-SHA256 under the webhook's security token
(base64, shown once when the webhook is made) and sends ``Authorization: HMAC
<base64 digest>``; we compare with ``hmac.compare_digest``. The activity's own
``timestamp`` (inside the signed body) must be within the replay window.
The message holds the bot's mention (``<at>llm</at> usage week``) and may hold
HTML; what is left after them is the command.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import html
import json
import re
from typing import Any

from ...core.errors import ChatNotSetUp, ChatRefused
from .commands import parse
from .question import Question, fresh, header

_MENTION = re.compile(r"<at>.*?</at>", re.S)
_TAG = re.compile(r"<[^>]+>")


def verify(headers: dict[str, str], body: bytes, secret: str, now: float, window: float) -> None:
    scheme, _, given = header(headers, "Authorization").partition(" ")
    if scheme != "HMAC" or not given.strip():
        raise ChatRefused("the request is unsigned: no 'Authorization: HMAC ...' header")
    try:
        key = base64.b64decode(secret, validate=True)
    except binascii.Error:
        raise ChatNotSetUp("the Teams webhook secret is not base64 (copy the security token Teams showed)") from None
    expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise ChatRefused("the request's HMAC does not match its body")
    try:
        stamped = dt.datetime.fromisoformat(str(json.loads(body).get("timestamp")))
        sent_at = (stamped if stamped.tzinfo else stamped.replace(tzinfo=dt.UTC)).timestamp()
    except (ValueError, AttributeError):
        raise ChatRefused("the activity has no timestamp to check against replays") from None
    fresh(sent_at, now, window)


def message(body: bytes) -> Question | None:
    try:
        sent: dict[str, Any] = json.loads(body)
    except ValueError:
        return None
    if sent.get("type") != "message":
        return None
    who = sent.get("from") or {}
    tenant = ((sent.get("channelData") or {}).get("tenant") or {}).get("id", "")
    words = html.unescape(_TAG.sub(" ", _MENTION.sub(" ", str(sent.get("text") or "")))).replace("\xa0", " ")
    words = words.strip().removeprefix("/llm").removeprefix("llm ")
    return Question("teams", str(tenant), str(who.get("aadObjectId") or who.get("id") or ""), parse(words),
                    user_name=str(who.get("name", "")), also_known_as=str(who.get("id", "")))
