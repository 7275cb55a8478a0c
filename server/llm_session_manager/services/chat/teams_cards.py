"""An answer as a Microsoft Teams Adaptive Card (schema 1.4), in the message envelope Teams takes.

The same envelope answers an outgoing webhook and posts to a channel's
webhook (an alert): a ``message`` activity whose one attachment is the card.
The facts are a FactSet; each item a separated Container; the answer's tone
the first container's style.
"""

from __future__ import annotations

from typing import Any

from .answers import Answer, Item, Tone

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
STYLES: dict[Tone, str] = {"info": "default", "good": "good", "warning": "warning", "critical": "attention",
                           "refused": "emphasis"}


def card(answer: Answer) -> dict[str, Any]:
    head: list[dict[str, Any]] = [{"type": "TextBlock", "text": answer.title, "weight": "Bolder", "size": "Medium",
                                   "wrap": True}]
    if answer.text:
        head.append({"type": "TextBlock", "text": answer.text, "wrap": True})
    if answer.facts:
        head.append(_facts(answer))
    body: list[dict[str, Any]] = [{"type": "Container", "style": STYLES[answer.tone], "items": head}]
    body += [_item(item) for item in answer.items]
    body.append({"type": "TextBlock", "text": answer.footer, "isSubtle": True, "size": "Small", "wrap": True})
    return {"$schema": SCHEMA, "type": "AdaptiveCard", "version": "1.4", "body": body}


def message(answer: Answer) -> dict[str, Any]:
    return {"type": "message", "text": answer.title,
            "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card(answer)}]}


def _facts(of: Answer | Item) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": f.label, "value": f.value} for f in of.facts]}


def _item(item: Item) -> dict[str, Any]:
    items: list[dict[str, Any]] = [{"type": "TextBlock", "text": item.title, "weight": "Bolder", "wrap": True}]
    if item.text:
        items.append({"type": "TextBlock", "text": item.text, "isSubtle": True, "wrap": True})
    if item.facts:
        items.append(_facts(item))
    return {"type": "Container", "separator": True, "items": items}
