"""What is kept of the conversation: prompts, assistant text, summaries,
compact boundaries, API and tool errors, and the files tools touched.

Tool output is not kept (it is most of a transcript's bytes), except the text
of a failed call.
"""

from __future__ import annotations

import os
import posixpath

import msgspec

from ...core.models import FileRefRow, MessageRow
from ..base import DECODE_ERRORS, decode_lenient
from ._calls import Calls
from ._lines import CONTENT, FILE_INPUT, TEXT, TOOL_OUTPUT, Block, Line, Message

SYNTHETIC = "<synthetic>"  # the model Claude Code names on the API errors it writes
# Text Claude Code itself puts in user turns: slash-command echoes, their
# output, and interruption notes. Not prompts the user typed.
_NOT_PROMPTS = (
    "<command-name>", "<command-message>", "<local-command-", "<bash-stdout>", "[Request interrupted by user"
)
_FILE_TOOLS = {
    "Read": ("read", "file_path"),
    "Edit": ("edit", "file_path"),
    "MultiEdit": ("edit", "file_path"),
    "Write": ("write", "file_path"),
    "NotebookEdit": ("edit", "notebook_path"),
    "NotebookRead": ("read", "notebook_path"),
    "Grep": ("search", "path"),
    "Glob": ("search", "path"),
    "LS": ("list", "path"),
}
_POSIX = os.path is posixpath  # where ``isabs`` is just ``startswith("/")``, minus a Python call
_row = tuple.__new__  # the row types' own __new__ is a Python call; this skips it on the hot path


class Session:
    """What one chunk learns of a session; becomes one ``SessionRow``."""

    __slots__ = ("branch", "cwd", "first", "last", "model", "summary", "title", "version")
    cwd: str | None
    title: str | None  # the first typed prompt
    summary: str | None  # a summary line's, which wins
    model: str | None
    branch: str | None
    version: str | None
    first: float  # earliest timestamp seen
    last: float  # latest

    def __init__(self, when: float) -> None:
        self.cwd = self.title = self.summary = self.model = self.branch = self.version = None
        self.first = self.last = when


class Conversation:
    """The messages and file references of one chunk, in the order they were written."""

    __slots__ = ("calls", "file_refs", "malformed", "messages", "said", "summaries")

    def __init__(self, messages: list[MessageRow], file_refs: list[FileRefRow], calls: Calls | None = None) -> None:
        self.messages = messages
        self.file_refs = file_refs
        self.calls = calls  # what each response did (``_calls``); None: not kept
        self.summaries: list[tuple[str, str]] = []  # (leafUuid, text), placed in time by ``place_summaries``
        self.said: dict[str, str] = {}  # a response's message id -> the key of the text it wrote
        self.malformed = 0

    def assistant(self, line: Line, message: Message, session: Session, session_id: str, when: float,
                  key: str | None = None) -> None:
        """Its text, the files its tool calls name, and the session's model; or an API error.
        ``key``: its usage row's dedup key, when it is billed (its tool calls are attributed to it)."""
        content = self._content(message)
        if isinstance(content, tuple):
            uses = self.calls
            calls = uses if key is not None else None  # a response not billed has no row to attribute to
            if calls is not None and key is not None and line.isSidechain:
                calls.sidechain(line, key, session_id)
            text = None  # the text blocks, joined by newlines; usually there is one block
            for n, block in enumerate(content):
                kind = block.type
                if kind == "text":
                    if block.text:
                        text = block.text if text is None else f"{text}\n{block.text}"
                elif kind == "tool_use":
                    if calls is not None and key is not None:
                        calls.call(line, block, key, session_id)
                    if uses is not None:
                        uses.use(block, session_id, when, n, self._said(line, message, session_id, when, text))
                    if block.name in _FILE_TOOLS:
                        self._file_ref(line, block, n, session_id, when)
        else:
            text = content  # a plain string is kept as it is, even empty
        if line.isApiErrorMessage:
            self._add(line.uuid, 0, session_id, when, "assistant", "api_error", text or "")
            return
        model = message.model
        if model and not line.isSidechain and model != SYNTHETIC:
            session.model = model
        if text is not None:
            key = line.uuid or f"{session_id}@{when!r}"
            self.messages.append(_row(MessageRow, (key, session_id, when, "assistant", "text", text)))
            if isinstance(message.id, str) and self.calls is not None:
                self.said[message.id] = key

    def _said(self, line: Line, message: Message, session_id: str, when: float, text: str | None) -> str | None:
        """The message a tool call belongs to: the text before it in its line, else the text an
        earlier line of the same response (``message.id``) wrote."""
        if text is not None:
            return line.uuid or f"{session_id}@{when!r}"
        return self.said.get(message.id) if isinstance(message.id, str) else None

    def user(self, line: Line, message: Message, session: Session, session_id: str, when: float) -> None:
        """A prompt the user typed (the first titles the session), then any failed tool calls."""
        content = self._content(message)
        errors = None
        if isinstance(content, tuple):
            prompt = ""  # the text blocks, joined by newlines; most user lines carry only tool results
            calls = self.calls
            for block in content:
                kind = block.type
                if kind == "tool_result":
                    if calls is not None:
                        calls.result(line, block, session_id)
                    if block.is_error:
                        if errors is None:
                            errors = []
                        errors.append(_tool_output(block.content))
                elif kind == "text" and block.text:
                    prompt = f"{prompt}\n{block.text}" if prompt else block.text
        else:
            prompt = content or ""
        n = 0
        if prompt and not line.isMeta and not line.isCompactSummary and not prompt.startswith(_NOT_PROMPTS):
            self._add(line.uuid, 0, session_id, when, "user", "prompt", prompt)
            n = 1
            if session.title is None and not line.isSidechain:
                session.title = one_line(prompt)
        if errors:
            for error in errors:
                self._add(line.uuid, n, session_id, when, "user", "tool_error", error)
                n += 1

    def compact(self, line: Line, session_id: str, when: float) -> None:
        """A ``compact_boundary``: where Claude Code summarised the conversation so far."""
        meta = line.compactMetadata
        text = "Conversation compacted"
        if meta is not None and meta.trigger:
            text += f" ({meta.trigger}" + (f", {meta.preTokens} tokens before)" if meta.preTokens else ")")
        self._add(line.uuid, 0, session_id, when, "system", "compact", text)

    def summary(self, line: Line) -> None:
        """A summary line; it has no time or session, so ``place_summaries`` places it."""
        try:
            self.summaries.append((line.leafUuid or "", TEXT.decode(line.summary)))
        except msgspec.DecodeError:
            self.malformed += 1

    def place_summaries(self, file_session: str, session: Session) -> None:
        """Summaries title the file's session and sit at its start."""
        when = session.first
        for leaf, text in self.summaries:
            key = f"summary:{file_session}:{leaf}"
            self.messages.append(MessageRow(key, file_session, when, "system", "summary", text))
            session.summary = one_line(text)

    def _content(self, message: Message) -> str | tuple[Block, ...] | None:
        """The message's content: a string, blocks, or None (also when its shape is not
        one we can read, which is counted as malformed: the line's usage still counts).
        A byte that is not UTF-8 is replaced, as in a line's other text."""
        raw = message.content
        if not raw:
            return None
        try:
            return decode_lenient(CONTENT.decode, raw)
        except DECODE_ERRORS:
            self.malformed += 1
            return None

    def _file_ref(self, line: Line, block: Block, n: int, session_id: str, when: float) -> None:
        action, field = _FILE_TOOLS[block.name or ""]
        try:
            path = getattr(FILE_INPUT.decode(block.input), field) if block.input else None
        except msgspec.DecodeError:
            return
        if not path:
            return
        if not (path.startswith("/") if _POSIX else os.path.isabs(path)) and line.cwd:
            path = os.path.normpath(os.path.join(line.cwd, path))
        key = block.id or f"{line.uuid}:tool:{n}"
        self.file_refs.append(_row(FileRefRow, (key, session_id, when, path, action)))

    def _add(self, uuid: str | None, n: int, session_id: str, when: float, role: str, kind: str, text: str) -> None:
        key = uuid or f"{session_id}@{when!r}"
        if n:
            key = f"{key}:{n}"
        self.messages.append(_row(MessageRow, (key, session_id, when, role, kind, text)))


class Titles(Conversation):
    """A ``Conversation`` that keeps no messages or file references, only what the
    session row takes from them: its model, its title (the first typed prompt, or a
    summary) and the malformed summaries counted. For a report that stores usage
    first (``ClaudeCode.parse_usage``): each turn then costs a check or two."""

    __slots__ = ()

    def assistant(self, line: Line, message: Message, session: Session, session_id: str, when: float,
                  key: str | None = None) -> None:
        model = message.model
        if model and not line.isSidechain and model != SYNTHETIC and not line.isApiErrorMessage:
            session.model = model

    def user(self, line: Line, message: Message, session: Session, session_id: str, when: float) -> None:
        if session.title is not None or line.isSidechain or line.isMeta or line.isCompactSummary:
            return
        content = self._content(message)
        if isinstance(content, tuple):
            prompt = "\n".join(block.text for block in content if block.type == "text" and block.text)
        else:
            prompt = content or ""
        if prompt and not prompt.startswith(_NOT_PROMPTS):
            session.title = one_line(prompt)

    def compact(self, line: Line, session_id: str, when: float) -> None:
        pass

    def place_summaries(self, file_session: str, session: Session) -> None:
        for _leaf, text in self.summaries:
            session.summary = one_line(text)


def one_line(text: str, limit: int = 80) -> str:
    return " ".join(text.split())[:limit]


def _tool_output(raw: msgspec.Raw) -> str:
    """The text of a failed tool call (a string, or a list of text parts)."""
    try:
        output = TOOL_OUTPUT.decode(raw) if raw else None
    except msgspec.DecodeError:
        return ""
    if isinstance(output, tuple):
        return "\n".join(part.text for part in output if part.text)
    return output or ""
