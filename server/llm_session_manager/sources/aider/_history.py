"""One chunk of an ``.aider.chat.history.md``: what aider appended, turned into rows.

``aider/io.py`` appends everything it shows to the file, so its lines say who wrote them:

* ``# aider chat started at 2025-09-22 12:04:00`` (local time) starts a session;
* ``#### …`` is what the user typed, one such line per line typed. Commands are
  typed too (``/add …``); one that sends words to the model (``/ask …``, ``/code …``)
  writes them again as a prompt of their own, which is the one kept;
* ``> …`` is aider's own output: the announcements (``Aider v0.83.1``, ``Main
  model: … with diff edit format``), ``Added src/app.py to the chat.``, ``Applied
  edit to src/app.py``, the usage report (see ``_report``). A message of several
  lines is marked on its first line only, so unmarked lines right after it are
  still aider's;
* the model's answer is written after a blank line, and runs to the next marked line.

Lines carry no time: every row of a session is stamped with its start, and the
session open at the end of the file was last active when the file last changed.
Keys are the session id and a running count, which a re-read counts again the
same way; the answer or prompt still open at the end of a chunk waits in
``Batch.state`` for the line that ends it.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import datetime
from pathlib import Path
from typing import cast

import msgspec

from ...core.models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow
from ._report import read_cost, read_report

HEADER = "# aider chat started at "
UNKNOWN_MODEL = "unknown"  # a report before any model announcement: priced at nothing
_MODEL = re.compile(r"(?:Main model|Models?): (\S+)")
_VERSION = re.compile(r"Aider v(\S+)")
_ADDED = re.compile(r"Added (.+?) to (?:the chat(?: \(read-only(?: stub)?\))?|read-only files)\.?")
_APPLIED = re.compile(r"Applied edit to (.+)")
_TITLE_CHARS = 80


class State(msgspec.Struct, omit_defaults=True, gc=False):
    """Encoded into ``Batch.state``; the field names are stored bytes, keep them."""

    session: str | None = None
    start: float = 0.0
    model: str | None = None
    version: str | None = None
    title: str | None = None
    mode: str = ""  # "" (after a blank line), "prompt", "text" (an answer), "tool"
    block: list[str] = []  # the open prompt's or answer's lines
    usage: int = 0  # reports counted in this run, for their keys
    rows: int = 0  # prompts, answers and file references counted, for theirs


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(State)


def parse_history(path: Path, data: bytes, state: bytes | None) -> Batch:
    history = History(path, state)
    for line in data.decode("utf-8", errors="replace").split("\n")[:-1]:
        history.feed(line.removesuffix("\r"))
    return history.finish()


class History:
    __slots__ = ("awaiting_cost", "batch", "cwd", "file", "s", "touched")

    def __init__(self, path: Path, state: bytes | None) -> None:
        self.batch = Batch()
        self.s = State()
        if state:
            try:
                self.s = _DECODER.decode(state)
            except msgspec.MsgspecError:
                pass  # a state from another schema: start over; keys keep re-reads harmless
        self.file = os.path.realpath(path)
        self.cwd = os.path.dirname(self.file)  # aider keeps the file at the git root (or cwd)
        self.awaiting_cost: int | None = None  # a report whose cost is on the next line
        self.touched = False  # whether this chunk holds lines of the open session

    def feed(self, line: str) -> None:
        s = self.s
        if line.startswith(HEADER):
            self._end_block()
            self._start(line)
            return
        if s.session is None:
            return  # nothing before the first header belongs to a session
        if not line.strip():
            if s.mode == "text":
                s.block.append("")
            else:
                self._end_block()
                s.mode = ""
            self.awaiting_cost = None
            return
        self.touched = True  # a line with something in it: the run was active
        if line.startswith("####"):
            if s.mode != "prompt":
                self._end_block()
                s.mode = "prompt"
            s.block.append(line[5:].rstrip())
        elif line.startswith(">"):
            self._end_block()
            s.mode = "tool"
            self._tool(line[1:].strip())
            return
        elif s.mode in ("", "text"):
            s.mode = "text"
            s.block.append(line)
        elif self.awaiting_cost is not None:
            self._late_cost(self.awaiting_cost, line.strip())
        self.awaiting_cost = None

    def finish(self) -> Batch:
        s = self.s
        if s.session is not None and self.touched:
            last = s.start
            try:
                last = max(last, os.stat(self.file).st_mtime)  # the open session's last write
            except OSError:
                pass
            self._see(last)
        self.batch.state = _ENCODER.encode(s)
        return self.batch

    # -- sessions --

    def _start(self, header: str) -> None:
        s = self.s
        if s.session is not None and self.touched:
            self._see(s.start)  # the run before ends where this one starts
        try:
            start = datetime.strptime(header[len(HEADER):].strip(), "%Y-%m-%d %H:%M:%S").timestamp()
        except ValueError:
            self.batch.malformed += 1
            self.s, self.touched = State(), False  # its lines cannot be dated; skip them
            return
        self.touched = True
        digest = hashlib.sha256(f"{self.file}\n{header.strip()}".encode()).hexdigest()
        self.s = State(session=f"aider:{digest[:20]}", start=start)

    def _see(self, last: float) -> None:
        s = self.s
        self.batch.see_session(SessionRow(
            self._open, "aider", self.cwd, s.title, s.model, None, s.version, s.start, last,
        ))

    @property
    def _open(self) -> str:
        """The open session's id: rows are made only after a header has set it."""
        return cast("str", self.s.session)

    def _key(self, kind: str) -> str:
        self.s.rows += 1
        return f"{self.s.session}:{kind}{self.s.rows}"

    # -- what the lines say --

    def _end_block(self) -> None:
        """The open prompt or answer is complete: keep it."""
        s = self.s
        if s.mode == "prompt":
            self._prompt("\n".join(s.block).strip())
        elif s.mode == "text":
            text = "\n".join(s.block).strip()
            if text:
                self.batch.messages.append(
                    MessageRow(self._key("m"), self._open, s.start, "assistant", "text", text)
                )
        s.block = []

    def _prompt(self, text: str) -> None:
        s = self.s
        if not text or text.startswith("/"):
            return  # a command; one that asks the model (/ask …) echoes the question as a prompt
        self.batch.messages.append(MessageRow(self._key("m"), self._open, s.start, "user", "prompt", text))
        if s.title is None:
            one_line = " ".join(text.split())
            s.title = one_line if len(one_line) <= _TITLE_CHARS else one_line[:79] + "…"

    def _tool(self, text: str) -> None:
        s = self.s
        if text.startswith("Tokens: "):
            self._usage(text)
        elif m := _MODEL.match(text):
            s.model = m.group(1)
        elif m := _VERSION.fullmatch(text):
            s.version = m.group(1)
        elif m := _ADDED.fullmatch(text):
            self._ref(m.group(1), "read")
        elif m := _APPLIED.fullmatch(text):
            self._ref(m.group(1), "edit")

    def _usage(self, text: str) -> None:
        report = read_report(text)
        if report is None:
            self.batch.malformed += 1
            return
        s = self.s
        s.usage += 1
        prompt = report.input_tokens + report.cache_write + report.cache_hit
        self.batch.usage.append(UsageRow(
            f"{s.session}:u{s.usage}", self._open, s.start, s.model or UNKNOWN_MODEL,
            report.input_tokens, report.output_tokens, report.cache_write, report.cache_hit,
            report.cost, False, prompt, None, report.exact,
        ))
        self.awaiting_cost = None if report.cost is not None else len(self.batch.usage) - 1

    def _late_cost(self, at: int, text: str) -> None:
        """``Cost: …`` on the line after the report at ``at`` (both cache parts were there)."""
        cost = read_cost(text)
        if cost is not None:
            self.batch.usage[at] = self.batch.usage[at]._replace(cost_usd=cost)

    def _ref(self, name: str, action: str) -> None:
        path = os.path.normpath(os.path.join(self.cwd, name.strip()))
        s = self.s
        self.batch.file_refs.append(FileRefRow(self._key("f"), self._open, s.start, path, action))
