"""Which assistants are running now, and which logged session each one is.

Logs do not say whether a session is still open; running processes do. A
terminal assistant (Claude Code, Codex, Gemini CLI, Aider, Copilot CLI, the
Cursor agent) is matched to the session of the same provider whose cwd is the
process's cwd and that was active since the process started (the newest such
session: a resumed conversation writes under a new id).

Assistants living inside an editor have no cwd of their own: Cursor's app, and
GitHub Copilot, whose VS Code and JetBrains plugins both run its language
server as a child process (``copilot-language-server``, or the older
``copilot-agent-*`` binaries). They mark the provider's newest session active
since the process started.

On Linux the process table is read from ``/proc`` directly: importing psutil
(with the sockets and subprocess modules it pulls in) cost more than the rest of
``list --json`` at 20,000 sessions, for the four facts read here (name, command
line, cwd, start time). Elsewhere psutil reads them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable
from typing import NamedTuple

# Executable (or script) names of each assistant's CLI or app.
_NAMES = {
    "claude": "claude-code",
    "codex": "codex",
    "gemini": "gemini",
    "cursor-agent": "cursor",
    "copilot": "copilot",
    "aider": "aider",
}
# Names of assistants hosted by an editor: matched by provider and time, not cwd.
_HOSTED = {
    "cursor": "cursor",
    "Cursor": "cursor",
    "copilot-language-server": "copilot",
    "copilot-agent-linux": "copilot",
    "copilot-agent-macos": "copilot",
    "copilot-agent-macos-arm64": "copilot",
    "copilot-agent-win": "copilot",
}
# Package paths that give an interpreted assistant away when its script has a
# generic name (node .../@google/gemini-cli/dist/index.js).
_PACKAGES = {
    "@anthropic-ai/claude-code": "claude-code",
    "@openai/codex": "codex",
    "@google/gemini-cli": "gemini",
    "@github/copilot-language-server": "copilot",
    "@github/copilot": "copilot",
}
# Processes whose command line may name an assistant's script (node .../claude,
# python -m aider); only theirs is read, the costly part of listing processes.
# VS Code's own binary runs extension children as node (ELECTRON_RUN_AS_NODE).
_INTERPRETERS = ("node", "nodejs", "bun", "deno", "python", "pypy", "code", "codium", "electron")
# A process may have started a little before its session's first log line.
_START_SLACK_S = 60.0
# How long one look at the process table answers for. An editor polls the
# status every few seconds and lists sessions as well; assistants start and
# stop far less often than that.
CACHE_S = 1.5


class AssistantProcess(NamedTuple):
    pid: int
    provider: str
    cwd: str
    started_at: float
    hosted: bool = False  # inside an editor: its cwd says nothing about the session


class SessionKey(NamedTuple):
    id: str
    provider: str
    cwd: str | None
    last_activity: float


_lock = threading.Lock()
_cache: tuple[float, list[AssistantProcess]] | None = None


def running(*, max_age: float = CACHE_S) -> list[AssistantProcess]:
    """Assistant processes of this user that we may inspect, as of at most ``max_age`` seconds ago.

    Thread-safe: concurrent callers share one look at the process table.
    """
    global _cache
    with _lock:
        if _cache is None or time.monotonic() - _cache[0] > max_age:
            _cache = (time.monotonic(), _scan())
        return list(_cache[1])


def _scan() -> list[AssistantProcess]:
    return _proc_scan() if sys.platform == "linux" else _psutil_scan()


def _psutil_scan() -> list[AssistantProcess]:
    import psutil

    found = []
    for proc in psutil.process_iter(["name"]):
        try:
            name = proc.info["name"]
            cmdline = proc.cmdline() if _may_run_script(name) else None
            known = _provider_of(name, cmdline)
            if known is None:
                continue
            provider, hosted = known
            found.append(AssistantProcess(proc.pid, provider, proc.cwd(), proc.create_time(), hosted))
        except (psutil.Error, OSError):
            continue
    return found


_COMM_MAX = 15  # /proc/<pid>/stat's name is the executable's, cut to 15 characters


def _proc_scan() -> list[AssistantProcess]:
    """``_psutil_scan`` read from ``/proc`` as psutil reads it: a name cut at 15 characters is
    the command line's first word where that starts with it; start times are since boot."""
    ticks = os.sysconf("SC_CLK_TCK")
    booted = _boot_time()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            close = stat.rindex(b")")
            name = os.fsdecode(stat[stat.index(b"(") + 1:close])
            cmdline = None
            if len(name) >= _COMM_MAX or _may_run_script(name):
                cmdline = _cmdline(entry)
                if len(name) >= _COMM_MAX and cmdline and os.path.basename(cmdline[0]).startswith(name):
                    name = os.path.basename(cmdline[0])
            known = _provider_of(name, cmdline if _may_run_script(name) else None)
            if known is None:
                continue
            started = booted + int(stat[close + 2:].split()[19]) / ticks  # field 22: start time in ticks
            found.append(AssistantProcess(int(entry), known[0], os.readlink(f"/proc/{entry}/cwd"), started, known[1]))
        except (OSError, ValueError, IndexError):
            continue  # gone, or not ours to inspect
    return found


def _cmdline(pid: str) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        raw = f.read()
    sep = b"\0" if raw.endswith(b"\0") else b" "  # a process that rewrote its title may use spaces
    return [os.fsdecode(arg) for arg in raw.rstrip(sep).split(sep)] if raw else []


def _boot_time() -> float:
    with open("/proc/stat", "rb") as f:
        for line in f:
            if line.startswith(b"btime "):
                return float(line.split()[1])
    raise OSError("/proc/stat has no btime")


def _may_run_script(name: str | None) -> bool:
    return name is not None and bool(name) and name not in _NAMES and name not in _HOSTED \
        and name.lower().startswith(_INTERPRETERS)


def _provider_of(name: str | None, cmdline: list[str] | None) -> tuple[str, bool] | None:
    """The assistant behind a process, and whether an editor hosts it: by its
    name, or by the script an interpreter runs."""
    candidates = [name or ""]
    if cmdline:
        # node /usr/lib/node_modules/.bin/claude, python -m aider, ...
        candidates += [os.path.basename(arg) for arg in cmdline[:3]]
    for candidate in candidates:
        stem = candidate.removesuffix(".js").removesuffix(".exe")
        if stem in _NAMES:
            return _NAMES[stem], False
        if stem in _HOSTED:
            return _HOSTED[stem], True
    for arg in (cmdline or ())[:3]:
        for package, provider in _PACKAGES.items():
            if package in arg.replace("\\", "/"):
                return provider, provider == "copilot" and "language-server" in arg
    return None


def match(processes: Iterable[AssistantProcess], sessions: Iterable[SessionKey]) -> dict[str, int]:
    """Session id -> pid of the process that is running it."""
    sessions = list(sessions)
    by_place: dict[tuple[str, str], list[SessionKey]] = {}
    by_provider: dict[str, list[SessionKey]] = {}
    for s in sessions:
        by_provider.setdefault(s.provider, []).append(s)
        if s.cwd:
            by_place.setdefault((s.provider, os.path.normpath(s.cwd)), []).append(s)
    active: dict[str, int] = {}
    # Terminal assistants first: their cwd pins their session down exactly.
    for proc in sorted(processes, key=lambda p: p.hosted):
        pool = by_provider.get(proc.provider, ()) if proc.hosted else by_place.get(
            (proc.provider, os.path.normpath(proc.cwd)), ())
        candidates = [s for s in pool if s.last_activity >= proc.started_at - _START_SLACK_S and s.id not in active]
        if candidates:
            newest = max(candidates, key=lambda s: s.last_activity)
            active[newest.id] = proc.pid
    return active
