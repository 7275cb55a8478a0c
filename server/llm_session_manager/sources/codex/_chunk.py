"""One chunk of one rollout: the loop that hands each line to the session's own
facts, to the usage rules and to the conversation, and the rows they make.

The loop runs once per line of every rollout on a cold scan, and most lines
(tool output, reasoning, response items) are only checked to be JSON, so a line
costs one regex match on its first bytes, one dict lookup and one decode; what
the line says is a call away, in ``_usage`` and ``_conversation``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from ...core.models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow
from ..base import DECODE_ERRORS, decode_replacing, decode_state
from . import _calls, _conversation, _usage
from ._lines import (
    HEAD,
    NESTED,
    PROBE,
    STATE_DECODER,
    STATE_ENCODER,
    VALIDATE,
    CallOutput,
    Compacted,
    Counts,
    CustomCall,
    FunctionCall,
    Line,
    LocalShellCall,
    Message,
    Meta,
    Origin,
    State,
    Subagent,
    TokenCount,
    TurnContext,
    UsageRecord,
    head_kind,
    seconds,
)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Rows are built as _row(RowType, (...)): the same named tuple as RowType(...), without
# the Python-level __new__ that namedtuple gives it (a frame per row, on the hot path).
_row = tuple.__new__


def parse_chunk(path: Path, data: bytes, state: bytes | None) -> Batch:
    chunk = Chunk(path, state)
    chunk.feed(data)
    return chunk.finish()


def _lines_of(data: bytes) -> list[bytes]:
    """``data.splitlines()``, by the much cheaper ``split`` when there is no ``\\r``."""
    if b"\r" in data:
        return data.splitlines()
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()  # what follows the final newline (splitlines has no such line)
    return lines


class Chunk:
    """Rows from the lines of one chunk, and the state the next chunk starts from."""

    __slots__ = ("batch", "compacted", "emitted", "first", "last", "s", "sid")

    def __init__(self, path: Path, state: bytes | None) -> None:
        self.batch = Batch()
        self.s = decode_state(STATE_DECODER, state) or State()
        found = _UUID.findall(path.stem)
        self.sid = self.s.session_id or (found[-1] if found else path.stem)
        self.first = self.last = b""  # earliest and latest timestamps, as written
        self.compacted = set(self.s.compacted)
        self.emitted = set(self.s.emitted)

    def feed(self, data: bytes) -> None:
        """Every line of ``data``; the loop is the hot path of a cold scan."""
        match, lookup, just_check = HEAD.match, _BY_HEAD.get, _JUST_CHECK
        first, last, skip = self.first, self.last, self.batch.skip
        for n, line in enumerate(_lines_of(data)):
            head = match(line)
            if head is not None:
                ts, kind = head.groups()
                decode, handle = lookup(kind, just_check)
            else:  # not in Codex's field order (or not JSON): decode its type to know
                try:
                    probe = PROBE.decode(line)
                except DECODE_ERRORS as e:
                    if line.strip():
                        skip(n, e)
                    continue
                top = probe.type
                sub = probe.payload.type if probe.payload and top in NESTED else ""
                ts = probe.timestamp.encode()
                decode, handle = _BY_TYPE.get((top, sub), just_check)
            try:  # a line nobody reads is only checked to be JSON (_JUST_CHECK)
                record = decode(line)
            except DECODE_ERRORS:
                try:  # a byte that is not UTF-8 must not cost the line its usage
                    record = decode_replacing(decode, line)
                except DECODE_ERRORS as e:
                    skip(n, e)
                    continue
            if handle is not None:
                handle(self, record)
            if ts:
                if not first or ts < first:
                    first = ts
                if ts > last:
                    last = ts
        self.first, self.last = first, last

    def finish(self) -> Batch:
        s, batch = self.s, self.batch
        start, end = seconds(self.first.decode(errors="replace")), seconds(self.last.decode(errors="replace"))
        if start is not None and end is not None:
            batch.see_session(
                SessionRow(
                    self.sid, "codex", s.cwd, s.title, s.model, s.branch, s.version, start, end
                )
            )
        s.compacted, s.emitted = sorted(self.compacted), sorted(self.emitted)
        batch.state = STATE_ENCODER.encode(s)
        return batch

    # -- rows --

    def usage(
        self, key: str, ts: float, model: str, used: Counts, side: bool, window: int | None
    ) -> None:
        inp, cached, out, _, total = used
        self.batch.usage.append(
            _row(
                UsageRow,
                (key, self.sid, ts, model, inp - cached, out, 0, cached, None, side, total, window, None, 0),
            )
        )

    def _key(self, timestamp: str) -> str:
        self.s.seq += 1
        return f"codex:{self.sid}:{timestamp}:{self.s.seq}"

    def message(self, timestamp: str, role: str, kind: str, text: str) -> None:
        ts = seconds(timestamp)
        if ts is not None:
            self.batch.messages.append(
                _row(MessageRow, (self._key(timestamp), self.sid, ts, role, kind, text))
            )

    def refs(self, timestamp: str, refs: list[tuple[str, str]]) -> None:
        """File references of one tool call (``refs`` holds each one once)."""
        if not refs:
            return
        ts = seconds(timestamp)
        if ts is None:
            return
        append, key, sid = self.batch.file_refs.append, self._key, self.sid
        for path, action in refs:
            append(_row(FileRefRow, (key(timestamp), sid, ts, path, action)))


# --- the session's own facts --------------------------------------------------------


def _session_meta(c: Chunk, line: Line[Meta]) -> None:
    s, p = c.s, line.payload
    if s.session_id is not None:
        return  # a fork copies its parent's session_meta after its own
    s.session_id = c.sid = p.id or c.sid
    s.cwd, s.version = p.cwd or s.cwd, p.cli_version
    s.branch = p.git.branch if p.git else None
    origin = p.source.subagent if isinstance(p.source, Origin) else None
    spawn = origin.thread_spawn if isinstance(origin, Subagent) else None
    if p.forked_from_id or (spawn and spawn.parent_thread_id):
        s.replay_at = seconds(line.timestamp)  # the copied history follows: see _usage
    _calls.session_meta(c, p)


def _turn_context(c: Chunk, line: Line[TurnContext]) -> None:
    p = line.payload
    if c.s.replay_at is not None:
        c.s.calls = []  # a fork's own turn begins: calls of the copied history were the parent's
    if p.model and p.model.strip():
        c.s.model = p.model.strip()
    if p.cwd:
        c.s.cwd = p.cwd


# --- which lines are read, and by whom -------------------------------------------------

_Entry = tuple[Callable[[bytes | str], Any], Callable[[Chunk, Any], None] | None]
_JUST_CHECK: _Entry = (VALIDATE.decode, None)

_READ: list[tuple[str, str, type, Callable[[Chunk, Any], None]]] = [
    ("session_meta", "", Meta, _session_meta),
    ("turn_context", "", TurnContext, _turn_context),
    ("event_msg", "token_count", TokenCount, _usage.token_count),
    ("event_msg", "user_message", Message, _conversation.user_message),
    ("event_msg", "agent_message", Message, _conversation.agent_message),
    ("response_item", "function_call", FunctionCall, _calls.function_call),
    ("response_item", "custom_tool_call", CustomCall, _calls.custom_call),
    ("response_item", "local_shell_call", LocalShellCall, _calls.local_shell_call),
    ("response_item", "function_call_output", CallOutput, _calls.output),
    ("response_item", "custom_tool_call_output", CallOutput, _calls.output),
    ("compacted", "", Compacted, _usage.compacted),
    ("token_usage_record", "", UsageRecord, _usage.usage_record),
]
# By the kind as HEAD reads it, and by (type, payload type) for a probed line.
_BY_HEAD: dict[bytes, _Entry] = {}
_BY_TYPE: dict[tuple[str, str], _Entry] = {}
for _top, _sub, _payload, _handle in _READ:
    _entry = (msgspec.json.Decoder(Line[_payload]).decode, _handle)  # type: ignore[valid-type]  # a class from the table
    _BY_HEAD[head_kind(_top, _sub)] = _BY_TYPE[(_top, _sub)] = _entry
