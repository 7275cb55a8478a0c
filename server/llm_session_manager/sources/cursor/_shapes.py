"""The JSON Cursor stores in its key/value tables, as far as we read it.

Only the fields used are declared; msgspec skips the rest (a composer also holds
code-block state, file snapshots and UI flags, often hundreds of kilobytes).
Fields whose shape has changed between Cursor versions are typed loosely
(``Any``) and read by ``_tools``, so one odd field never costs a whole bubble.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct

from ..base import utc_seconds

Stamp = str | int | float | None  # ISO 8601 in bubbles since late 2025, unix ms before


class TokenCount(Struct, gc=False):
    inputTokens: int | float = 0
    outputTokens: int | float = 0


class Timing(Struct, gc=False):
    """Unix ms of a request's send and end (``clientStartTime`` is a monotonic clock)."""

    clientRpcSendTime: float | None = None
    clientSettleTime: float | None = None
    clientEndTime: float | None = None


class ModelInfo(Struct, gc=False):
    modelName: str | None = None


class ToolFormer(Struct, gc=False):
    """A tool call an assistant bubble made: ``params``/``rawArgs`` are JSON text or objects."""

    name: str | None = None
    params: Any = None
    rawArgs: Any = None


class Bubble(Struct, gc=False):
    """One message: ``bubbleId:<composerId>:<bubbleId>``, or an entry of an old inline
    ``conversation``. ``type`` 1 is the user, 2 the assistant."""

    type: int = 0
    bubbleId: str = ""
    text: str | None = None
    rawText: str | None = None  # answers of the 2024 composer
    createdAt: Stamp = None
    timingInfo: Timing | None = None
    tokenCount: TokenCount | None = None
    modelInfo: ModelInfo | None = None
    modelType: str | None = None  # the model of a 2024 answer
    toolFormerData: ToolFormer | None = None
    relevantFiles: Any = None
    context: Any = None


class Header(Struct, gc=False):
    bubbleId: str = ""
    type: int = 0


class ModelConfig(Struct, gc=False):
    modelName: str | None = None


class Uri(Struct, gc=False):
    fsPath: str | None = None
    path: str | None = None


class WorkspaceId(Struct, gc=False):
    uri: Uri | None = None


class Composer(Struct, gc=False):
    """``composerData:<composerId>``: one chat/agent session and the order of its bubbles."""

    composerId: str = ""
    name: str | None = None
    createdAt: Stamp = None
    lastUpdatedAt: Stamp = None
    fullConversationHeadersOnly: list[Header] = []
    conversation: list[Bubble] = []  # before bubbles got their own rows
    modelConfig: ModelConfig | None = None
    createdOnBranch: str | None = None
    workspaceIdentifier: WorkspaceId | None = None


class ComposerHead(Struct, gc=False):
    """An entry of ``composer.composerData`` (per workspace) or of the global
    ``composer.composerHeaders`` that newer versions keep instead."""

    composerId: str = ""
    workspaceIdentifier: WorkspaceId | None = None


class ComposerIndex(Struct, gc=False):
    allComposers: list[ComposerHead] = []


class TabBubble(Struct, gc=False):
    """A bubble of the pre-composer chat panel: ``type`` is ``"user"`` or ``"ai"``."""

    type: str = ""
    id: str | None = None
    text: str | None = None
    rawText: str | None = None
    modelType: str | None = None


class Tab(Struct, gc=False):
    tabId: str = ""
    chatTitle: str | None = None
    lastSendTime: Stamp = None
    bubbles: list[TabBubble] = []


class ChatData(Struct, gc=False):
    """``workbench.panel.aichat.view.aichat.chatdata`` in a workspace's ``ItemTable``."""

    tabs: list[Tab] = []


# What decoding a value can raise: msgspec's errors, and UnicodeDecodeError for bytes.

BUBBLE = msgspec.json.Decoder(Bubble)
COMPOSER = msgspec.json.Decoder(Composer)
INDEX = msgspec.json.Decoder(ComposerIndex)
CHAT_DATA = msgspec.json.Decoder(ChatData)


def seconds(stamp: Stamp) -> float | None:
    """Unix seconds of a Cursor timestamp (unix ms, or ISO 8601 with or without zone)."""
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        return stamp / 1000 if stamp > 1e11 else None  # not a monotonic clock reading
    if isinstance(stamp, str) and stamp:
        try:
            return utc_seconds(stamp)
        except ValueError:
            return None
    return None


def bubble_time(b: Bubble) -> float | None:
    """When a bubble was written: ``createdAt``, else the end of its request."""
    ts = seconds(b.createdAt)
    if ts is None and b.timingInfo is not None:
        t = b.timingInfo
        ts = seconds(t.clientEndTime) or seconds(t.clientSettleTime) or seconds(t.clientRpcSendTime)
    return ts


def bubble_text(b: Bubble) -> str:
    return (b.text or b.rawText or "").strip()
