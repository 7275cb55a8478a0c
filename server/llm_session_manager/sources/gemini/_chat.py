"""Rows from a Gemini chat's messages, whichever file layout they come from.

Usage is counted as tokscale and the Gemini API define it: ``tokens.input`` is
the whole prompt (``promptTokenCount``) and ``tokens.cached`` the part of it
read from the cache, so fresh input is ``input - cached``; tool-use prompt
tokens (``tool``) are input the prompt count leaves out, so they are added to
it; output is ``output + thoughts`` (the answer and the reasoning, both billed
as output). The four fields then add up to the CLI's own ``total``. What the
model had in its window is the prompt, ``input`` (the CLI's context meter shows
the last prompt token count). A response recorded again (the JSONL recorder
appends a message whole each time it changes; a resumed ``.json`` chat is
copied into a new ``.jsonl``) has the same key, so it counts once.

A sub-agent's chat (``kind: "subagent"``, or a file under ``chats/<parent id>/``)
is billed to its parent session as a side chain; its prompts are the parent's
instructions, not the user's, so its conversation is not kept.
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any

from ...core.models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow
from ..shell_paths import paths_from_command
from ._calls import tool_calls
from ._project import is_context, named_dirs, verified
from ._records import Message, ToolCall, seconds, text_of

FALLBACK_MODEL = "gemini-2.5-pro"  # DEFAULT_GEMINI_MODEL, for a response that names none
_TITLE_CHARS = 80
_GLOB = frozenset("*?[")
# Built-in tools that name one file or directory: the argument names, newest first, and the action.
_FILE_TOOLS: dict[str, tuple[tuple[str, ...], str]] = {
    "read_file": (("file_path", "absolute_path", "path"), "read"),
    "write_file": (("file_path",), "write"),
    "replace": (("file_path",), "edit"),
    "list_directory": (("dir_path", "path"), "list"),
    "glob": (("dir_path", "path"), "search"),
    "grep_search": (("dir_path", "path"), "search"),
    "search_file_content": (("dir_path", "path"), "search"),
}


class Chat:
    """What one chat file's messages say, as they arrive in order."""

    __slots__ = (
        "_kept",
        "_usage_at",
        "batch",
        "cwd",
        "first",
        "last",
        "model",
        "project_hash",
        "record_id",
        "session_id",
        "sidechain",
        "summary",
        "title",
    )

    def __init__(self, batch: Batch, session_id: str, record_id: str, sidechain: bool = False) -> None:
        self.batch = batch
        self.session_id = session_id  # the session rows belong to: a sub-agent's parent
        self.record_id = record_id  # the chat's own sessionId, which keys its rows
        self.sidechain = sidechain
        self.cwd: str | None = None
        self.project_hash = ""
        self.model: str | None = None
        self.title: str | None = None
        self.summary: str | None = None  # kept as of the chunk's last time
        self.first: float | None = None
        self.last: float | None = None
        # A message appears many times in one chunk of a JSONL chat; each row goes
        # out once per chunk: usage as the store keeps it (the fullest), the rest first seen.
        self._usage_at: dict[str, int] = {}
        self._kept: set[str] = set()

    def see(self, ts: float | None) -> None:
        if ts is None:
            return
        if self.first is None or ts < self.first:
            self.first = ts
        if self.last is None or ts > self.last:
            self.last = ts

    def name_dirs(self, candidates: list[str]) -> None:
        """Directories the chat names; the first that hashes to the project is its cwd."""
        if self.cwd is None:
            self.cwd = verified(candidates, self.project_hash)

    def add(self, m: Message) -> None:
        ts = seconds(m.timestamp)
        if ts is None:
            self.batch.malformed += 1
            return
        self.see(ts)
        key = f"gemini:{self.record_id}:{m.id}"
        if m.type == "gemini":
            if m.model:
                self.model = m.model
            self._usage(key, ts, m)
            if not self.sidechain:
                self._say(key, ts, "assistant", "text", text_of(m.content))
            for call in m.toolCalls or ():
                self._refs(key, ts, call)
            if m.toolCalls:
                tool_calls(self.batch.attribution, key, self.session_id, m.toolCalls, None if self.sidechain else ts)
        elif m.type == "user":
            text = text_of(m.displayContent if m.displayContent is not None else m.content).strip()
            if is_context(text):
                self.name_dirs(named_dirs(text))
            elif not self.sidechain and text:
                self._say(key, ts, "user", "prompt", text)
                if self.title is None:
                    one_line = " ".join(text.split())
                    self.title = one_line if len(one_line) <= _TITLE_CHARS else one_line[:79] + "…"
        elif m.type == "error" and not self.sidechain:
            self._say(key, ts, "system", "api_error", text_of(m.content))

    def finish(self) -> None:
        """The session row for what this chunk saw, if it saw any time at all."""
        if self.first is None or self.last is None:
            return
        if self.summary and not self.sidechain:
            self._say(f"gemini:{self.record_id}:summary", self.last, "system", "summary", self.summary)
        self.batch.see_session(SessionRow(
            self.session_id, "gemini", self.cwd, None if self.sidechain else self.title,
            None if self.sidechain else self.model, None, None, self.first, self.last,
        ))

    # -- rows --

    def _usage(self, key: str, ts: float, m: Message) -> None:
        t = m.tokens
        if t is None or not (t.input or t.output or t.thoughts or t.tool):
            return
        cached = min(max(t.cached, 0), t.input)
        row = UsageRow(
            key, self.session_id, ts, m.model or self.model or FALLBACK_MODEL,
            t.input - cached + t.tool, t.output + t.thoughts, 0, cached,
            None, self.sidechain, t.input, None,
        )
        usage, at = self.batch.usage, self._usage_at.get(key)
        if at is None:
            self._usage_at[key] = len(usage)
            usage.append(row)
        elif _total(row) > _total(usage[at]):
            usage[at] = row

    def _say(self, key: str, ts: float, role: str, kind: str, text: str) -> None:
        text = text.strip()
        if text and key not in self._kept:
            self._kept.add(key)
            self.batch.messages.append(MessageRow(key, self.session_id, ts, role, kind, text))

    def _refs(self, key: str, ts: float, call: ToolCall) -> None:
        if call.status != "success" or not isinstance(call.args, dict):
            return  # only a call that ran touched its files
        refs = _tool_refs(call.name, call.args, self.cwd)
        append = self.batch.file_refs.append
        for i, (path, action) in enumerate(refs):
            ref_key = f"{key}:{call.id}:{i}"
            if ref_key not in self._kept:
                self._kept.add(ref_key)
                append(FileRefRow(ref_key, self.session_id, ts, path, action))


def _total(row: UsageRow) -> int:
    return row.input_tokens + row.output_tokens + row.cache_creation_tokens + row.cache_read_tokens


def _tool_refs(name: str, args: dict[str, Any], cwd: str | None) -> list[tuple[str, str]]:
    """Files a built-in tool call read, wrote, edited, listed or searched.

    Argument names changed over releases (``absolute_path`` and ``path`` became
    ``file_path`` and ``dir_path``; ``search_file_content`` became ``grep_search``).
    """
    def arg(*names: str) -> str | None:
        for n in names:
            value = args.get(n)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    if name == "run_shell_command":
        command = arg("command")
        base = _resolve(arg("dir_path", "directory"), cwd) or cwd
        return paths_from_command(command, base) if command else []
    if name == "read_many_files":
        wanted = args.get("include") or args.get("paths") or []
        if isinstance(wanted, str):
            wanted = [wanted]
        paths = [p for p in wanted if isinstance(p, str) and p and not _GLOB & set(p)]
        return [(_resolve(p, cwd) or p, "read") for p in paths]
    single = _FILE_TOOLS.get(name)
    if single is None:
        return []
    names, action = single
    path = _resolve(arg(*names), cwd) or (cwd if action == "search" else None)
    return [(path, action)] if path else []


def _resolve(path: str | None, cwd: str | None) -> str | None:
    """``path`` made absolute against the project directory, when it is relative and that is known."""
    if not path or PurePath(path).is_absolute() or not cwd:
        return path
    return os.path.normpath(os.path.join(cwd, path))
