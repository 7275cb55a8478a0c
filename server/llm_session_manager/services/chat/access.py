"""Who may see anything: a chat user is let in only once they are known, as the web lets in only
a token's holder.

Local mode (``serve`` with no team server): the chat user ids listed in
``chat.<platform>.allowed_users``; they see this store, all of it, since it is
one person's machine. Anyone else gets only the link instruction, with the id
to add, and nothing from the store.
"""

from __future__ import annotations

from ...core.config_chat import ChatConfig
from .answers import Answer
from .question import Question


def allowed(chat: ChatConfig, asking: Question) -> bool:
    listed = set(getattr(chat, asking.platform).allowed_users)
    return bool(({asking.user, asking.also_known_as} - {""}) & listed)


def link_instruction(asking: Question) -> Answer:
    """All an unknown chat user is told: how to be let in."""
    return Answer(
        "Not linked yet",
        f"This bot answers only the people its owner has let in. Ask them to add your {asking.platform} user id "
        f"{asking.user} to chat.{asking.platform}.allowed_users in the config of llm-session serve.",
        tone="refused")
