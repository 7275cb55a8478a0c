"""One chunk of a Copilot CLI ``events.jsonl`` into rows.

The CLI logs usage in two places, and both are the CLI's own numbers:

* each ``assistant.message`` has its model call's ``outputTokens``; the messages of
  one call share an ``apiCallId``, which keys the row, so a call counts once. A
  message without ``outputTokens`` (older CLIs) is counted with o200k instead;
* each ``session.shutdown`` has, per model, the session's totals so far
  (``inputTokens`` including cache reads and writes, ``outputTokens``,
  ``cacheReadTokens``, ``cacheWriteTokens``). A resumed session appends another
  shutdown with larger totals, so each adds the difference to the one before; a
  successful compaction restarts the CLI's totals. Output the messages since the
  last shutdown already counted is not added again.

Input therefore appears when a session shuts down; a session still running (or that
crashed) shows its output only. What the window holds is the shutdown's
``currentTokens`` or a compaction's ``postCompactionTokens``, carried to later turns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from ...core.encoding import count_o200k
from ...core.models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow
from ..base import DECODE_ERRORS, decode_replacing, decode_state
from ..shell_paths import paths_from_command
from ._chat import session_id
from ._cli_events import (
    HEAD,
    PROBE,
    STATE_DECODER,
    STATE_ENCODER,
    AssistantMessage,
    Compaction,
    Context,
    Event,
    ModelChange,
    Shutdown,
    Start,
    State,
    ToolRequest,
    UserMessage,
)

# The CLI's default model since 0.0.3x; used when a log never names one.
FALLBACK_MODEL = "claude-sonnet-4.5"
_SHELL_TOOLS = frozenset({"bash", "shell", "powershell"})
_FILE_TOOLS = {
    "view": "read", "edit": "edit", "create": "write", "grep": "search", "glob": "search"
}
_EDITOR_COMMANDS = {"view": "read", "create": "write", "str_replace": "edit", "insert": "edit"}


def parse_events(path: Path, data: bytes, state: bytes | None) -> Batch:
    chunk = _Chunk(path, state)
    chunk.feed(data)
    return chunk.finish()


def seconds(timestamp: str) -> float | None:
    try:
        return datetime.fromisoformat(timestamp).timestamp()
    except ValueError:
        return None


class _Stamp(msgspec.Struct, gc=False):
    timestamp: str = ""


_STAMP = msgspec.json.Decoder(_Stamp)


def _decode(line: bytes | str) -> tuple[Any, Callable | None]:
    """The event on ``line``, and what handles its kind (None: only its time counts)."""
    head = HEAD.match(line) if isinstance(line, bytes) else None
    kind = head.group(1).decode() if head else PROBE.decode(line).type
    decode, handle = _READ.get(kind, (_STAMP.decode, None))
    return decode(line), handle


class _Chunk:
    def __init__(self, path: Path, state: bytes | None) -> None:
        self.batch = Batch()
        self.s = decode_state(STATE_DECODER, state) or State()
        native = path.parent.name if path.name == "events.jsonl" else path.stem
        self.sid = session_id(self.s.session_id or native)
        self.first: float | None = None
        self.last: float | None = None
        self.billed: str | None = None  # the model of the latest usage row

    def feed(self, data: bytes) -> None:
        for n, line in enumerate(data.splitlines()):
            if not line.strip():
                continue
            try:
                event, handle = _decode(line)
            except DECODE_ERRORS:
                try:  # a byte that is not UTF-8 must not cost the line its usage
                    event, handle = decode_replacing(_decode, line)
                except DECODE_ERRORS as e:
                    self.batch.skip(n, e)
                    continue
            ts = seconds(event.timestamp) if event.timestamp else None
            if ts is not None:
                self.first = ts if self.first is None else min(self.first, ts)
                self.last = ts if self.last is None else max(self.last, ts)
            if handle is not None:
                handle(self, event, ts)

    def finish(self) -> Batch:
        s = self.s
        if self.first is not None and self.last is not None:
            self.batch.see_session(
                SessionRow(self.sid, "copilot", s.cwd, s.title, s.model or self.billed, s.branch,
                           s.version, self.first, self.last)
            )
        self.batch.state = STATE_ENCODER.encode(s)
        return self.batch

    def message(self, key: str, ts: float | None, role: str, kind: str, text: str) -> None:
        if ts is not None and text:
            self.batch.messages.append(MessageRow(key, self.sid, ts, role, kind, text))

    def usage(self, key: str, ts: float, model: str, counts: tuple[int, int, int, int],
              side: bool, exact: bool) -> None:
        inp, out, cache_read, cache_write = counts
        self.billed = model
        self.batch.usage.append(
            UsageRow(key, self.sid, ts, model, inp, out, cache_write, cache_read, None, side,
                     self.s.context, None, exact)
        )


# --- the session's own facts ---------------------------------------------------------


def _start(c: _Chunk, ev: Event[Start], ts: float | None) -> None:
    s, d = c.s, ev.data
    if d.sessionId and s.session_id is None:
        s.session_id = d.sessionId
        c.sid = session_id(d.sessionId)
    s.model = d.selectedModel or s.model
    s.version = d.copilotVersion or s.version
    if d.context:
        _context(c, Event(d.context), ts)


def _context(c: _Chunk, ev: Event[Context], ts: float | None) -> None:
    c.s.cwd = ev.data.cwd or c.s.cwd
    c.s.branch = ev.data.branch or c.s.branch


def _model_change(c: _Chunk, ev: Event[ModelChange], ts: float | None) -> None:
    c.s.model = ev.data.newModel or c.s.model


# --- the conversation ------------------------------------------------------------------


def _user_message(c: _Chunk, ev: Event[UserMessage], ts: float | None) -> None:
    d = ev.data
    text = d.content.strip()
    if ev.agentId or d.isAutopilotContinuation or (d.source and d.source != "user") or not text:
        return  # not typed by the user
    c.message(f"copilot:{c.sid}:{ev.id or ev.timestamp}", ts, "user", "prompt", text)
    if c.s.title is None:
        one_line = " ".join(text.split())
        c.s.title = one_line if len(one_line) <= 80 else one_line[:79] + "…"


def _assistant_message(c: _Chunk, ev: Event[AssistantMessage], ts: float | None) -> None:
    if ts is None:
        return
    s, d = c.s, ev.data
    side = bool(ev.agentId or d.parentToolCallId)
    if not side:
        key = f"copilot:{c.sid}:{ev.id or d.messageId}"
        c.message(key, ts, "assistant", "text", d.content.strip())
    _tool_refs(c, ev, ts)
    if d.outputTokens is not None:
        out, exact = max(d.outputTokens, 0), True
    else:
        written = [d.content, *(_arguments(t.arguments) for t in d.toolRequests)]
        out, exact = count_o200k("\n".join(w for w in written if w)), False
    if not out:
        return
    model = d.model or s.model or FALLBACK_MODEL
    key = f"copilot:{c.sid}:{d.apiCallId or d.messageId or ev.id}"
    if key not in s.leg or s.leg[key][1] < out:
        s.leg[key] = (model, out)
    c.usage(key, ts, model, (0, out, 0, 0), side, exact)


def _compaction(c: _Chunk, ev: Event[Compaction], ts: float | None) -> None:
    d = ev.data
    if not d.success:
        return
    c.s.reset = True
    if d.postCompactionTokens:
        c.s.context = d.postCompactionTokens
    c.message(f"copilot:{c.sid}:{ev.id or ev.timestamp}", ts, "system", "compact",
              (d.summaryContent or "").strip())


def _shutdown(c: _Chunk, ev: Event[Shutdown], ts: float | None) -> None:
    s, d = c.s, ev.data
    if d.currentTokens:
        s.context = d.currentTokens
    counted: dict[str, int] = {}
    for model, out in s.leg.values():
        counted[model] = counted.get(model, 0) + out
    rollup = {} if s.reset else dict(s.rollup)
    for model, metric in d.modelMetrics.items():
        u = metric.usage
        if not model or u is None:
            continue
        now = (u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens)
        before = rollup.get(model, (0, 0, 0, 0))
        if now[0] < before[0]:
            before = (0, 0, 0, 0)  # the CLI started counting afresh
        inp, out, cache_read, cache_write = (max(a - b, 0) for a, b in zip(now, before))
        rollup[model] = now
        fresh = max(inp - cache_read - cache_write, 0)
        out = max(out - counted.get(model, 0), 0)
        if ts is not None and (fresh or out or cache_read or cache_write):
            key = f"copilot:{c.sid}:shutdown:{ev.id or ev.timestamp}:{model}"
            c.usage(key, ts, model, (fresh, out, cache_read, cache_write), False, True)
    s.rollup, s.leg, s.reset = rollup, {}, False


# --- files the tools touched -------------------------------------------------------------


def _tool_refs(c: _Chunk, ev: Event[AssistantMessage], ts: float) -> None:
    refs: dict[tuple[str, str], None] = {}
    for tool in ev.data.toolRequests:
        for ref in _refs_of(tool, c.s.cwd):
            refs[ref] = None
    base = f"copilot:{c.sid}:{ev.id or ev.data.messageId}:file"
    for n, (path, action) in enumerate(refs):
        c.batch.file_refs.append(FileRefRow(f"{base}:{n}", c.sid, ts, path, action))


def _refs_of(tool: ToolRequest, cwd: str | None) -> list[tuple[str, str]]:
    name = tool.name or tool.toolName or ""
    args: dict[str, Any] = tool.arguments if isinstance(tool.arguments, dict) else {}
    if name in _SHELL_TOOLS:
        command = args.get("command")
        return paths_from_command(command, cwd) if isinstance(command, str) else []
    action = _FILE_TOOLS.get(name)
    if name == "str_replace_editor":
        action = _EDITOR_COMMANDS.get(args.get("command", ""))
    path = args.get("path")
    if action is None or not isinstance(path, str) or not path:
        return []
    if cwd and not path.startswith(("/", "~")) and path[1:3] != ":\\":
        path = f"{cwd.rstrip('/')}/{path}"
    return [(path, action)]


def _arguments(value: object) -> str:
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode() if value else ""


# --- which lines are read, and by whom ----------------------------------------------------

_Handler = Callable[[_Chunk, Any, float | None], None]
_READ: dict[str, tuple[Callable[[bytes | str], Any], _Handler]] = {
    kind: (msgspec.json.Decoder(Event[payload]).decode, handle)  # type: ignore[valid-type, misc]  # classes and handlers from the table
    for kind, payload, handle in [
        ("session.start", Start, _start),
        ("session.resume", Start, _start),
        ("session.context_changed", Context, _context),
        ("session.model_change", ModelChange, _model_change),
        ("user.message", UserMessage, _user_message),
        ("assistant.message", AssistantMessage, _assistant_message),
        ("session.compaction_complete", Compaction, _compaction),
        ("session.shutdown", Shutdown, _shutdown),
    ]
}
