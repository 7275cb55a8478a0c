"""Claude Code: ``<config dir>/projects/<project>/<session>.jsonl`` transcripts.

Usage is counted the way ccusage 20.x (its Rust loader) counts it, so that
``usage --by day`` agrees with ``ccusage claude daily --json --offline`` (checked
against 20.0.24 on the test fixtures and on the benchmark corpus):

* a line counts if it has ``message.usage`` with integer ``input_tokens`` and
  ``output_tokens`` and a timestamp, whatever its ``type`` -- sub-agent
  ``progress`` lines carry a counted copy under ``data.message`` -- unless its
  ``version`` is not ``N.N.N...``, an id or model is ``""``, or one of the
  fields ccusage refuses to see ``null`` is ``null``;
* one response is written up to once per content block, and the first copies
  may be streaming snapshots, so copies collapse on one key and the survivor
  is the main-chain copy, then the one with most tokens, then the dearer one
  (within a chunk here; across chunks and files the store must keep the same
  survivor, not the first copy it saw);
* the key is ``{message.id}:{requestId}`` across every file (a resumed session
  repeats its predecessor's responses); with no ``requestId`` it is scoped to
  the session and the timestamp; ccusage never collapses a line without
  ``message.id``, so those get ``uuid:{uuid}`` -- unique, yet stable when a
  file is read again;
* a sidechain replay of a response (``/btw``: same ``message.id``, new
  ``requestId``, same session) is the same response;
* cache writes are the 5m + 1h buckets of ``usage.cache_creation`` when the
  log has them, else ``cache_creation_input_tokens``;
* ``usage.iterations`` entries of type ``advisor_message`` are extra
  responses of their own model; ``speed: "fast"`` is priced as ``<model>-fast``.

API errors (``isApiErrorMessage``, model ``<synthetic>``) carry no tokens; they
become ``api_error`` messages instead of usage.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

import msgspec
from msgspec import UNSET, Raw, Struct, UnsetType

from ..models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow

# --- the shapes we read; msgspec skips every field not declared --------------
# ``X | None | UnsetType`` tells an explicit ``null`` (which makes ccusage drop
# the line's usage) from a missing field.


class _CacheCreation(Struct, gc=False):
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0


class _Usage(Struct, gc=False):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None | UnsetType = UNSET
    cache_read_input_tokens: int | None | UnsetType = UNSET
    cache_creation: _CacheCreation | None = None
    speed: str | None | UnsetType = UNSET
    iterations: Raw = Raw()  # decoded only when it names an advisor


class _Block(Struct, gc=False):
    type: str = ""
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Raw = Raw()  # decoded only for file tools
    content: Raw = Raw()  # tool output, often whole files: decoded only on error
    is_error: bool | None = None


class _Message(Struct, gc=False):
    id: str | None | UnsetType = UNSET
    model: str | None | UnsetType = UNSET
    content: str | tuple[_Block, ...] | None = None
    usage: _Usage | None = None


class _Compact(Struct, gc=False):
    trigger: str | None = None
    preTokens: int | None = None


class _Line(Struct, gc=False):
    type: str = ""
    subtype: str | None = None
    uuid: str | None = None
    sessionId: str | None | UnsetType = UNSET
    timestamp: datetime | None = None
    cwd: str | None | UnsetType = UNSET
    gitBranch: str | None = None
    version: str | None | UnsetType = UNSET
    isSidechain: bool | None = None
    isMeta: bool | None = None
    isCompactSummary: bool | None = None
    isApiErrorMessage: bool | None | UnsetType = UNSET
    requestId: str | None | UnsetType = UNSET
    costUSD: float | None | UnsetType = UNSET
    message: _Message | None = None
    summary: Raw = Raw()
    leafUuid: str | None = None
    compactMetadata: _Compact | None = None
    data: Raw = Raw()  # progress payloads; decoded only for ``progress`` lines


class _ProgressMessage(Struct, gc=False):
    timestamp: datetime | None = None
    uuid: str | None = None
    requestId: str | None | UnsetType = UNSET
    costUSD: float | None | UnsetType = UNSET
    message: _Message | None = None


class _ProgressData(Struct, gc=False):
    message: _ProgressMessage | None = None


class _Iteration(Struct, gc=False):
    input_tokens: int
    output_tokens: int
    type: str = ""
    model: str | None = None
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation: _CacheCreation | None = None


class _TextPart(Struct, gc=False):
    text: str | None = None


class _FileInput(Struct, gc=False):
    file_path: str | None = None
    notebook_path: str | None = None
    path: str | None = None


_LINES = msgspec.json.Decoder(_Line)
_PROGRESS = msgspec.json.Decoder(_ProgressData)
_ITERATIONS = msgspec.json.Decoder(tuple[_Iteration, ...])
_TOOL_OUTPUT = msgspec.json.Decoder(str | tuple[_TextPart, ...] | None)
_FILE_INPUT = msgspec.json.Decoder(_FileInput)
_TEXT = msgspec.json.Decoder(str)

_BLOCK_BYTES = 256 << 10  # decoded objects still in cache when handled; a bad line redoes only its block
_SYNTHETIC = "<synthetic>"
_SEMVER_PREFIX = re.compile(r"\d+\.\d+\.\d")
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


class ClaudeCode:
    provider = "claude-code"
    exact = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        """``CLAUDE_CONFIG_DIR`` (comma-separated) if set, else both places Claude Code has used."""
        raw = env.get("CLAUDE_CONFIG_DIR", "").strip()
        if not raw:
            config = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
            return [config / "claude", home / ".claude"]
        roots: list[Path] = []
        for entry in raw.split(","):
            entry = entry.strip()
            if not entry:
                continue
            path = home / entry[2:] if entry == "~" or entry.startswith("~/") else Path(entry).expanduser()
            if path.name == "projects":  # ccusage also accepts the projects dir itself
                path = path.parent
            if path not in roots:
                roots.append(path)
        return roots

    def discover(self, root: Path) -> Iterator[Path]:
        """Every transcript, sub-agent ones (``<session>/subagents/agent-*.jsonl``) included."""
        projects = root / "projects"
        if projects.is_dir():
            yield from sorted(p for p in projects.rglob("*.jsonl") if p.is_file())

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        batch = Batch(state)
        parser = _Parser(_file_session(path), batch)
        for line in _decode(data, batch):
            try:
                parser.line(line)
            except (ValueError, OverflowError, OSError):  # a timestamp no clock can hold
                batch.malformed += 1
        parser.finish()
        return batch


SOURCE = ClaudeCode()


def _file_session(path: Path) -> str:
    """The session a file belongs to: its stem, or the parent session of a sub-agent log."""
    return path.parent.parent.name if path.parent.name == "subagents" else path.stem


def _decode(data: bytes, batch: Batch) -> Iterator[_Line]:
    """Decode whole lines block by block, counting and skipping the ones that do not fit."""
    view = memoryview(data)
    start, size = 0, len(data)
    while start < size:
        end = size
        if start + _BLOCK_BYTES < size:
            end = data.find(b"\n", start + _BLOCK_BYTES) + 1 or size
        block, start = view[start:end], end
        try:
            yield from _LINES.decode_lines(block)
        except msgspec.DecodeError:
            for raw in bytes(block).split(b"\n"):
                if raw.strip():
                    try:
                        yield _LINES.decode(raw)
                    except msgspec.DecodeError:
                        batch.malformed += 1


def _countable(line: _Line | _ProgressMessage, message: _Message, usage: _Usage, session: object) -> bool:
    """ccusage's own filter: which lines with ``message.usage`` it sums."""
    fresh, output = usage.input_tokens, usage.output_tokens
    if fresh is None or output is None or fresh < 0 or output < 0:
        return False
    written, read = usage.cache_creation_input_tokens, usage.cache_read_input_tokens
    if written is None or read is None or (written is not UNSET and written < 0) or (read is not UNSET and read < 0):
        return False
    if usage.speed is not UNSET and usage.speed not in ("standard", "fast"):
        return False
    for value in (session, line.requestId, message.id, message.model):
        if not value and value is not UNSET:  # null or ""
            return False
    if line.costUSD is None:
        return False
    if isinstance(line, _Line):
        if line.cwd is None or line.isApiErrorMessage is None:
            return False
        version = line.version
        if version is not UNSET and (version is None or not _is_release(version)):
            return False
    return True


@functools.lru_cache(maxsize=64)
def _is_release(version: str) -> bool:
    return _SEMVER_PREFIX.match(version) is not None


def _total(row: UsageRow) -> int:
    return row.input_tokens + row.output_tokens + row.cache_creation_tokens + row.cache_read_tokens


def _better(sidechain: bool, total: int, cost: float | None, old: UsageRow) -> bool:
    """Whether a copy beats the one kept, as in ccusage: main chain, then most tokens, then dearer."""
    if sidechain != old.sidechain:
        return old.sidechain
    old_total = _total(old)
    if total != old_total:
        return total > old_total
    return (cost or 0.0) > (old.cost_usd or 0.0)


def _one_line(text: str, limit: int = 80) -> str:
    return " ".join(text.split())[:limit]


class _Session:
    """What one batch learns of a session; becomes one ``SessionRow``."""

    __slots__ = ("cwd", "title", "summary", "model", "branch", "version", "first", "last")
    cwd: str | None
    title: str | None  # the first typed prompt
    summary: str | None  # a summary line's, which wins
    model: str | None
    branch: str | None
    version: str | None

    def __init__(self, when: float) -> None:
        self.cwd = self.title = self.summary = self.model = self.branch = self.version = None
        self.first = self.last = when


class _Parser:
    """Turns decoded lines of one chunk into the rows of ``batch``."""

    def __init__(self, file_session: str, batch: Batch) -> None:
        self.file_session = file_session
        self.batch = batch
        self.sessions: dict[str, _Session] = {}
        self.usage: dict[str, UsageRow] = {}
        self.by_message: dict[str, str] = {}  # message.id -> key of its first kept copy
        self.summaries: list[tuple[str, str]] = []  # (leafUuid, text), placed in time at the end

    def line(self, line: _Line) -> None:
        kind = line.type
        if kind == "summary":
            if line.summary:
                try:
                    self.summaries.append((line.leafUuid or "", _TEXT.decode(line.summary)))
                except msgspec.DecodeError:
                    self.batch.malformed += 1
            return
        if line.timestamp is None:
            return  # bookkeeping lines (file-history-snapshot, ...) say nothing we keep
        when = line.timestamp.timestamp()
        session_id = line.sessionId or self.file_session
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = _Session(when)
        elif when < session.first:
            session.first = when
        elif when > session.last:
            session.last = when
        if line.cwd:
            session.cwd = line.cwd
        if line.gitBranch:
            session.branch = line.gitBranch
        if line.version:
            session.version = line.version

        message = line.message
        if message is not None:
            usage = message.usage
            if usage is not None and not line.isApiErrorMessage and message.model != _SYNTHETIC:
                self._usage(line, line, message, usage, session_id, when, bool(line.isSidechain))
            if kind == "assistant":
                self._assistant(line, message, session, session_id, when)
            elif kind == "user":
                self._user(line, message, session, session_id, when)
        elif kind == "system" and line.subtype == "compact_boundary":
            meta = line.compactMetadata
            text = "Conversation compacted"
            if meta is not None and meta.trigger:
                text += f" ({meta.trigger}" + (f", {meta.preTokens} tokens before)" if meta.preTokens else ")")
            self._message(line.uuid, 0, session_id, when, "system", "compact", text)
        elif kind == "progress" and line.data:
            self._progress(line, session_id)

    def _progress(self, line: _Line, session_id: str) -> None:
        """A sub-agent's response relayed into the parent log, billed like its own line."""
        try:
            relayed = _PROGRESS.decode(line.data).message
        except msgspec.DecodeError:
            return
        if relayed is None or relayed.timestamp is None or relayed.message is None:
            return
        message, usage = relayed.message, relayed.message.usage
        if usage is None or message.model == _SYNTHETIC:
            return
        self._usage(line, relayed, message, usage, session_id, relayed.timestamp.timestamp(), True)

    def _usage(self, line: _Line, source: _Line | _ProgressMessage, message: _Message, usage: _Usage,
               session_id: str, when: float, sidechain: bool) -> None:
        """One billed response, unless a copy of it already kept wins (the rules up top).

        ``source`` is ``line`` itself, or the sub-agent message a progress line relays.
        """
        fresh, output = usage.input_tokens, usage.output_tokens
        if fresh is None or output is None:
            return
        message_id = message.id or None
        request_id = source.requestId or None
        if message_id and request_id:
            key = f"{message_id}:{request_id}"
        elif message_id:
            key = f"{session_id}:{message_id}:{round(when * 1000)}"
        else:
            key = f"uuid:{source.uuid or f'{session_id}@{when!r}'}"
        written, read = _cache_tokens(usage)
        cost = None if source.costUSD is UNSET else source.costUSD
        old = self.usage.get(key)
        if old is None and message_id:
            first = self.usage.get(self.by_message.get(message_id, ""))
            if first is not None and first.session_id == session_id and (sidechain or first.sidechain):
                key, old = first.dedup_key, first  # a /btw replay of a response already seen
        wins = old is None or _better(sidechain, fresh + output + written + read, cost, old)
        advisors = usage.iterations and b"advisor_message" in bytes(usage.iterations)
        if not (wins or advisors) or not _countable(source, message, usage, line.sessionId):
            return  # mostly a later block of a response already kept
        if wins:
            model = message.model or "unknown"
            if usage.speed == "fast":
                model += "-fast"
            context = fresh + written + read
            self.usage[key] = UsageRow(
                key, session_id, when, model, fresh, output, written, read, cost, sidechain, context, None
            )
            if message_id:
                self.by_message.setdefault(message_id, key)
        if advisors:
            self._advisors(usage.iterations, key, message_id, request_id, session_id, when)

    def _advisors(self, raw: Raw, key: str, message_id: str | None, request_id: str | None,
                  session_id: str, when: float) -> None:
        """Advisor calls inside one response, billed at the advisor's own model."""
        try:
            iterations = _ITERATIONS.decode(raw)
        except msgspec.DecodeError:
            return
        advisors = [i for i in iterations if i.type == "advisor_message" and i.model]
        for n, it in enumerate(advisors):
            if message_id and request_id:
                advisor_key = f"{message_id}:advisor:{n}:{request_id}"
            else:
                advisor_key = f"{key}:advisor:{n}"
            written, read = _cache_tokens(it)
            fresh, output = it.input_tokens, it.output_tokens
            old = self.usage.get(advisor_key)
            if old is None or _better(True, fresh + output + written + read, None, old):
                # Not a turn of the main window: flagged sidechain so context fill skips it.
                model, context = it.model or "", fresh + written + read
                self.usage[advisor_key] = UsageRow(
                    advisor_key, session_id, when, model, fresh, output, written, read, None, True, context, None
                )

    def _assistant(self, line: _Line, message: _Message, session: _Session, session_id: str, when: float) -> None:
        content = message.content
        blocks = content if isinstance(content, tuple) else ()
        texts = [content] if isinstance(content, str) else []
        for n, block in enumerate(blocks):
            if block.type == "text" and block.text:
                texts.append(block.text)
            elif block.type == "tool_use" and block.name in _FILE_TOOLS:
                self._file_ref(line, block, n, session_id, when)
        if line.isApiErrorMessage:
            self._message(line.uuid, 0, session_id, when, "assistant", "api_error", "\n".join(texts))
            return
        if not line.isSidechain and message.model and message.model != _SYNTHETIC:
            session.model = message.model
        if texts:
            self._message(line.uuid, 0, session_id, when, "assistant", "text", "\n".join(texts))

    def _user(self, line: _Line, message: _Message, session: _Session, session_id: str, when: float) -> None:
        content = message.content
        texts = [content] if isinstance(content, str) else []
        errors: list[str] = []
        for block in content if isinstance(content, tuple) else ():
            if block.type == "text" and block.text:
                texts.append(block.text)
            elif block.type == "tool_result" and block.is_error:
                errors.append(_tool_output(block.content))
        n = 0
        prompt = "\n".join(texts)
        if prompt and not line.isMeta and not line.isCompactSummary and not prompt.startswith(_NOT_PROMPTS):
            self._message(line.uuid, n, session_id, when, "user", "prompt", prompt)
            n += 1
            if session.title is None and not line.isSidechain:
                session.title = _one_line(prompt)
        for error in errors:
            self._message(line.uuid, n, session_id, when, "user", "tool_error", error)
            n += 1

    def _file_ref(self, line: _Line, block: _Block, n: int, session_id: str, when: float) -> None:
        action, field = _FILE_TOOLS[block.name or ""]
        try:
            path = getattr(_FILE_INPUT.decode(block.input), field) if block.input else None
        except msgspec.DecodeError:
            return
        if not path:
            return
        if not os.path.isabs(path) and line.cwd:
            path = os.path.normpath(os.path.join(line.cwd, path))
        key = block.id or f"{line.uuid}:tool:{n}"
        self.batch.file_refs.append(FileRefRow(key, session_id, when, path, action))

    def _message(self, uuid: str | None, n: int, session_id: str, when: float, role: str, kind: str, text: str) -> None:
        base = uuid or f"{session_id}@{when!r}"
        key = f"{base}:{n}" if n else base
        self.batch.messages.append(MessageRow(key, session_id, when, role, kind, text))

    def finish(self) -> None:
        """Place summaries in time, then hand over sessions and deduplicated usage."""
        batch = self.batch
        last = _last_seen(batch.state)
        session = self.sessions.get(self.file_session)
        if session is not None:
            last = session.last if last is None else max(last, session.last)
            batch.state = repr(last).encode()
        if self.summaries and last is not None:
            # Summary lines carry no time or session: they title the file's session.
            if session is None:
                session = self.sessions[self.file_session] = _Session(last)
            when = session.first
            for leaf, text in self.summaries:
                key = f"summary:{self.file_session}:{leaf}"
                batch.messages.append(MessageRow(key, self.file_session, when, "system", "summary", text))
                session.summary = _one_line(text)
        for session_id, s in self.sessions.items():
            title = s.summary or s.title
            batch.see_session(
                SessionRow(session_id, "claude-code", s.cwd, title, s.model, s.branch, s.version, s.first, s.last)
            )
        batch.usage.extend(self.usage.values())


def _cache_tokens(usage: _Usage | _Iteration) -> tuple[int, int]:
    """Cache writes and reads; writes are the 5m + 1h buckets when the log has them."""
    buckets = usage.cache_creation
    if buckets is not None:
        written = buckets.ephemeral_5m_input_tokens + buckets.ephemeral_1h_input_tokens
    else:
        written = usage.cache_creation_input_tokens or 0
    return written, usage.cache_read_input_tokens or 0


def _last_seen(state: bytes | None) -> float | None:
    """The file session's latest timestamp, kept so a later chunk's summary can be placed."""
    try:
        return float(state) if state else None
    except ValueError:
        return None


def _tool_output(raw: Raw) -> str:
    """The text of a failed tool call (a string, or a list of text parts)."""
    try:
        output = _TOOL_OUTPUT.decode(raw) if raw else None
    except msgspec.DecodeError:
        return ""
    if isinstance(output, tuple):
        return "\n".join(part.text for part in output if part.text)
    return output or ""
