"""The shapes of Codex rollout lines, and of the state carried between chunks.

Every rollout line is ``{"timestamp":…,"type":…,"payload":{…}}``; for ``event_msg``
and ``response_item`` lines the payload's own ``type`` says what it is. Only the
fields read here are declared: msgspec skips the rest while it scans the bytes.
Every struct is ``gc=False``: none can hold a cycle, and a scan makes many.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Generic, TypeVar

import msgspec
from msgspec import Struct

Counts = tuple[int, int, int, int, int]  # input, cached, output, reasoning, total

P = TypeVar("P")


class Line(Struct, Generic[P], gc=False):
    payload: P
    timestamp: str = ""


class Usage(Struct, gc=False):
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int | None = None


class Info(Struct, gc=False):
    total_token_usage: Usage | None = None
    last_token_usage: Usage | None = None
    model_context_window: int | None = None


class RateWindow(Struct, gc=False):
    """One of Codex's plan windows: ``primary`` (5 hours), ``secondary`` (a week)."""

    used_percent: float | None = None
    window_minutes: int | None = None
    resets_at: float | None = None  # unix seconds (newer releases)
    resets_in_seconds: float | None = None  # from the line's time (older releases)


class RateLimits(Struct, gc=False):
    primary: RateWindow | None = None
    secondary: RateWindow | None = None


class TokenCount(Struct, gc=False):
    info: Info | None = None
    rate_limits: RateLimits | None = None


class Git(Struct, gc=False):
    branch: str | None = None


class Spawn(Struct, gc=False):
    parent_thread_id: str | None = None
    agent_role: str | None = None
    agent_nickname: str | None = None


class Subagent(Struct, gc=False):
    thread_spawn: Spawn | None = None
    other: str | None = None


class Origin(Struct, gc=False):
    subagent: str | Subagent | None = None  # "review", {"thread_spawn": …}, {"other": "guardian"}


class Meta(Struct, gc=False):
    id: str | None = None
    cwd: str | None = None
    cli_version: str | None = None
    forked_from_id: str | None = None
    source: str | Origin | None = None
    git: Git | None = None


class TurnContext(Struct, gc=False):
    cwd: str | None = None
    model: str | None = None


class Message(Struct, gc=False):
    message: str = ""
    kind: str | None = None  # 0.3x: environment_context / user_instructions wrappers


class FunctionCall(Struct, gc=False):
    name: str = ""
    arguments: str = ""
    call_id: str = ""
    namespace: str | None = None  # newer releases: an MCP tool's ``mcp__<server>``, ``name`` the tool


class CustomCall(Struct, gc=False):
    name: str = ""
    input: str = ""
    call_id: str = ""


class CallOutput(Struct, gc=False):
    """``function_call_output`` / ``custom_tool_call_output``: a string, or (newer) content items."""

    call_id: str = ""
    output: msgspec.Raw = msgspec.Raw(b"")


class ShellAction(Struct, gc=False):
    command: list[str] = []
    working_directory: str | None = None


class LocalShellCall(Struct, gc=False):
    action: ShellAction | None = None
    call_id: str | None = None


class Compacted(Struct, gc=False):
    message: str | None = None
    compaction_response_id: str | None = None


class UsageRecord(Struct, gc=False):
    response_id: str | None = None
    usage: Usage | None = None
    thread_token_usage: Usage | None = None
    model: str | None = None


class Arguments(Struct, gc=False):
    """``shell`` (argv), ``shell_command`` (string), ``exec_command`` and ``apply_patch``."""

    command: list[str] | str | None = None
    cmd: str | None = None
    workdir: str | None = None
    input: str | None = None


class _Tag(Struct, gc=False):
    type: str = ""


class OutputItem(Struct, gc=False):
    text: str | None = None


class OutputBody(Struct, gc=False):
    """A call output written as an object: ``content`` (the items), or a shell's ``output``."""

    content: str | list[OutputItem] | None = None
    output: str | None = None


class Probe(Struct, gc=False):
    """Any rollout line, for those not written in Codex's own field order."""

    timestamp: str = ""
    type: str = ""
    payload: _Tag | None = None


class _Nothing(Struct, gc=False):
    pass


# What decoding a line can raise: msgspec's errors, and UnicodeDecodeError for a
# string field read as str that is not UTF-8.

ARGUMENTS = msgspec.json.Decoder(Arguments)
OUTPUT = msgspec.json.Decoder(str | list[OutputItem] | OutputBody)
PROBE = msgspec.json.Decoder(Probe)
VALIDATE = msgspec.json.Decoder(_Nothing)  # a line we do not read must still be JSON


def seconds(timestamp: str) -> float | None:
    """Unix seconds of a line's ``timestamp``; None if it has none that parses."""
    try:
        return datetime.fromisoformat(timestamp).timestamp()
    except ValueError:
        return None


# --- telling a line's kind without decoding it ----------------------------------------

NESTED = ("event_msg", "response_item")  # payloads that carry their own type

# Codex writes its fields in one order, {"timestamp":"…","type":"…","payload":{"type":"…",
# so the kind of nearly every line is in its first bytes. Group 2 is that kind exactly
# as written: ``session_meta``, or ``event_msg","payload":{"type":"token_count`` for a
# nested one; a nested line whose payload does not start with its type does not
# match (the lookahead), and is probed like any line in another order.
HEAD = re.compile(
    rb'\{"timestamp":"([^"]*)","type":"('
    rb'(?:event_msg|response_item)","payload":\{"type":"[^"]*'
    rb'|(?!(?:event_msg|response_item)")[^"]*)"'
)


def head_kind(top: str, sub: str = "") -> bytes:
    """The kind of a line as ``HEAD`` reads it: ``head_kind("event_msg", "token_count")``."""
    if top in NESTED:
        return f'{top}","payload":{{"type":"{sub}'.encode()
    return top.encode()


# --- state carried between chunks of one file -------------------------------------------


class Pending(Struct, array_like=True, gc=False):
    """A usage record waiting for the ``compacted`` marker that makes it billable."""

    id: str
    ts: float
    model: str
    usage: Counts
    thread: Counts | None
    window: int | None


class State(Struct, omit_defaults=True, gc=False):
    """Encoded into ``Batch.state``; the field names and order are stored bytes, keep them."""

    session_id: str | None = None  # set by the first session_meta only
    cwd: str | None = None
    model: str | None = None
    branch: str | None = None
    version: str | None = None
    title: str | None = None
    totals: Counts | None = None
    window: int | None = None
    replay_at: float | None = None  # a fork's copied-history burst, while it lasts
    seq: int = 0
    compacted: list[str] = []
    emitted: list[str] = []
    pending: list[Pending] = []
    latest_record: str | None = None
    calls: list[tuple[str, str]] = []  # (call id, tool) made since the last billed token_count: its response's
    mcp_calls: list[str] = []  # recent MCP calls' ids, whose results are kept for the tokenizer
    agent: tuple[str, str | None] | None = None  # a sub-agent thread: (parent thread, its role or kind)


STATE_ENCODER = msgspec.msgpack.Encoder()
STATE_DECODER = msgspec.msgpack.Decoder(State)
