"""Which assistants are running now, and which logged session each one is.

Logs do not say whether a session is still open; running processes do. An
assistant process is matched to the session of the same provider whose cwd is
the process's cwd and that was active since the process started (the newest
such session: a resumed conversation writes under a new id).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import NamedTuple

import psutil

# Executable (or script) names of each assistant's CLI or app.
_NAMES = {
    "claude": "claude-code",
    "codex": "codex",
    "gemini": "gemini",
    "cursor": "cursor",
    "cursor-agent": "cursor",
    "copilot": "copilot",
    "aider": "aider",
}
# Processes whose command line may name an assistant's script (node .../claude,
# python -m aider); only theirs is read, the costly part of listing processes.
_INTERPRETERS = ("node", "nodejs", "bun", "deno", "python", "pypy")
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
    found = []
    for proc in psutil.process_iter(["name"]):
        try:
            name = proc.info["name"]
            cmdline = proc.cmdline() if _may_run_script(name) else None
            provider = _provider_of(name, cmdline)
            if provider is None:
                continue
            found.append(AssistantProcess(proc.pid, provider, proc.cwd(), proc.create_time()))
        except (psutil.Error, OSError):
            continue
    return found


def _may_run_script(name: str | None) -> bool:
    return bool(name) and name not in _NAMES and name.lower().startswith(_INTERPRETERS)


def _provider_of(name: str | None, cmdline: list[str] | None) -> str | None:
    """The assistant behind a process: by its name, or the script an interpreter runs."""
    candidates = [name or ""]
    if cmdline:
        # node /usr/lib/node_modules/.bin/claude, python -m aider, ...
        candidates += [os.path.basename(arg) for arg in cmdline[:3]]
    for candidate in candidates:
        stem = candidate.removesuffix(".js").removesuffix(".exe")
        if stem in _NAMES:
            return _NAMES[stem]
    return None


def match(processes: Iterable[AssistantProcess], sessions: Iterable[SessionKey]) -> dict[str, int]:
    """Session id -> pid of the process that is running it."""
    by_place: dict[tuple[str, str], list[SessionKey]] = {}
    for s in sessions:
        if s.cwd:
            by_place.setdefault((s.provider, os.path.normpath(s.cwd)), []).append(s)
    active: dict[str, int] = {}
    for proc in processes:
        candidates = [
            s
            for s in by_place.get((proc.provider, os.path.normpath(proc.cwd)), ())
            if s.last_activity >= proc.started_at - _START_SLACK_S and s.id not in active
        ]
        if candidates:
            newest = max(candidates, key=lambda s: s.last_activity)
            active[newest.id] = proc.pid
    return active
