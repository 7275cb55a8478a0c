"""OpenAI Codex CLI: rollout logs under ``$CODEX_HOME`` (default ``~/.codex``).

Codex appends one JSON line per item to
``sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl``; ``codex resume`` appends to the
same file and archiving moves it, flat, to ``archived_sessions/``. Usage is counted
the way ``ccusage codex`` counts it (ccusage ``rust/adapters/codex``), so totals agree:

* a ``token_count`` event bills its ``last_token_usage`` when the cumulative
  ``total_token_usage`` moved, else the difference of the totals. Codex repeats the
  last event at every turn boundary with unchanged totals; that difference is zero
  and zero events are dropped.
* input includes cached input; output includes reasoning.
* the model is the latest ``turn_context``'s, or ``gpt-5`` for logs that predate it.
* a fork (``forked_from_id``, or a spawned sub-agent thread) starts with a copy of its
  parent's history, every line rewritten to the fork instant. Usage written within a
  second of the fork, and of each other, is the parent's and is not counted again.
* a remote compaction is billed by a ``token_usage_record`` whose response id a
  ``compacted`` marker names; it is keyed by that id, so a copy in a fork counts once.
  A record that an advancing ``token_count`` already covers is not added again.

What the model had in its window after a turn (``context_tokens``) is that turn's
``last_token_usage.total_tokens``: Codex's own ``TokenUsage::tokens_in_context_window``
of the last usage, which its status line shows as context used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

import msgspec

from ..models import Batch, FileRefRow, MessageRow, SessionRow, UsageRow

_FALLBACK_MODEL = "gpt-5"  # ccusage's LEGACY_FALLBACK_MODEL
_REPLAY_GAP = 1.0  # seconds between usage lines of one copied-history burst
_PENDING_KEEP = 16  # unpaired usage records remembered; markers follow their record
_WRAPPERS = ("<environment_context>", "<user_instructions>")
_REQUEST_MARK = "## My request for Codex:"  # IDE extensions prepend editor context

Counts = tuple[int, int, int, int, int]  # input, cached, output, reasoning, total

# --- records: only the fields we use; msgspec skips the rest ------------------

P = TypeVar("P")


class _Line(msgspec.Struct, Generic[P]):
    payload: P
    timestamp: str = ""


class _Usage(msgspec.Struct):
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int | None = None


class _Info(msgspec.Struct):
    total_token_usage: _Usage | None = None
    last_token_usage: _Usage | None = None
    model_context_window: int | None = None


class _TokenCount(msgspec.Struct):
    info: _Info | None = None


class _Git(msgspec.Struct):
    branch: str | None = None


class _Spawn(msgspec.Struct):
    parent_thread_id: str | None = None


class _Subagent(msgspec.Struct):
    thread_spawn: _Spawn | None = None


class _Origin(msgspec.Struct):
    subagent: str | _Subagent | None = None


class _Meta(msgspec.Struct):
    id: str | None = None
    cwd: str | None = None
    cli_version: str | None = None
    forked_from_id: str | None = None
    source: str | _Origin | None = None
    git: _Git | None = None


class _TurnContext(msgspec.Struct):
    cwd: str | None = None
    model: str | None = None


class _Message(msgspec.Struct):
    message: str = ""
    kind: str | None = None  # 0.3x: environment_context / user_instructions wrappers


class _FunctionCall(msgspec.Struct):
    name: str = ""
    arguments: str = ""


class _CustomCall(msgspec.Struct):
    name: str = ""
    input: str = ""


class _ShellAction(msgspec.Struct):
    command: list[str] = []
    working_directory: str | None = None


class _LocalShellCall(msgspec.Struct):
    action: _ShellAction | None = None


class _Compacted(msgspec.Struct):
    message: str | None = None
    compaction_response_id: str | None = None


class _UsageRecord(msgspec.Struct):
    response_id: str | None = None
    usage: _Usage | None = None
    thread_token_usage: _Usage | None = None
    model: str | None = None


class _Arguments(msgspec.Struct):
    """``shell`` (argv), ``shell_command`` (string), ``exec_command`` and ``apply_patch``."""

    command: list[str] | str | None = None
    cmd: str | None = None
    workdir: str | None = None
    input: str | None = None


class _Tag(msgspec.Struct):
    type: str = ""


class _Probe(msgspec.Struct):
    """Any rollout line, for those not written in Codex's own field order."""

    timestamp: str = ""
    type: str = ""
    payload: _Tag | None = None


class _Nothing(msgspec.Struct):
    pass


# --- parser state carried between chunks of one file --------------------------


class _Pending(msgspec.Struct, array_like=True):
    """A usage record waiting for the ``compacted`` marker that makes it billable."""

    id: str
    ts: float
    model: str
    usage: Counts
    thread: Counts | None
    window: int | None


class _State(msgspec.Struct, omit_defaults=True):
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
    pending: list[_Pending] = []
    latest_record: str | None = None


_STATE_ENCODER = msgspec.msgpack.Encoder()
_STATE_DECODER = msgspec.msgpack.Decoder(_State)
_PROBE = msgspec.json.Decoder(_Probe)
_VALIDATE = msgspec.json.Decoder(_Nothing)  # a line we do not read must still be JSON
_ARGUMENTS = msgspec.json.Decoder(_Arguments)


class Codex:
    provider = "codex"
    exact = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        codex_home = env.get("CODEX_HOME", "").strip()
        return [Path(codex_home).expanduser()] if codex_home else [home / ".codex"]

    def discover(self, root: Path) -> Iterator[Path]:
        """Rollouts in ``sessions/`` and ``archived_sessions/``, as ccusage reads them.

        A root holding neither is taken as a directory of rollouts itself, so a
        configured path may name ``sessions/`` directly.
        """
        dirs = [d for d in (root / "sessions", root / "archived_sessions") if d.is_dir()]
        if not dirs and root.is_dir():
            dirs = [root]
        for d in dirs:
            yield from sorted(d.rglob("rollout-*.jsonl"))

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        parser = _Parser(path, state)
        parser.feed(data)
        return parser.finish()


SOURCE = Codex()


# --- parsing -------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _seconds(ts: str) -> float | None:
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None


def _counts(u: _Usage) -> Counts:
    """The five counters, with cached capped at input and ccusage's total fallbacks."""
    total = u.total_tokens
    if total is None:
        total = u.input_tokens + u.output_tokens
    elif total == 0:
        total = u.input_tokens + u.output_tokens + u.reasoning_output_tokens
    inp = u.input_tokens
    return inp, min(u.cached_input_tokens, inp), u.output_tokens, u.reasoning_output_tokens, total


def _minus(now: Counts, before: Counts | None) -> Counts:
    if before is None:
        return now
    d = [max(a - b, 0) for a, b in zip(now, before)]
    return d[0], min(d[1], d[0]), d[2], d[3], d[4]


class _Parser:
    __slots__ = ("batch", "s", "sid", "first", "last", "compacted", "emitted")

    def __init__(self, path: Path, state: bytes | None) -> None:
        self.batch = Batch()
        self.s = _State()
        if state:
            try:
                self.s = _STATE_DECODER.decode(state)
            except msgspec.MsgspecError:
                pass  # a state from another schema: start over; keys keep re-reads harmless
        found = _UUID.findall(path.stem)
        self.sid = self.s.session_id or (found[-1] if found else path.stem)
        self.first = self.last = b""
        self.compacted = set(self.s.compacted)
        self.emitted = set(self.s.emitted)

    def feed(self, data: bytes) -> None:
        """Every line of ``data``; the loop is the hot path of a cold scan."""
        head_of, handlers, validate = _HEAD.match, _HANDLERS.get, _VALIDATE.decode
        first, last, malformed = self.first, self.last, 0
        for line in data.splitlines():
            head = head_of(line)
            if head is not None and (head[3] is not None or head[2] not in _NESTED):
                ts, top = head[1], head[2]
                handler = handlers((top, head[3] if top in _NESTED else b""))
                if handler is None:
                    try:
                        validate(line)
                    except msgspec.MsgspecError:
                        malformed += 1
                        continue
            else:
                try:
                    probe = _PROBE.decode(line)
                except msgspec.MsgspecError:
                    malformed += bool(line.strip())
                    continue
                ts, top = probe.timestamp.encode(), probe.type.encode()
                sub = probe.payload.type.encode() if probe.payload and top in _NESTED else b""
                handler = handlers((top, sub))
            if handler is not None:
                try:
                    record = handler[0].decode(line)
                except msgspec.MsgspecError:
                    malformed += 1
                    continue
                handler[1](self, record)
            if ts:
                if not first or ts < first:
                    first = ts
                if ts > last:
                    last = ts
        self.first, self.last = first, last
        self.batch.malformed += malformed

    def finish(self) -> Batch:
        s, batch = self.s, self.batch
        start, end = _seconds(self.first.decode()), _seconds(self.last.decode())
        if start is not None and end is not None:
            batch.see_session(
                SessionRow(
                    self.sid, "codex", s.cwd, s.title, s.model, s.branch, s.version, start, end
                )
            )
        s.compacted, s.emitted = sorted(self.compacted), sorted(self.emitted)
        batch.state = _STATE_ENCODER.encode(s)
        return batch

    # -- records --

    def _meta(self, line: _Line[_Meta]) -> None:
        s, p = self.s, line.payload
        if s.session_id is not None:
            return  # a fork copies its parent's session_meta after its own
        s.session_id = self.sid = p.id or self.sid
        s.cwd, s.version = p.cwd or s.cwd, p.cli_version
        s.branch = p.git.branch if p.git else None
        origin = p.source.subagent if isinstance(p.source, _Origin) else None
        spawn = origin.thread_spawn if isinstance(origin, _Subagent) else None
        if p.forked_from_id or (spawn and spawn.parent_thread_id):
            s.replay_at = _seconds(line.timestamp)

    def _turn_context(self, line: _Line[_TurnContext]) -> None:
        p = line.payload
        if p.model and p.model.strip():
            self.s.model = p.model.strip()
        if p.cwd:
            self.s.cwd = p.cwd

    def _token_count(self, line: _Line[_TokenCount]) -> None:
        s, info = self.s, line.payload.info
        if info is None or not line.timestamp:
            return
        total = _counts(info.total_token_usage) if info.total_token_usage else None
        if total is not None and total == s.totals:
            return  # Codex repeating the last count: nothing new was billed
        if info.last_token_usage is not None:
            used = _counts(info.last_token_usage)
        elif total is not None:
            used = _minus(total, s.totals)
        else:
            return
        if total is not None:
            s.totals = total
        ts = _seconds(line.timestamp)
        if ts is None or not any(used[:4]):
            return
        if info.model_context_window:
            s.window = info.model_context_window
        if s.latest_record:
            self._absorb(s.latest_record, used, total)
        if s.replay_at is not None:
            if 0 <= ts - s.replay_at <= _REPLAY_GAP:
                s.replay_at = ts
                return
            s.replay_at = None
        cumulative = total[4] if total else used[4]
        key = f"codex:{self.sid}:{line.timestamp}:{cumulative}"
        self._usage(key, ts, s.model or _FALLBACK_MODEL, used, False, s.window)

    def _usage_record(self, line: _Line[_UsageRecord]) -> None:
        s, p = self.s, line.payload
        s.latest_record = None
        rid = (p.response_id or "").strip()
        if not rid or rid in self.emitted or not line.timestamp or p.usage is None:
            return
        ts, used = _seconds(line.timestamp), _counts(p.usage)
        if ts is None or not any(used):
            return
        model = (p.model or "").strip() or s.model or _FALLBACK_MODEL
        s.latest_record = rid
        if rid in self.compacted:
            self.emitted.add(rid)
            self._usage(f"codex:response:{rid}", ts, model, used, True, s.window)
        elif all(q.id != rid for q in s.pending):
            thread = _counts(p.thread_token_usage) if p.thread_token_usage else None
            pending = _Pending(rid, ts, model, used, thread, s.window)
            s.pending = [*s.pending, pending][-_PENDING_KEEP:]

    def _compacted(self, line: _Line[_Compacted]) -> None:
        p, s = line.payload, self.s
        if p.message and p.message.strip():
            self._message(line.timestamp, "system", "compact", p.message.strip())
        rid = (p.compaction_response_id or "").strip()
        if not rid:
            return
        self.compacted.add(rid)
        for q in s.pending:
            if q.id == rid:
                s.pending = [x for x in s.pending if x is not q]
                if rid not in self.emitted:
                    self.emitted.add(rid)
                    self._usage(f"codex:response:{rid}", q.ts, q.model, q.usage, True, q.window)
                return

    def _absorb(self, rid: str, used: Counts, total: Counts | None) -> None:
        """A local compaction's record is already in the advancing totals: drop it."""
        for q in self.s.pending:
            if q.id == rid and (q.usage == used or (q.thread is not None and q.thread == total)):
                self.s.pending = [x for x in self.s.pending if x is not q]
                self.emitted.add(rid)
                return

    def _user_message(self, line: _Line[_Message]) -> None:
        p = line.payload
        text = p.message.strip()
        if p.kind in ("environment_context", "user_instructions") or text.startswith(_WRAPPERS):
            return
        text = text.rpartition(_REQUEST_MARK)[2].strip()
        if not text:
            return
        self._message(line.timestamp, "user", "prompt", text)
        if self.s.title is None:
            one_line = " ".join(text.split())
            self.s.title = one_line if len(one_line) <= 80 else one_line[:79] + "…"

    def _agent_message(self, line: _Line[_Message]) -> None:
        text = line.payload.message.strip()
        if text:
            self._message(line.timestamp, "assistant", "text", text)

    def _function_call(self, line: _Line[_FunctionCall]) -> None:
        p = line.payload
        if p.name != "apply_patch" and p.name not in _SHELL_TOOLS:
            return
        try:
            args = _ARGUMENTS.decode(p.arguments)
        except msgspec.MsgspecError:
            return
        base = self._base(args.workdir)
        if p.name == "apply_patch":
            self._refs(line.timestamp, _patch_refs(args.input or "", base))
        elif args.command or args.cmd:
            self._refs(line.timestamp, _shell_refs(args.command or args.cmd or "", base))

    def _custom_call(self, line: _Line[_CustomCall]) -> None:
        if line.payload.name == "apply_patch":
            self._refs(line.timestamp, _patch_refs(line.payload.input, self.s.cwd))

    def _local_shell_call(self, line: _Line[_LocalShellCall]) -> None:
        action = line.payload.action
        if action and action.command:
            base = self._base(action.working_directory)
            self._refs(line.timestamp, _shell_refs(action.command, base))

    # -- rows --

    def _base(self, workdir: str | None) -> str | None:
        if workdir and self.s.cwd and workdir[0] != "/":
            return f"{self.s.cwd}/{workdir}"
        return workdir or self.s.cwd

    def _usage(
        self, key: str, ts: float, model: str, used: Counts, side: bool, window: int | None
    ) -> None:
        inp, cached, out, _, total = used
        self.batch.usage.append(
            UsageRow(
                key, self.sid, ts, model, inp - cached, out, 0, cached, None, side, total, window
            )
        )

    def _key(self, timestamp: str) -> str:
        self.s.seq += 1
        return f"codex:{self.sid}:{timestamp}:{self.s.seq}"

    def _message(self, timestamp: str, role: str, kind: str, text: str) -> None:
        ts = _seconds(timestamp)
        if ts is not None:
            self.batch.messages.append(
                MessageRow(self._key(timestamp), self.sid, ts, role, kind, text)
            )

    def _refs(self, timestamp: str, refs: Iterator[tuple[str, str]]) -> None:
        ts = _seconds(timestamp)
        if ts is None:
            return
        for path, action in dict.fromkeys(refs):
            self.batch.file_refs.append(
                FileRefRow(self._key(timestamp), self.sid, ts, path, action)
            )


_NESTED = (b"event_msg", b"response_item")
# Codex's own field order: {"timestamp":"…","type":"…","payload":{"type":"…"
_HEAD = re.compile(rb'\{"timestamp":"([^"]*)","type":"([^"]*)"(?:,"payload":\{"type":"([^"]*)")?')
_SHELL_TOOLS = frozenset({"shell", "container.exec", "shell_command", "exec_command"})

_HANDLERS: dict[tuple[bytes, bytes], tuple[msgspec.json.Decoder, Callable]] = {
    kind: (msgspec.json.Decoder(_Line[payload]), handle)
    for kind, payload, handle in (
        ((b"session_meta", b""), _Meta, _Parser._meta),
        ((b"turn_context", b""), _TurnContext, _Parser._turn_context),
        ((b"event_msg", b"token_count"), _TokenCount, _Parser._token_count),
        ((b"event_msg", b"user_message"), _Message, _Parser._user_message),
        ((b"event_msg", b"agent_message"), _Message, _Parser._agent_message),
        ((b"response_item", b"function_call"), _FunctionCall, _Parser._function_call),
        ((b"response_item", b"custom_tool_call"), _CustomCall, _Parser._custom_call),
        ((b"response_item", b"local_shell_call"), _LocalShellCall, _Parser._local_shell_call),
        ((b"compacted", b""), _Compacted, _Parser._compacted),
        ((b"token_usage_record", b""), _UsageRecord, _Parser._usage_record),
    )
}


# --- files named by tool calls (best effort) -------------------------------------

_PATCH_FILE = re.compile(
    r"^\*\*\* ?(?:(Add|Update|Delete) File|(Move) to): (.+?)\s*$", re.MULTILINE
)
_PATCH_ACTIONS = {"Add": "write", "Update": "edit", "Delete": "edit", "Move": "write"}
_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
_SEPARATORS = frozenset({"&&", "||", "|", "|&", ";", ";;", "&", "(", ")"})
# a shell word (quoted parts and escapes included) or operator; group 2 is a stray quote
_OPERATOR = r"&&|\|\||;;|\|&|[0-9]*(?:>>|>&|&>|>\||<<<|<<-|<<|<&|<|>)|[|;&()]"
_WORD = r"""(?:[^\s'"\\|;&()<>]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+"""
_TOKEN = re.compile(rf"({_OPERATOR}|{_WORD})|(\S)")
_NOT_A_PATH = re.compile(r"[$`*?]")  # variables, substitutions and globs
_UNQUOTE = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""")
_REDIRECT_START = frozenset("<>&0123456789")
_UNNORMAL = re.compile(r"(?:^|/)\.\.?(?:/|$)|//|./$")  # what normpath would change
_REDIRECT = re.compile(r"[0-9]*(>>|>&|&>|>\||<<<|<<-|<<|<&|<|>)")
_READERS = frozenset({"cat", "head", "tail", "nl", "less", "more", "bat"})
_SEARCHERS = frozenset({"rg", "grep"})
_LISTERS = frozenset({"ls", "find", "tree"})
# options of rg/grep that take a value, so that value is not a path
_VALUED = frozenset(
    "-e -f -g -t -T -A -B -C -m -M --glob --iglob --type --type-not --regexp --file "
    "--max-count --max-depth --context --after-context --before-context".split()
)


def _program(word: str) -> str:
    return word.rpartition("/")[2]


def _resolve(path: str, base: str | None) -> str:
    if path[:1] == "~":
        path = os.path.expanduser(path)
    if base and path[:1] != "/":
        path = f"{base}/{path}"
    return os.path.normpath(path) if _UNNORMAL.search(path) else path


def _patch_refs(patch: str, base: str | None) -> Iterator[tuple[str, str]]:
    for m in _PATCH_FILE.finditer(patch):
        yield _resolve(m[3], base), _PATCH_ACTIONS[m[1] or m[2]]


def _shell_refs(command: list[str] | str, base: str | None) -> Iterator[tuple[str, str]]:
    """Files a shell command reads, writes, searches or lists."""
    if isinstance(command, list):
        if len(command) >= 3 and _program(command[0]) in _SHELLS and command[1].startswith("-"):
            command = command[-1]  # bash -lc '<script>'
        elif command[0] in ("apply_patch", "applypatch") and len(command) > 1:
            yield from _patch_refs(command[1], base)
            return
        else:
            yield from _argv_refs(command, base)
            return
    if "Begin Patch" in command:
        yield from _patch_refs(command, base)
        return
    for words in _commands(command):
        if words[0] == "cd" and len(words) == 2:
            base = _resolve(words[1], base)
        else:
            yield from _words_refs(words, base)


def _commands(script: str) -> Iterator[list[str]]:
    """Simple commands of a script, heredoc bodies left out."""
    delimiter = None
    for text in script.replace("\\\n", " ").split("\n"):
        if delimiter is not None:
            if text.strip() == delimiter:
                delimiter = None
            continue
        heredoc = _HEREDOC.search(text) if "<<" in text else None
        if heredoc:
            delimiter = heredoc[2]
        tokens = _TOKEN.findall(text)
        quoted = "'" in text or '"' in text or "\\" in text
        if quoted and any(stray for _, stray in tokens):
            continue  # unbalanced quotes: skip the line
        words: list[str] = []
        for token, _ in tokens:
            if token in _SEPARATORS:
                if words:
                    yield words
                words = []
            elif quoted and ("'" in token or '"' in token or "\\" in token):
                words.append(_UNQUOTE.sub(_unquote, token))
            else:
                words.append(token)
        if words:
            yield words


def _unquote(m: re.Match[str]) -> str:
    if m[1] is not None:
        return m[1]
    if m[2] is not None:
        return re.sub(r'\\([\\"$`])', r"\1", m[2])
    return m[3]


def _words_refs(words: list[str], base: str | None) -> Iterator[tuple[str, str]]:
    """Redirections of one simple command, then its argv."""
    argv: list[str] = []
    it = iter(words)
    for word in it:
        op = _REDIRECT.fullmatch(word) if word[:1] in _REDIRECT_START else None
        if op is None:
            argv.append(word)
            continue
        target = next(it, "")
        if op[1] in (">", ">>", ">|", "&>") and target and target != "/dev/null":
            yield _resolve(target, base), "write"
        elif op[1] == "<" and target:
            yield _resolve(target, base), "read"
    if argv:
        yield from _argv_refs(argv, base)


def _argv_refs(argv: list[str], base: str | None) -> Iterator[tuple[str, str]]:
    prog, args = _program(argv[0]), argv[1:]
    if prog in _READERS:
        paths, action = _operands(args), "read"
    elif prog == "sed":
        ops = _operands(args)
        scripted = any(a.startswith(("-e", "--expression")) for a in args)
        paths = ops if scripted else ops[1:]
        action = "edit" if any(a.startswith(("-i", "--in-place")) for a in args) else "read"
    elif prog in _SEARCHERS:
        ops = _operands(args, _VALUED)
        listing = "--files" in args
        given = listing or any(a in ("-e", "-f", "--regexp", "--file") for a in args)
        paths = (ops if given else ops[1:]) or ([base] if base else [])
        action = "list" if listing else "search"
    elif prog in _LISTERS:
        ops = _operands(args) if prog != "find" else _find_roots(args)
        paths, action = ops or ([base] if base else []), "list"
    else:
        return
    for p in paths:
        if p and p != "/dev/null" and not _NOT_A_PATH.search(p):
            yield _resolve(p, base), action


def _operands(args: list[str], valued: frozenset[str] = frozenset()) -> list[str]:
    """Non-option words, skipping option values and counts like ``-n 20``/``+5``."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a.startswith("-"):
            skip = a in valued
        elif not a.lstrip("+").isdigit():
            out.append(a)
    return out


def _find_roots(args: list[str]) -> list[str]:
    roots: list[str] = []
    for a in args:
        if a.startswith(("-", "(", "!")):
            break
        roots.append(a)
    return roots
