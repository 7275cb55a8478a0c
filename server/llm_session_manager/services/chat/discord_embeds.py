"""An answer as one Discord embed: title, description, the facts as inline fields, an item per field.

Within Discord's limits (25 fields; 256 characters a title or field name,
1,024 a field value, 4,096 the description). The reply mentions nobody
(``allowed_mentions``), so a session title cannot ping ``@everyone``.
"""

from __future__ import annotations

from typing import Any

from .answers import Answer, Tone

MAX_FIELDS = 25
COLOURS: dict[Tone, int] = {"info": 0x5865F2, "good": 0x57F287, "warning": 0xFEE75C, "critical": 0xED4245,
                            "refused": 0x99AAB5}
EPHEMERAL = 1 << 6  # the message flag: only the asker sees the answer


def embed(answer: Answer) -> dict[str, Any]:
    fields = [{"name": f.label[:256], "value": f.value[:1024] or "–", "inline": True} for f in answer.facts]
    for item in answer.items:
        lines = ([item.text] if item.text else []) + [f"**{f.label}:** {f.value}" for f in item.facts]
        fields.append({"name": item.title[:256], "value": "\n".join(lines)[:1024] or "–", "inline": False})
    out: dict[str, Any] = {"title": answer.title[:256], "color": COLOURS[answer.tone],
                           "fields": fields[:MAX_FIELDS], "footer": {"text": answer.footer}}
    if answer.text:
        out["description"] = answer.text[:4096]
    return out


def interaction_reply(answer: Answer) -> dict[str, Any]:
    """The response to an application command: a message (type 4) seen only by the asker."""
    return {"type": 4, "data": {"embeds": [embed(answer)], "flags": EPHEMERAL, "allowed_mentions": {"parse": []}}}
