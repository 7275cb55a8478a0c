"""What each Gemini CLI response did, for ``usage --by tool|mcp-server``.

A chat records a response's tool calls on its own message (``toolCalls``, in the
order the model asked for them) with each call's ``result``, so the response's
usage goes to its first call, as for Claude Code. An MCP tool is named as the
model saw it (the server's tool name, or ``<server>__<tool>`` when two servers
offer it); its server is in ``displayName``, ``"<tool> (<server> MCP Server)"``
(``DiscoveredMCPTool``), so it is stored as Claude Code names MCP tools,
``mcp__<server>__<tool>``. An MCP tool's result is kept for our tokenizer
(store/attribution.py); any other is estimated from its length, four bytes a
token. The JSONL recorder writes a message again as its calls finish: each call
is keyed by the response and its id, so it is stored once, and a result that
comes later fills it in.

The same calls make the conversation's tool calls (``tool_uses``, migration
033): name, arguments in a few words (``sources/tool_input``), the result's
size, and the message that asked for them. A sub-agent's chat keeps no
conversation, so none of its calls.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ...core.models import Attribution
from ..base import DECODE_ERRORS
from ..tool_input import summary_of
from ._records import ToolCall

_MCP_DISPLAY = re.compile(r"(.+) \((.+) MCP Server\)\Z", re.S)
_RESULT = msgspec.json.Decoder(Any)
_DONE = frozenset({"success", "error", "cancelled"})


def tool_calls(rows: Attribution, key: str, session_id: str, calls: list[ToolCall], when: float | None) -> None:
    """The calls of the response keyed ``key``, and the results they have so far; ``when``:
    the message's time, for the conversation's rows (None: a sub-agent's, not kept)."""
    for seq, call in enumerate(calls):
        if not call.id or not call.name:
            continue
        name = mcp_name(call)
        raw = bytes(call.result) if call.status in _DONE else b""
        done = bool(raw) and raw != b"null"
        tokens = None
        if done and name.startswith("mcp__"):
            rows.results.append((call.id, session_id, None, _text(raw)))
        elif done:
            tokens = (len(raw) + 3) // 4
        rows.calls.append((key, call.id, session_id, seq, name, None, tokens))
        if when is not None:
            rows.uses.append((session_id, call.id, when, seq, name, summary_of(call.args), len(raw) if done else None,
                              key))


def mcp_name(call: ToolCall) -> str:
    """``mcp__<server>__<tool>`` for an MCP tool (by its ``displayName``), else the tool's name."""
    found = _MCP_DISPLAY.match(call.displayName or "")
    if found is None:
        return call.name
    tool, server = found.groups()
    return f"mcp__{server}__{tool}"


def _text(raw: bytes) -> str:
    """The text a result put into the context: its text parts and function responses' outputs."""
    try:
        value = _RESULT.decode(raw)
    except DECODE_ERRORS:
        return ""
    texts: list[str] = []
    _collect(value, texts)
    return "\n".join(texts)


def _collect(value: object, texts: list[str]) -> None:
    if isinstance(value, str):
        texts.append(value)
    elif isinstance(value, list):
        for item in value:
            _collect(item, texts)
    elif isinstance(value, dict):
        if isinstance(value.get("text"), str):
            texts.append(value["text"])
        response = value.get("functionResponse")
        if isinstance(response, dict):
            body = response.get("response")
            if isinstance(body, dict):
                _collect(body.get("output"), texts)
                _collect(body.get("content"), texts)
            _collect(response.get("parts"), texts)
