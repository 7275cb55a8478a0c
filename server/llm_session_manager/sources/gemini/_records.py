"""The shapes Gemini CLI's ``ChatRecordingService`` writes, and reading them.

A chat is a ``ConversationRecord`` (``packages/core/src/services/chatRecordingTypes.ts``):
session metadata and ``messages``, each a ``MessageRecord`` whose ``gemini`` kind
carries the response's ``tokens`` (``TokensSummary``: the API's usage metadata,
renamed). Releases before the JSONL recorder rewrite the whole record as one
``session-*.json`` document; later ones append it to ``session-*.jsonl``: the
metadata first, then each message (again, whole, each time it changes),
``{"$set": {...}}`` metadata updates and ``{"$rewindTo": id}`` markers.

Only the fields read here are declared; ``content`` is ``PartListUnion`` (a
string, a part or a list of either), so it is left as decoded JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from msgspec import Struct


class Tokens(Struct, gc=False):
    input: int = 0  # promptTokenCount: the whole prompt, cached part included
    output: int = 0  # candidatesTokenCount: the answer, thoughts excluded
    cached: int = 0  # cachedContentTokenCount
    thoughts: int = 0  # thoughtsTokenCount
    tool: int = 0  # toolUsePromptTokenCount: prompt tokens of tool use, not in ``input``
    total: int = 0  # totalTokenCount = input + output + thoughts + tool


class ToolCall(Struct, gc=False):
    id: str = ""
    name: str = ""
    args: Any = None
    status: str = ""
    result: msgspec.Raw = msgspec.Raw(b"")  # PartListUnion: what the call put into the context
    displayName: str | None = None  # an MCP tool's: "<tool> (<server> MCP Server)"


class Message(Struct, gc=False):
    id: str
    timestamp: str = ""
    type: str = ""  # user | gemini | info | error | warning
    content: Any = None
    displayContent: Any = None  # what the user typed, where ``content`` was expanded
    tokens: Tokens | None = None
    model: str | None = None
    toolCalls: list[ToolCall] | None = None


class Conversation(Struct, gc=False):
    """A whole ``session-*.json`` document."""

    sessionId: str
    projectHash: str = ""
    projectRoot: str | None = None  # written by some 0.2x builds
    startTime: str = ""
    lastUpdated: str = ""
    kind: str | None = None  # main | subagent
    directories: list[str] | None = None
    summary: str | None = None  # the CLI's one-line summary of the chat, for its session browser
    messages: list[msgspec.Raw] = []


class Update(Struct, gc=False):
    """What a ``$set`` record changes that is read here."""

    lastUpdated: str | None = None
    directories: list[str] | None = None
    summary: str | None = None
    messages: list[msgspec.Raw] | None = None


class Record(Struct, gc=False):
    """One line of a ``session-*.jsonl`` file: metadata, a message, or ``$set``."""

    id: str | None = None  # a message record
    sessionId: str | None = None  # the metadata line
    projectHash: str | None = None
    startTime: str | None = None
    lastUpdated: str | None = None
    kind: str | None = None
    directories: list[str] | None = None
    update: Update | None = msgspec.field(default=None, name="$set")


class LogEntry(Struct, gc=False):
    """One prompt in ``logs.json`` (``packages/core/src/core/logger.ts``)."""

    sessionId: str
    messageId: int
    timestamp: str
    type: str
    message: str


# Decoding raises these: msgspec's errors, and UnicodeDecodeError for text that is not UTF-8.

MESSAGE = msgspec.json.Decoder(Message)
CONVERSATION = msgspec.json.Decoder(Conversation)
RECORD = msgspec.json.Decoder(Record)
LOG = msgspec.json.Decoder(list[msgspec.Raw])
LOG_ENTRY = msgspec.json.Decoder(LogEntry)


def seconds(timestamp: str | None) -> float | None:
    """Unix seconds of an ISO 8601 timestamp (``2025-09-30T14:11:04.096Z``); None if it has none."""
    if not timestamp:
        return None
    try:
        return datetime.fromisoformat(timestamp).timestamp()
    except ValueError:
        return None


def text_of(content: Any) -> str:
    """The text parts of a ``PartListUnion``, joined as Gemini CLI joins them.

    Thought parts, function calls and responses and inline data carry no text
    a person wrote or read, so they count for nothing.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return ""
    texts: list[str] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and not part.get("thought"):
            text = part.get("text")
            if isinstance(text, str):
                texts.append(text)
    return "".join(texts)
