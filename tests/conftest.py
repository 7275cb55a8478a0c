"""Every test runs in a sandbox home: nothing reads or writes the real ~/.claude,
~/.codex, config or data dirs."""

from __future__ import annotations

import json
import os
import queue
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
)


@pytest.fixture(autouse=True)
def sandbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "sandbox" / "home"  # a name no test uses for its own files
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("LLM_SESSION_DATA_DIR", str(tmp_path / "sandbox" / "data"))
    monkeypatch.setenv("TZ", "UTC")
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


@pytest.fixture
def start_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``start_serve()`` runs `llm-session serve` on free ports, scanning every
    ``scan_interval`` seconds (1 unless given) besides watching the logs, with
    ``config_text`` added to its config file and ``args`` added to its command line
    (``ports`` replaces the free-port options).

    Returns the /mcp URL and the LSP (host, port), once both listen; the process
    is stopped with SIGINT after the test and must exit cleanly.
    """
    started: list[subprocess.Popen] = []

    def start(scan_interval: float = 1, config_text: str = "",
              args: tuple[str, ...] = (), ports: tuple[str, ...] = ("--port", "0", "--lsp-port", "0"),
              ) -> tuple[str, tuple[str, int]]:
        config = tmp_path / "serve-config.yaml"
        config.write_text(f"session_discovery:\n  scan_interval: {scan_interval}\n{config_text}")
        monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
        proc = subprocess.Popen(
            [sys.executable, "-m", "llm_session_manager", "serve", *ports, *args],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=os.environ,
        )
        started.append(proc)
        lines: queue.Queue[str] = queue.Queue()  # stderr is drained by a thread from here on
        threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
        seen: list[str] = []
        mcp = lsp = None
        deadline = time.monotonic() + 30
        while (mcp is None or lsp is None) and time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.2))
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            if m := re.search(r"MCP at (http://\S+:\d+/mcp)", seen[-1]):
                mcp = m.group(1)
            if m := re.search(r"LSP at tcp://(\S+):(\d+)", seen[-1]):
                lsp = (m.group(1), int(m.group(2)))
        if mcp is None or lsp is None:
            raise AssertionError("serve did not start:\n" + "".join(seen))
        return mcp, lsp

    yield start
    for proc in started:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


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
