"""The shapes of Claude Code transcript lines, decoded straight from bytes.

msgspec skips every field not declared here, so a line costs little more than a
scan of its bytes. Payloads needed only now and then (message content, tool input
and output, usage iterations, progress relays, summaries) stay ``Raw`` until
something asks.
``X | None | UnsetType`` tells an explicit ``null`` (which makes ccusage drop the
line's usage) from a missing field. Every struct is ``gc=False``: they hold no
cycles, and a chunk makes hundreds of thousands of them. Fields are declared in
the order Claude Code writes them, rare ones last: msgspec looks each key up
starting after the field it matched last.
"""

from collections.abc import Iterator
from datetime import datetime

import msgspec
from msgspec import UNSET, Raw, Struct, UnsetType

from ...core.models import Batch
from ..base import DECODE_ERRORS, decode_replacing


class CacheCreation(Struct, gc=False):
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0


class Usage(Struct, gc=False):
    input_tokens: int | None = None
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET
    cache_creation: CacheCreation | None = None
    output_tokens: int | None = None
    speed: str | UnsetType | None = UNSET
    iterations: Raw = Raw()  # decoded only when it names an advisor


class Block(Struct, gc=False):
    type: str = ""
    text: str | None = None
    tool_use_id: str | None = None  # a tool_result's
    id: str | None = None
    name: str | None = None
    input: Raw = Raw()  # decoded only for file tools
    content: Raw = Raw()  # tool output, often whole files: decoded only on error
    is_error: bool | None = None


class Message(Struct, gc=False):
    model: str | UnsetType | None = UNSET
    id: str | UnsetType | None = UNSET
    # Decoded only where the conversation is read (``CONTENT``): a response whose
    # content has a shape we cannot read still counts, as in ccusage, which never reads it.
    content: Raw = Raw()
    usage: Usage | None = None


class Compact(Struct, gc=False):
    trigger: str | None = None
    preTokens: int | None = None


class Line(Struct, gc=False):
    isSidechain: bool | None = None
    cwd: str | UnsetType | None = UNSET
    sessionId: str | UnsetType | None = UNSET
    version: str | UnsetType | None = UNSET
    gitBranch: str | None = None
    agentId: str | None = None  # a line of a sub-agent's own log (2.x ``subagents/agent-<id>.jsonl``)
    type: str = ""
    message: Message | None = None
    requestId: str | UnsetType | None = UNSET
    uuid: str | None = None
    timestamp: datetime | None = None
    isMeta: bool | None = None
    isCompactSummary: bool | None = None
    isApiErrorMessage: bool | UnsetType | None = UNSET
    costUSD: float | UnsetType | None = UNSET
    subtype: str | None = None
    compactMetadata: Compact | None = None
    summary: Raw = Raw()
    leafUuid: str | None = None
    data: Raw = Raw()  # progress payloads; decoded only for ``progress`` lines
    parentToolUseID: str | None = None  # a progress line's: the Task call whose sub-agent it relays
    toolUseResult: Raw = Raw()  # a tool's own result record; decoded only for a sub-agent's (``AGENT_RESULT``)


class Relayed(Struct, gc=False):
    """A sub-agent's line, as a parent's ``progress`` line relays it under ``data.message``."""

    timestamp: datetime | None = None
    uuid: str | None = None
    requestId: str | UnsetType | None = UNSET
    costUSD: float | UnsetType | None = UNSET
    message: Message | None = None


class Progress(Struct, gc=False):
    message: Relayed | None = None
    agentId: str | None = None


class AgentResult(Struct, gc=False):
    """A Task/Agent call's ``toolUseResult``: which sub-agent ran it (2.x), and its type (later 2.x)."""

    agentId: str | None = None
    agentType: str | None = None


class CallInput(Struct, gc=False):
    """What attribution reads of a tool call's input: a Skill's skill, a Task/Agent's sub-agent type."""

    skill: str | None = None
    subagent_type: str | None = None


class Iteration(Struct, gc=False):
    input_tokens: int
    output_tokens: int
    type: str = ""
    model: str | None = None
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation: CacheCreation | None = None


class TextPart(Struct, gc=False):
    text: str | None = None


class FileInput(Struct, gc=False):
    file_path: str | None = None
    notebook_path: str | None = None
    path: str | None = None


CONTENT = msgspec.json.Decoder(str | tuple[Block, ...] | None)
PROGRESS = msgspec.json.Decoder(Progress)
ITERATIONS = msgspec.json.Decoder(tuple[Iteration, ...])
TOOL_OUTPUT = msgspec.json.Decoder(str | tuple[TextPart, ...] | None)
FILE_INPUT = msgspec.json.Decoder(FileInput)
CALL_INPUT = msgspec.json.Decoder(CallInput)
AGENT_RESULT = msgspec.json.Decoder(AgentResult | str | list | None)
TEXT = msgspec.json.Decoder(str)

_LINES = msgspec.json.Decoder(Line)
# Lines are decoded a block at a time, so the objects are still in cache when
# handled; a bad line makes only its own block go line by line.
_BLOCK_BYTES = 256 << 10


def decode(data: bytes, batch: Batch) -> Iterator[list[Line]]:
    """Whole lines of ``data``, a block at a time; lines that do not fit are counted and skipped.

    A line that is not valid UTF-8 (one bad byte in a tool's output) is read with
    the bad bytes replaced, so its usage still counts.
    """
    view = memoryview(data)
    start, size = 0, len(data)
    while start < size:
        end = size
        if start + _BLOCK_BYTES < size:
            end = data.find(b"\n", start + _BLOCK_BYTES) + 1 or size
        block, block_start, start = view[start:end], start, end
        try:
            yield _LINES.decode_lines(block)
        except DECODE_ERRORS:
            lines = []
            for n, raw in enumerate(bytes(block).split(b"\n"), data.count(b"\n", 0, block_start)):
                if raw.strip():
                    try:
                        lines.append(_LINES.decode(raw))
                    except DECODE_ERRORS:
                        try:
                            lines.append(decode_replacing(_LINES.decode, raw))
                        except DECODE_ERRORS as e:
                            batch.skip(n, e)
            yield lines
