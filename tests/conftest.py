"""Every test runs in a sandbox home: nothing reads or writes the real ~/.claude,
~/.codex, config or data dirs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# Per day, what the Claude Code fixtures hold by hand count (tests/fixtures/claude-code/README.md;
# ccusage reports the same): input, output, cache write, cache read.
CLAUDE_DAY_TOTALS = {
    "2025-08-14": (32, 812, 11160, 68660),
    "2025-08-15": (47, 992, 13030, 67070),
}
CODEX_RECENT = "019c8a10-4b7e-7c21-9d3a-5e6f7a8b9c0d"
CODEX_ARCHIVED = "019cab42-9e15-7b63-a4d8-6f0e1c2b3a59"

_CLEARED = (
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "LLM_SESSION_CONFIG",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "COPILOT_HOME",
    "VSCODE_APPDATA",
    "VSCODE_PORTABLE",
    "APPDATA",
    "LLM_USER_PATH",
    "OLLAMA_HOST",
    "GEMINI_CLI_HOME",
    "AIDER_CHAT_HISTORY_FILE",
    "WATCHFILES_FORCE_POLLING",
    "LLM_SESSION_PASSPHRASE",
)


# ``make test-fast`` runs what is not ``slow``: tests that start our own processes
# (the CLI, servers, editors) are, found by the fixtures they use or the folder they
# live in; a test that is slow otherwise says so with ``@pytest.mark.slow``.
_SLOW_FIXTURES = frozenset({"cli", "store", "start_serve", "servers", "lsp", "terminal"})
_SLOW_FOLDERS = frozenset({"lsp", "mcp", "editors"})
_SLOW_FILES = frozenset({  # detached continuations, worker pools, processes found by name, the demo
    "test_conversation_later.py", "test_ingest_parallel.py", "test_processes.py", "test_first_run.py"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.path.parent.name in _SLOW_FOLDERS \
                or item.path.name in _SLOW_FILES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def sandbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return sandbox(tmp_path, monkeypatch)


def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the environment at a home and data dir under ``tmp_path``; the home."""
    home = tmp_path / "sandbox" / "home"  # a name no test uses for its own files
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("LLM_SESSION_DATA_DIR", str(tmp_path / "sandbox" / "data"))
    monkeypatch.setenv("TZ", "UTC")
    # No status line agent outlives a test: tests/test_statusline_agent.py turns it on and stops it.
    monkeypatch.setenv("LLM_SESSION_STATUSLINE_AGENT", "0")
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    return home


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli():
    """Run the real ``llm-session`` in a subprocess with the sandboxed environment."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "llm_session_manager", *args],
            capture_output=True,
            text=True,
            input=input,
            env={**os.environ, **(env or {})},
            timeout=120,
        )
        return CliResult(proc)

    return run


@pytest.fixture
def fixture_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Private copies of the Claude Code and Codex fixtures, which the environment points at.

    Copies, so tests may append to them like a live assistant does.
    """
    return copy_fixture_logs(tmp_path, monkeypatch)


def copy_fixture_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The ``fixture_logs`` fixture's work, for a fixture of a wider scope too."""
    claude = tmp_path / "logs" / "claude"
    codex = tmp_path / "logs" / "codex"
    shutil.copytree(FIXTURES / "claude-code", claude)
    shutil.copytree(FIXTURES / "codex" / "home", codex)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    monkeypatch.setenv("CODEX_HOME", str(codex))
    return SimpleNamespace(
        claude=claude,
        codex=codex,
        recent=next(codex.rglob(f"*{CODEX_RECENT}.jsonl")),  # a rollout to append turns to
        archived=next(codex.rglob(f"*{CODEX_ARCHIVED}.jsonl")),
    )


@pytest.fixture
def store(fixture_logs, cli) -> dict:
    """The store after a scan of ``fixture_logs``; the scan's JSON."""
    r = cli("scan", "--json")
    assert r.code == 0, r.err
    return r.json()


@pytest.fixture
def use_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``use_config(text)`` makes ``text`` the config file every command and service reads."""

    def use(text: str) -> Path:
        path = tmp_path / "config.yaml"
        path.write_text(text)
        monkeypatch.setenv("LLM_SESSION_CONFIG", str(path))
        return path

    return use


class ServeRunner:
    """``start_serve()`` runs `llm-session serve --verbose` on free ports, scanning every
    ``scan_interval`` seconds (1 unless given) besides watching the logs, with
    ``config_text`` added to its config file and ``args`` added to its command line
    (``ports`` replaces the free-port options).

    Returns the /mcp URL and the LSP (host, port), once both listen; the process
    is stopped with SIGINT after the test and must exit cleanly.

    The watcher says "scan done" after each scan (and its notifications), which is
    what a test waits on instead of sleeping: ``scans()`` counts them so far and
    ``wait_for_scan(after)`` waits for one more than ``after``.
    """

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path, self.monkeypatch = tmp_path, monkeypatch
        self.started: list[subprocess.Popen] = []
        self.lines: list[str] = []  # stderr of the latest serve, so far
        self.changed = threading.Condition()

    def __call__(self, scan_interval: float = 1, config_text: str = "",
                 args: tuple[str, ...] = (), ports: tuple[str, ...] = ("--port", "0", "--lsp-port", "0"),
                 ) -> tuple[str, tuple[str, int]]:
        config = self.tmp_path / "serve-config.yaml"
        config.write_text(f"session_discovery:\n  scan_interval: {scan_interval}\n{config_text}")
        self.monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
        proc = subprocess.Popen(
            [sys.executable, "-m", "llm_session_manager", "serve", "--verbose", *ports, *args],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=os.environ,
        )
        self.started.append(proc)
        with self.changed:
            self.lines = seen = []
        threading.Thread(target=self._drain, args=(proc, seen), daemon=True).start()
        mcp = lsp = None
        with self.changed:
            self.changed.wait_for(lambda: (_listening(seen, "MCP") and _listening(seen, "LSP"))
                                  or proc.poll() is not None, timeout=30)
            mcp, lsp = _listening(seen, "MCP"), _listening(seen, "LSP")
        if mcp is None or lsp is None:
            raise AssertionError("serve did not start:\n" + "".join(seen))
        host, port = lsp.rsplit(":", 1)
        return mcp, (host, int(port))

    def _drain(self, proc: subprocess.Popen, into: list[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            with self.changed:
                into.append(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def scans(self) -> int:
        """Scans the latest serve finished so far."""
        with self.changed:
            return len(self._scans())

    def wait_for_scan(self, after: int, seconds: float = 10, storing: bool = False) -> None:
        """Wait until the latest serve finished a scan beyond its first ``after`` (one that
        stored new records, if ``storing``), and its notification round after it."""
        def done() -> bool:
            return any(records or not storing for records in self._scans()[after:])

        with self.changed:
            if not self.changed.wait_for(done, timeout=seconds):
                raise AssertionError(f"no scan finished within {seconds} s:\n" + "".join(self.lines[-20:]))

    def _scans(self) -> list[int]:
        """The records each finished scan stored, in order; call holding ``changed``."""
        pattern = r"scan done: \d+ files read, (\d+) records"
        return [int(m.group(1)) for line in self.lines if (m := re.search(pattern, line))]

    def stop(self, sig: int = signal.SIGINT) -> float:
        """Stop the latest serve with ``sig``; the seconds from the signal until it exited (code 0)."""
        proc = self.started.pop()
        sent = time.monotonic()
        proc.send_signal(sig)
        try:
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        return time.monotonic() - sent

    def stop_all(self) -> None:
        try:
            while self.started:
                self.stop()
        finally:
            for proc in self.started:
                proc.kill()


def _listening(lines: list[str], door: str) -> str | None:
    """The address serve says ``door`` listens at: the /mcp URL, or the LSP's host:port."""
    pattern = r"MCP at (http://\S+:\d+/mcp)" if door == "MCP" else r"LSP at tcp://(\S+:\d+)"
    return next((m.group(1) for line in lines if (m := re.search(pattern, line))), None)


@pytest.fixture
def start_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A ``ServeRunner``: call it to start `llm-session serve`; every serve is stopped after the test."""
    runner = ServeRunner(tmp_path, monkeypatch)
    yield runner
    runner.stop_all()


def append_codex_turn(log: Path, timestamp: str, input_tokens: int, output_tokens: int) -> None:
    """Append a ``token_count`` event for one more turn, as Codex writes it."""
    total = None
    for line in log.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the fixtures hold a line cut off mid-write, as crashes leave
        info = record.get("payload", {}).get("info") if record.get("type") == "event_msg" else None
        if info and info.get("total_token_usage"):
            total = info["total_token_usage"]
    assert total is not None
    last = {"input_tokens": input_tokens, "cached_input_tokens": 0, "output_tokens": output_tokens,
            "reasoning_output_tokens": 0, "total_tokens": input_tokens + output_tokens}
    new_total = {key: total.get(key, 0) + last[key] for key in last}
    line = {"timestamp": timestamp, "type": "event_msg", "payload": {"type": "token_count", "info": {
        "total_token_usage": new_total, "last_token_usage": last, "model_context_window": 258400}}}
    with log.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
