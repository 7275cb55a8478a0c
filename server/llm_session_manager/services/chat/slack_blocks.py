"""An answer as Slack Block Kit: a header, the text, the facts as section fields, one section per item.

Within Slack's limits (50 blocks, 10 fields a section, 3,000 characters a
text); text is mrkdwn, where ``&``, ``<`` and ``>`` must be escaped. An item
that asks a follow-up (``Item.ask``) gets a button whose value is that
command: pressing it comes back through the interactivity endpoint.
"""

from __future__ import annotations

from typing import Any

from .answers import Answer, Fact, Item

MAX_BLOCKS = 50
MAX_FIELDS = 10
ACTION_ID = "llm_ask"  # every button's action: its value is the command to run


def message(answer: Answer, *, ephemeral: bool = True) -> dict[str, Any]:
    """The JSON of a slash command's reply, or of a message posted to a ``response_url``."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": answer.title[:150]}}]
    if answer.text:
        blocks.append(_section(answer.text))
    if answer.facts:
        blocks.append({"type": "section", "fields": _fields(answer.facts)})
    room = MAX_BLOCKS - len(blocks) - 1  # the context block closes the message
    for item in answer.items[: room // 2]:
        blocks += [{"type": "divider"}, _item(item)]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(answer.footer)}]})
    return {"response_type": "ephemeral" if ephemeral else "in_channel",
            "text": ": ".join(filter(None, (answer.title, answer.text)))[:3000],  # the notification's and screen readers' fallback
            "blocks": blocks}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)[:3000]}}


def _fields(facts: tuple[Fact, ...]) -> list[dict[str, str]]:
    return [{"type": "mrkdwn", "text": f"*{escape(f.label)}*\n{escape(f.value)}"[:2000]} for f in facts[:MAX_FIELDS]]


def _item(item: Item) -> dict[str, Any]:
    text = f"*{escape(item.title)}*" + (f"\n{escape(item.text)}" if item.text else "")
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    if item.facts:
        block["fields"] = _fields(item.facts)
    if item.ask:
        block["accessory"] = {"type": "button", "action_id": ACTION_ID, "value": item.ask[:2000],
                              "text": {"type": "plain_text", "text": item.ask.split()[0].capitalize()}}
    return block
