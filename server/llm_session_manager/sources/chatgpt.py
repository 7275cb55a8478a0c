"""ChatGPT's data export: ``conversations.json``, every conversation of an account.

Settings → Data controls → Export data mails a zip whose ``conversations.json``
is a JSON array of conversations. Each holds its messages as a tree
(``mapping``: node id → ``{message, parent, children}``): editing a prompt or
regenerating an answer starts a new branch and keeps the old one, and
``current_node`` is the leaf of the branch the user last saw. Only that branch
is read, from ``current_node`` up to the root.

ChatGPT records no token counts. Each assistant message on the branch is taken
as one response and estimated with o200k_base (the tokenizer of ChatGPT's
GPT-4o and GPT-5 models): its input is the text of every earlier message on the
branch (what the model was shown), its output its own text. Text only: images,
files, memory, the system prompt and per-message framing are not counted, so
this is a lower bound. Cost is 0: ChatGPT is a subscription, not billed per
token.

The file can be hundreds of MB: it is split into conversations as raw JSON and
each is decoded into typed structs, so a damaged conversation is counted as
malformed and the rest still read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import msgspec

from ..encoding import count_o200k
from ..models import Batch, MessageRow, SessionRow, UsageRow
from .base import find_sniffed

PROVIDER = "chatgpt"


class _Author(msgspec.Struct):
    role: str = ""


class _Part(msgspec.Struct):
    """An object among ``parts``: an image pointer, or a voice transcript with ``text``."""

    text: str | None = None


class _Content(msgspec.Struct):
    content_type: str = ""
    parts: list[msgspec.Raw] = []  # strings, or objects (decoded only when met)
    text: str | None = None  # code, execution output, quotes
    user_profile: str | None = None  # custom instructions (``user_editable_context``)
    user_instructions: str | None = None


class _Meta(msgspec.Struct):
    model_slug: str | None = None
    is_visually_hidden_from_conversation: bool | None = None


class _Message(msgspec.Struct):
    id: str
    author: _Author
    content: _Content | None = None
    create_time: float | None = None
    metadata: _Meta | None = None
    recipient: str | None = None


class _Node(msgspec.Struct):
    message: _Message | None = None
    parent: str | None = None


class _Conversation(msgspec.Struct):
    mapping: dict[str, _Node]
    current_node: str | None = None
    conversation_id: str | None = None
    id: str | None = None
    title: str | None = None
    create_time: float | None = None
    update_time: float | None = None
    default_model_slug: str | None = None


_SPLIT = msgspec.json.Decoder(list[msgspec.Raw])
_CONVERSATION = msgspec.json.Decoder(_Conversation)
_STR = msgspec.json.Decoder(str)
_PART = msgspec.json.Decoder(_Part)
_ERRORS = (msgspec.DecodeError, msgspec.ValidationError)


class ChatGPT:
    provider = PROVIDER
    exact = False
    layout = "document"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        """No standard place: exports are wherever the user unzipped them (``import``,
        or ``sources.chatgpt.paths``)."""
        return []

    def discover(self, root: Path) -> Iterator[Path]:
        """The ``.json`` files under ``root`` that are ChatGPT exports."""
        return find_sniffed(root, ".json", self.sniff)

    def sniff(self, head: bytes) -> bool:
        """An array whose first conversation has a message ``mapping``."""
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[") and b'"mapping"' in head

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        batch = Batch()
        try:
            conversations = _SPLIT.decode(data)
        except _ERRORS:
            batch.malformed += 1  # not an export, or caught mid-write
            return batch
        for raw in conversations:
            try:
                _read(_CONVERSATION.decode(raw), batch)
            except (*_ERRORS, KeyError):
                batch.malformed += 1
        return batch


def _read(conv: _Conversation, batch: Batch) -> None:
    cid = conv.conversation_id or conv.id
    if not cid:
        raise KeyError("conversation without an id")
    sid = f"{PROVIDER}:{cid}"
    started = conv.create_time
    ts = started or 0.0
    seen = 0  # tokens of the branch so far: what the next response is shown
    model = None
    for message in _branch(conv):
        ts = message.create_time or ts
        started = started or message.create_time
        text = _text(message.content)
        if not text:
            continue
        role = message.author.role
        count = count_o200k(text)
        meta = message.metadata or _Meta()
        if role == "assistant":
            model = meta.model_slug or conv.default_model_slug or model or "unknown"
            batch.usage.append(UsageRow(
                f"{PROVIDER}:{message.id}", sid, ts, model, seen, count, 0, 0, 0.0, False, seen, None,
            ))
        if role in ("user", "assistant") and message.recipient in (None, "all") \
                and not meta.is_visually_hidden_from_conversation:
            kind = "prompt" if role == "user" else "text"
            batch.messages.append(MessageRow(f"{PROVIDER}:{message.id}", sid, ts, role, kind, text))
        seen += count
    batch.see_session(SessionRow(
        sid, PROVIDER, None, conv.title or None, model or conv.default_model_slug, None, None,
        started or ts, max(conv.update_time or 0.0, ts),
    ))


def _branch(conv: _Conversation) -> list[_Message]:
    """The messages from the root to ``current_node``: the branch the user last saw."""
    if conv.current_node not in conv.mapping:
        raise KeyError(f"current_node {conv.current_node} is not in the mapping")
    messages: list[_Message] = []
    node_id, visited = conv.current_node, set()
    while node_id is not None and node_id not in visited:
        visited.add(node_id)
        node = conv.mapping.get(node_id)
        if node is None:
            break  # a parent the export left out: the branch starts here
        if node.message is not None:
            messages.append(node.message)
        node_id = node.parent
    messages.reverse()
    return messages


def _text(content: _Content | None) -> str:
    """The words of a message: its string parts, voice transcripts, code or custom instructions."""
    if content is None:
        return ""
    pieces: list[str] = []
    for raw in content.parts:
        start = memoryview(raw)[:1]
        if start == b'"':
            pieces.append(_STR.decode(raw))
        elif start == b"{":
            pieces.append(_PART.decode(raw).text or "")
    pieces += (t for t in (content.text, content.user_profile, content.user_instructions) if t)
    return "\n".join(p for p in pieces if p).strip()


SOURCE = ChatGPT()

__all__ = ["SOURCE", "ChatGPT"]
