"""The text a Claude Code tool call put into the context, read back from its transcript on demand.

Ingest keeps no tool output (it is most of a transcript's bytes), so what a
``Read`` cost when it happened is read again from the log only when someone
asks (``llm-session context``): one pass over one session's files, looking only
at the ``tool_result`` blocks of the calls asked for. The text is what the
model saw, line-number gutter included; images and other non-text parts are
left out (their cost is not text).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import msgspec
from msgspec import Raw, Struct

from ..base import DECODE_ERRORS
from ._lines import TOOL_OUTPUT


class _Result(Struct, gc=False):
    type: str = ""
    tool_use_id: str | None = None
    content: Raw = Raw()


class _Message(Struct, gc=False):
    content: str | list[_Result] | None = None


class _Line(Struct, gc=False):
    type: str = ""
    message: _Message | None = None


_LINE = msgspec.json.Decoder(_Line)


def result_texts(logs: Iterable[Path], ids: set[str]) -> dict[str, str]:
    """``tool_use_id -> text`` of the results of the calls ``ids`` found in ``logs``.

    A log that is gone or unreadable, or a line that does not parse, is passed
    over: a missing result only leaves a cost unknown.
    """
    found: dict[str, str] = {}
    for log in logs:
        try:
            with log.open("rb") as lines:  # a line at a time: transcripts run to hundreds of MB
                for raw in lines:
                    if b'"tool_result"' in raw:
                        _results(raw, ids, found)
        except OSError:
            continue
    return found


def _results(raw: bytes, ids: set[str], found: dict[str, str]) -> None:
    try:
        line = _LINE.decode(raw)
    except DECODE_ERRORS:
        return
    message = line.message
    if line.type != "user" or message is None or not isinstance(message.content, list):
        return
    for block in message.content:
        if block.type == "tool_result" and block.tool_use_id in ids:
            found[block.tool_use_id] = _text(block.content)


def _text(raw: Raw) -> str:
    try:
        output = TOOL_OUTPUT.decode(raw) if raw else None
    except DECODE_ERRORS:
        return ""
    if isinstance(output, tuple):
        return "\n".join(part.text for part in output if part.text)
    return output or ""
