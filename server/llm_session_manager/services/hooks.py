"""What an assistant's hook tells us, and the work it asks for (docs/hooks.md).

Claude Code runs ``llm-session hook EVENT`` with the event's JSON on stdin;
Codex runs its ``notify`` program with a JSON argument after each turn. Both
name the session and where it is logged, so the store can take in just that
log, at once, instead of waiting for the next scan. ``HookEvent`` is what we
keep of either; the functions here are the work, wherever it runs (the hook's
own process, a detached one, or ``serve``); ``runtime/hook_relay.py`` decides where.

Payload shapes, as the assistants document them (tests/fixtures/claude-code/hooks/):

* Claude Code, every event: ``session_id``, ``transcript_path``, ``cwd``,
  ``hook_event_name``; ``SessionStart`` adds ``source`` (startup, resume,
  clear, compact), ``PreCompact`` ``trigger`` (manual, auto), ``SessionEnd``
  ``reason``, ``SubagentStop`` ``agent_transcript_path``.
* Codex ``notify``: ``type`` (``agent-turn-complete``), ``thread-id``,
  ``turn-id``, ``cwd``, ``input-messages``, ``last-assistant-message``.
* Gemini CLI (tests/fixtures/gemini/hooks/): Claude Code's common fields plus
  ``timestamp``; ``SessionStart`` ``source``, ``PreCompress`` ``trigger``,
  ``SessionEnd`` ``reason``; ``transcript_path`` is its chat recording.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

import apsw
import msgspec

from ..core.config import Config
from ..core.errors import BadInput
from ..core.models import ScanResult
from ..sources.base import Source

CLAUDE_EVENTS = ("SessionStart", "PreCompact", "Stop", "SubagentStop", "SessionEnd")
GEMINI_EVENTS = ("SessionStart", "PreCompress", "AfterAgent", "SessionEnd")
CODEX_EVENT = "codex-notify"
CLIENTS = ("claude-code", "codex", "gemini")
MEMORIZE_AT = frozenset({"PreCompact", "PreCompress", "SessionEnd"})
# Events after which the assistant may still be writing the turn to its log
# (``transcript_path`` lags the event): read again once the log is quiet.
SETTLE_AFTER = frozenset({"Stop", "SubagentStop", "SessionEnd", "PreCompact", "AfterAgent", "PreCompress",
                          CODEX_EVENT})
CHARS_PER_TOKEN = 4  # an estimate good enough for a budget; the tokenizer costs more than the budget


class HookEvent(msgspec.Struct, frozen=True, omit_defaults=True):
    """One hook call, whichever assistant made it."""

    client: str  # claude-code | codex | gemini
    event: str  # SessionStart, PreCompact, Stop, SubagentStop, SessionEnd, codex-notify; Gemini's AfterAgent, PreCompress
    session_id: str | None = None
    transcript_path: str | None = None
    cwd: str | None = None
    detail: str | None = None  # SessionStart's source, PreCompact's trigger, SessionEnd's reason
    agent_transcript_path: str | None = None  # SubagentStop: the sub-agent's own log


class _ClaudePayload(msgspec.Struct):
    session_id: str | None = None
    transcript_path: str | None = None
    cwd: str | None = None
    hook_event_name: str | None = None
    source: str | None = None
    trigger: str | None = None
    reason: str | None = None
    agent_transcript_path: str | None = None


class _CodexNotify(msgspec.Struct, rename="kebab"):
    type: str | None = None
    thread_id: str | None = None
    turn_id: str | None = None
    cwd: str | None = None


def parse(event: str, raw: bytes, client: str = "claude-code") -> HookEvent:
    """The event named ``event`` from the bytes ``client`` sent; ``BadInput`` if they are not its JSON."""
    try:
        if event == CODEX_EVENT:
            n = msgspec.json.decode(raw, type=_CodexNotify)
            return HookEvent("codex", event, session_id=n.thread_id, cwd=n.cwd, detail=n.type)
        p = msgspec.json.decode(raw, type=_ClaudePayload)
    except msgspec.DecodeError as e:
        raise BadInput(f"hook {event}: the payload is not the JSON expected ({e})") from None
    if client not in CLIENTS:
        raise BadInput(f"hook {event}: unknown client {client!r}; one of {', '.join(CLIENTS)}")
    return HookEvent(client, p.hook_event_name or event, session_id=p.session_id,
                     transcript_path=p.transcript_path, cwd=p.cwd, detail=p.source or p.trigger or p.reason,
                     agent_transcript_path=p.agent_transcript_path)


def logs_of(conn: apsw.Connection | None, ev: HookEvent, env: Mapping[str, str] | None = None,
            home: Path | None = None) -> list[Path]:
    """The log files of the event's session that exist now (a log may not be written yet)."""
    if ev.client == "codex":
        found = _codex_rollout(conn, ev.session_id, os.environ if env is None else env,
                               Path.home() if home is None else home)
        return [found] if found else []
    named = [p for p in (ev.transcript_path, ev.agent_transcript_path) if p]
    return [path for path in (Path(p).expanduser() for p in named) if path.is_file()]


def _codex_rollout(conn: apsw.Connection | None, thread_id: str | None, env: Mapping[str, str],
                   home: Path) -> Path | None:
    """Codex names its rollout ``rollout-<time>-<thread id>.jsonl``: the one the store knows, else
    the newest under ``$CODEX_HOME/sessions``."""
    if not thread_id or not all(c.isalnum() or c == "-" for c in thread_id):
        return None
    if conn is not None:
        row = conn.execute("SELECT path FROM source_files WHERE provider = 'codex' AND path LIKE ? "
                           "ORDER BY mtime_ns DESC LIMIT 1", (f"%-{thread_id}.jsonl",)).fetchone()
        if row and os.path.isfile(row[0]):
            return Path(row[0])
    from ..sources.codex import SOURCE

    for root in SOURCE.default_roots(env, home):
        hits = sorted((root / "sessions").glob(f"*/*/*/rollout-*-{thread_id}.jsonl"))
        if hits:
            return hits[-1]
    return None


def unread_bytes(conn: apsw.Connection, paths: list[Path]) -> int:
    """How much of ``paths`` the store has not read yet (a log it never saw counts whole)."""
    total = 0
    for path in paths:
        try:
            size = path.stat().st_size
        except OSError:
            continue
        row = conn.execute("SELECT offset FROM source_files WHERE path = ?", (str(path),)).fetchone()
        total += max(0, size - (row[0] if row else 0))
    return total


def ingest(conn: apsw.Connection, config: Config, ev: HookEvent, paths: list[Path]) -> ScanResult | None:
    """Read what is new in the session's logs into the store (nothing if its assistant is switched off)."""
    if not paths or not config.source(ev.client).enabled:
        return None
    from .. import ingest as scanning

    result = None
    for path in paths:  # a Gemini session may have a chat of each layout; one source per file
        result = scanning.import_files(conn, _source(ev.client, path), [path])
    return result


def _source(client: str, path: Path) -> Source:
    if client == "codex":
        from ..sources.codex import SOURCE

        return SOURCE
    if client == "gemini":
        from ..sources import gemini

        return gemini.RECORDS_SOURCE if path.suffix == ".jsonl" else gemini.SOURCE
    from ..sources.claude_code import SOURCE as CLAUDE

    return CLAUDE


def settle(paths: list[Path], quiet: float = 0.3, limit: float = 3.0) -> None:
    """Wait (at most ``limit`` seconds) until no log in ``paths`` grew for ``quiet`` seconds:
    an assistant may still be appending the turn its hook announced."""
    deadline = time.monotonic() + limit
    sizes = _sizes(paths)
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now_sizes = _sizes(paths)
        if now_sizes != sizes:
            sizes, still_since = now_sizes, time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            return


def _sizes(paths: list[Path]) -> list[int]:
    out = []
    for path in paths:
        try:
            out.append(path.stat().st_size)
        except OSError:
            out.append(-1)
    return out


def wants_memorize(config: Config, ev: HookEvent) -> bool:
    return config.memory.auto_memorize and ev.event in MEMORIZE_AT and ev.session_id is not None


def memorize_session(conn: apsw.Connection, config: Config, ev: HookEvent) -> int:
    """Memorize the event's session (``memory.auto_memorize``); how many memories are new."""
    if ev.session_id is None:
        return 0
    from .memory import memorize

    return len(memorize(conn, config, ev.session_id, writer=f"{ev.client} {ev.event} hook"))


def project_of(conn: apsw.Connection, cwd: str) -> str | None:
    """The project of a working directory: as its sessions have it (the user may have set it), else
    its name, as a scan names it."""
    cwd = cwd.rstrip("/") or "/"
    row = conn.execute("SELECT project FROM sessions WHERE cwd = ? AND project IS NOT NULL "
                       "ORDER BY last_activity DESC LIMIT 1", (cwd,)).fetchone()
    return row[0] if row else (os.path.basename(cwd) or None)


def session_context(conn: apsw.Connection, cwd: str | None, budget_tokens: int) -> str | None:
    """The memories of ``cwd``'s project, newest first, as many as fit ``budget_tokens``; None: none."""
    if budget_tokens <= 0 or not cwd:
        return None
    project = project_of(conn, cwd)
    if project is None:
        return None
    head = f"Memories from earlier sessions of {project} (llm-session; `llm-session recall` finds more):"
    left = budget_tokens * CHARS_PER_TOKEN - len(head)
    lines: list[str] = []
    # The table directly, not services.memory: that package loads numpy, a third of the budget.
    for (text,) in conn.execute("SELECT text FROM memories WHERE project = ? ORDER BY created_at DESC, rid DESC "
                                "LIMIT 200", (project,)):
        line = "- " + " ".join(text.split())
        if len(line) + 1 > left:
            if lines:
                break
            continue  # one too long for the budget: a shorter one may fit
        lines.append(line)
        left -= len(line) + 1
    return "\n".join([head, *lines]) if lines else None


def start_output(client: str, context: str | None) -> str | None:
    """What a SessionStart hook prints for ``client`` to add ``context`` to the session: Claude Code's
    ``hookSpecificOutput`` names its event, Gemini CLI's has ``additionalContext`` alone."""
    if not context:
        return None
    named = {} if client == "gemini" else {"hookEventName": "SessionStart"}
    return msgspec.json.encode({"hookSpecificOutput": {**named, "additionalContext": context}}).decode()
