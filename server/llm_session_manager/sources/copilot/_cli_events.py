"""The shapes of Copilot CLI ``events.jsonl`` lines, and the state kept between chunks.

Every line is ``{"type":…,"data":{…},"id":…,"timestamp":…,"parentId":…}`` (plus
``agentId`` for a sub-agent's events), as ``SessionEvent`` in
``github/copilot-sdk`` ``nodejs/src/generated/session-events.ts`` describes them.
Events marked ephemeral there — among them ``assistant.usage`` and
``session.usage_info`` — are never written to disk, so the log's token counts are
each ``assistant.message``'s ``outputTokens`` and each ``session.shutdown``'s
per-model ``modelMetrics``. Only the fields read here are declared.
"""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

import msgspec
from msgspec import Struct

D = TypeVar("D")


class Event(Struct, Generic[D], gc=False):
    data: D
    id: str = ""
    timestamp: str = ""
    agentId: str | None = None


class Context(Struct, gc=False):
    cwd: str | None = None
    branch: str | None = None


class Start(Struct, gc=False):
    """``session.start`` and ``session.resume``."""

    sessionId: str | None = None
    selectedModel: str | None = None
    copilotVersion: str | None = None
    context: Context | None = None


class ModelChange(Struct, gc=False):
    newModel: str | None = None


class UserMessage(Struct, gc=False):
    content: str = ""
    source: str | None = None  # set for text a skill or command injected
    isAutopilotContinuation: bool = False


class ToolRequest(Struct, gc=False):
    name: str | None = None
    toolName: str | None = None  # older CLIs
    toolCallId: str | None = None
    arguments: Any = None


class AssistantMessage(Struct, gc=False):
    messageId: str = ""
    apiCallId: str | None = None  # shared by the messages of one model call
    content: str = ""
    model: str | None = None
    outputTokens: int | None = None
    parentToolCallId: str | None = None
    toolRequests: list[ToolRequest] = []


class Usage(Struct, gc=False):
    inputTokens: int = 0  # includes cache reads and writes
    outputTokens: int = 0
    cacheReadTokens: int = 0
    cacheWriteTokens: int = 0


class ModelMetric(Struct, gc=False):
    usage: Usage | None = None


class Shutdown(Struct, gc=False):
    modelMetrics: dict[str, ModelMetric] = {}
    currentTokens: int | None = None


class Compaction(Struct, gc=False):
    success: bool = False
    summaryContent: str | None = None
    postCompactionTokens: int | None = None


class _Probe(Struct, gc=False):
    type: str = ""


class _Nothing(Struct, gc=False):
    pass


PROBE = msgspec.json.Decoder(_Probe)
VALIDATE = msgspec.json.Decoder(_Nothing)  # a line nobody reads must still be JSON
# The CLI writes ``type`` first: the kind of nearly every line is in its first bytes.
HEAD = re.compile(rb'\{"type":"([^"]*)"')

Counts = tuple[int, int, int, int]  # input (with cache), output, cache read, cache write


class State(Struct, omit_defaults=True, gc=False):
    """Encoded into ``Batch.state``; the field names are stored bytes, keep them."""

    session_id: str | None = None
    cwd: str | None = None
    branch: str | None = None
    version: str | None = None
    model: str | None = None
    title: str | None = None
    context: int = 0  # tokens in the window when last measured
    rollup: dict[str, Counts] = {}  # each model's totals at the last shutdown
    leg: dict[str, tuple[str, int]] = {}  # model calls since: key -> (model, output counted)
    reset: bool = False  # a compaction since the last shutdown restarted the totals


STATE_ENCODER = msgspec.msgpack.Encoder()
STATE_DECODER = msgspec.msgpack.Decoder(State)
