"""A ChatGPT export read into rows: its conversations as typed structs, one branch each."""

from __future__ import annotations

import re

import msgspec

from ...core.encoding import count_o200k
from ...core.models import Batch, MessageRow, SessionRow, UsageRow
from ..base import decode_lenient
from . import PROVIDER


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
# The bytes that open or close a value, and a whole string (which may hold them).
_BRACKETS = re.compile(rb'[\[\]{}"]')
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def read_export(data: bytes) -> Batch:
    """Rows of every conversation in ``conversations.json``; a damaged one is counted as malformed.

    msgspec decodes by recursion and gives up on a value nested deeper than
    Python's recursion limit (RecursionError). Such an export is split into its
    conversations without recursion, so only the deep one is lost, with a warning.
    """
    batch = Batch()
    try:
        conversations: list[msgspec.Raw] | list[bytes] = _SPLIT.decode(data)
    except RecursionError:
        conversations = _conversations(data)
    except _ERRORS:
        batch.malformed += 1  # not an export, or caught mid-write
        return batch
    deep = 0
    for raw in conversations:
        try:  # one byte that is not UTF-8 must not cost the conversation
            _read(decode_lenient(_CONVERSATION.decode, raw), batch)
        except (*_ERRORS, KeyError):
            batch.malformed += 1
        except RecursionError:
            batch.malformed += 1
            deep += 1
    if deep:
        what = "a conversation" if deep == 1 else f"{deep} conversations"
        batch.warnings.append(f"{what} nested too deeply to read (more than Python's recursion limit); skipped")
    return batch


def _conversations(data: bytes) -> list[bytes]:
    """The objects of the export's top-level array, found without recursion: each
    bracket outside a string moves the depth by one. An unclosed one ends the list."""
    found: list[bytes] = []
    depth, start = 0, 0
    at = data.find(b"[") + 1
    while match := _BRACKETS.search(data, at):
        char, at = match.group(), match.end()
        if char == b'"':
            string = _STRING.match(data, match.start())
            if string is None:
                break  # a string cut short: the export was caught mid-write
            at = string.end()
        elif char in b"[{":
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth == 0:  # the array's own ]
            break
        else:
            depth -= 1
            if depth == 0 and data[start:start + 1] == b"{":
                found.append(data[start:at])
    return found


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
    node_id: str | None = conv.current_node
    visited: set[str] = set()
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
