"""What each Codex response did, for ``usage --by tool|mcp-server|agent``.

A rollout writes a response's tool calls (``function_call``, ``custom_tool_call``,
``local_shell_call`` response items) as they stream, and the ``token_count`` event
that bills the response after them; the calls' outputs (``*_output`` items) follow
the calls, before or after that event. So the calls seen since the last billed
``token_count`` are that response's, in the order written: the first is the tool
the response's usage goes to, as for Claude Code. They wait in the parser's state
(``State.calls``), so a rollout read in two halves gives the same rows; a count
Codex repeats, or one of a fork's copied history, bills nothing and keeps them or
drops them with the copy (``_usage``).

MCP tools are stored as Claude Code names them, ``mcp__<server>__<tool>``, from
each era of Codex's naming: ``<server>__<tool>`` (the first releases), the same
with ``mcp__`` before it, and ``namespace: "mcp__<server>"`` with ``name: <tool>``
(newer). An MCP tool's output is kept for our tokenizer (store/attribution.py);
any other output is estimated from its length, four bytes a token. A sub-agent
thread (``session_meta.source.subagent``) has its own rollout: all its responses
go to its ``agent_role``, else its kind (``review``, ``compact``, ...), else
``(sub-agent)``.

The same items make the conversation's tool calls (``tool_uses``, migration 033),
billed or not: each call when it is written, with its input in a few words
(``sources/tool_input``), and its output's size when that is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..base import DECODE_ERRORS
from ..tool_input import command, patch_files, summary
from . import _conversation
from ._lines import (
    OUTPUT,
    CallOutput,
    CustomCall,
    FunctionCall,
    Line,
    LocalShellCall,
    Meta,
    Origin,
    OutputBody,
    Subagent,
    seconds,
)

if TYPE_CHECKING:
    from ._chunk import Chunk

_MCP_KEEP = 64  # MCP call ids remembered for their outputs, which follow their calls closely
_CALLS_KEEP = 256  # calls waiting for a count: a rollout whose counts never bill must not grow the state


def mcp_name(name: str, namespace: str | None) -> str:
    """A tool's name as stored: an MCP tool's as ``mcp__<server>__<tool>`` whatever the Codex release."""
    if namespace:
        space = namespace.rstrip("_")
        return f"{space}__{name}" if space.startswith("mcp__") else name
    if "__" in name and not name.startswith("mcp__"):
        return f"mcp__{name}"  # Codex's first releases: <server>__<tool>
    return name


def function_call(c: Chunk, line: Line[FunctionCall]) -> None:
    p = line.payload
    name = mcp_name(p.name, p.namespace)
    _call(c, p.call_id, name)
    _use(c, line.timestamp, p.call_id, name, summary(p.arguments))
    _conversation.function_call(c, line)


def custom_call(c: Chunk, line: Line[CustomCall]) -> None:
    p = line.payload
    _call(c, p.call_id, p.name)
    _use(c, line.timestamp, p.call_id, p.name,
         (patch_files(p.input) if p.name == "apply_patch" else None) or summary(p.input))
    _conversation.custom_call(c, line)


def local_shell_call(c: Chunk, line: Line[LocalShellCall]) -> None:
    p = line.payload
    _call(c, p.call_id or "", "local_shell")
    argv = p.action.command if p.action else None
    _use(c, line.timestamp, p.call_id or "", "local_shell", command(argv) if argv else None)
    _conversation.local_shell_call(c, line)


def _use(c: Chunk, timestamp: str, call_id: str, name: str, words: str | None) -> None:
    """A call as the conversation shows it; Codex writes no message it belongs to."""
    ts = seconds(timestamp)
    if call_id and name and ts is not None:
        c.batch.attribution.uses.append((c.sid, call_id, ts, 0, name, words, None, None))


def _call(c: Chunk, call_id: str, name: str) -> None:
    if not call_id or not name:
        return
    s = c.s
    if len(s.calls) < _CALLS_KEEP:
        s.calls.append((call_id, name))
    if name.startswith("mcp__"):
        s.mcp_calls.append(call_id)
        if len(s.mcp_calls) > _MCP_KEEP:
            del s.mcp_calls[0]


def output(c: Chunk, line: Line[CallOutput]) -> None:
    """A call's output: kept for the tokenizer (MCP tools) or estimated from its length."""
    p = line.payload
    if not p.call_id:
        return
    raw = bytes(p.output)
    c.batch.attribution.outputs.append((len(raw), c.sid, p.call_id))
    if p.call_id in c.s.mcp_calls:
        c.batch.attribution.results.append((p.call_id, c.sid, None, _text(raw)))
    else:
        c.batch.attribution.results.append((p.call_id, c.sid, (len(raw) + 3) // 4, None))


def billed(c: Chunk, key: str) -> None:
    """A ``token_count`` billed the response keyed ``key``: the calls waiting are its."""
    s, rows = c.s, c.batch.attribution
    for seq, (call_id, name) in enumerate(s.calls):
        rows.calls.append((key, call_id, c.sid, seq, name, None, None))
    s.calls = []
    if s.agent is not None:
        rows.agents.append((key, c.sid))


def session_meta(c: Chunk, p: Meta) -> None:
    """A sub-agent thread's rollout: the run its responses belong to."""
    origin = p.source.subagent if isinstance(p.source, Origin) else None
    if origin is None:
        return
    if isinstance(origin, Subagent):
        spawn = origin.thread_spawn
        parent = (spawn.parent_thread_id if spawn else None) or ""
        kind = (spawn.agent_role or None) if spawn else origin.other
    else:
        parent, kind = "", origin or None
    c.s.agent = (parent, kind)
    c.batch.attribution.runs.append((c.sid, parent, kind))


def _text(raw: bytes) -> str:
    """An output's text: a string (itself, or content items serialized into it), or content items."""
    try:
        value = OUTPUT.decode(raw)
    except DECODE_ERRORS:
        return ""
    if isinstance(value, str):
        if value[:1] not in ("[", "{"):
            return value
        written = value
        try:
            value = OUTPUT.decode(written)
        except DECODE_ERRORS:
            return written
    else:
        written = ""
    if isinstance(value, OutputBody):
        value = value.content if value.content is not None else value.output
    if isinstance(value, list):
        return "\n".join(item.text for item in value if item.text)
    return value if value is not None else written
