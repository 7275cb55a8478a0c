"""A running assistant marks the session it is working on as active."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from llm_session_manager.services import processes


@pytest.fixture
def fake_claude(tmp_path: Path):
    """A real process whose executable is named ``claude``, running in a project dir."""
    project = tmp_path / "web-api"
    project.mkdir()
    exe = tmp_path / "bin" / "claude"
    exe.parent.mkdir()
    shutil.copy(shutil.which("sleep"), exe)
    proc = subprocess.Popen([str(exe), "30"], cwd=project)
    try:
        deadline = time.time() + 5
        while time.time() < deadline and not any(p.pid == proc.pid for p in processes.running()):
            time.sleep(0.05)
        yield proc, project
    finally:
        proc.kill()
        proc.wait()


def test_a_running_claude_is_found_with_its_cwd(fake_claude):
    proc, project = fake_claude
    found = [p for p in processes.running() if p.pid == proc.pid]
    assert found, "the claude process was not recognised"
    assert found[0].provider == "claude-code"
    assert Path(found[0].cwd) == project


def test_the_newest_session_in_the_process_cwd_is_the_active_one(fake_claude):
    proc, project = fake_claude
    started = psutil.Process(proc.pid).create_time()
    sessions = [
        processes.SessionKey("old", "claude-code", str(project), started - 3600),  # before the process
        processes.SessionKey("current", "claude-code", str(project), started + 5),
        processes.SessionKey("elsewhere", "claude-code", "/somewhere/else", started + 9),
        processes.SessionKey("codex-here", "codex", str(project), started + 9),
    ]
    active = processes.match(processes.running(), sessions)
    assert active == {"current": proc.pid}


def test_interpreted_assistants_are_recognised_by_their_script():
    assert processes._provider_of("node", ["node", "/usr/lib/node_modules/.bin/claude"]) == ("claude-code", False)
    assert processes._provider_of("python3", ["python3", "/home/u/.local/bin/aider", "--model", "x"]) == ("aider", False)
    assert processes._provider_of("node", ["node", "/usr/lib/node_modules/@google/gemini-cli/dist/index.js"]) == (
        "gemini", False)
    assert processes._provider_of("node", ["node", "/srv/app/server.js"]) is None
    assert processes._provider_of("bash", [sys.executable]) is None


def test_copilot_is_recognised_inside_vs_code_and_jetbrains():
    # VS Code's Copilot Chat runs the language server under the editor's node...
    vscode = ["/usr/share/code/code", "/home/u/.vscode/extensions/github.copilot-chat-0.31.0/dist/"
              "node_modules/@github/copilot-language-server/dist/language-server.js", "--stdio"]
    assert processes._provider_of("code", vscode) == ("copilot", True)
    # ...and JetBrains' plugin ships it as a native binary.
    assert processes._provider_of("copilot-language-server", None) == ("copilot", True)
    assert processes._provider_of("copilot-agent-linux", None) == ("copilot", True)
    assert processes._provider_of("Cursor", None) == ("cursor", True)
    assert processes._provider_of("copilot", None) == ("copilot", False)  # the Copilot CLI, in a terminal


def test_an_editor_hosted_copilot_marks_its_newest_session_active(tmp_path):
    exe = tmp_path / "bin" / "copilot-language-server"
    exe.parent.mkdir()
    shutil.copy(shutil.which("sleep"), exe)
    proc = subprocess.Popen([str(exe), "30"], cwd="/")  # an editor's child: its cwd is meaningless
    try:
        deadline = time.time() + 5
        while time.time() < deadline and not any(p.pid == proc.pid for p in processes.running(max_age=0)):
            time.sleep(0.05)
        [found] = [p for p in processes.running() if p.pid == proc.pid]
        assert (found.provider, found.hosted) == ("copilot", True)
        started = found.started_at
        sessions = [
            processes.SessionKey("yesterday", "copilot", "/home/u/shop", started - 86400),
            processes.SessionKey("earlier", "copilot", "/home/u/api", started + 2),
            processes.SessionKey("latest", "copilot", "/home/u/shop", started + 8),
            processes.SessionKey("claude", "claude-code", "/", started + 9),
        ]
        assert processes.match(processes.running(), sessions) == {"latest": proc.pid}
    finally:
        proc.kill()
        proc.wait()


def test_one_look_at_the_process_table_serves_callers_for_a_moment(monkeypatch):
    scans = []
    monkeypatch.setattr(processes, "_cache", None)
    monkeypatch.setattr(processes, "_scan", lambda: scans.append(1) or [])
    processes.running()
    processes.running()
    assert len(scans) == 1  # an editor's status poll and session list share one look
    processes.running(max_age=0)
    assert len(scans) == 2


def test_only_interpreters_have_their_command_lines_read():
    assert processes._may_run_script("node") and processes._may_run_script("python3.12")
    assert processes._may_run_script("code")  # VS Code runs Copilot's language server as node
    assert not processes._may_run_script("claude")  # known by its name alone
    assert not processes._may_run_script("copilot-language-server")
    assert not processes._may_run_script("bash") and not processes._may_run_script(None)


@pytest.mark.skipif(sys.platform != "linux", reason="/proc is read on Linux only")
def test_on_linux_the_proc_reading_finds_what_psutil_finds(tmp_path):
    """A name longer than /proc's 15 characters, an assistant known by its script under an
    interpreter's name, and one known by its own name: both readings agree on each."""
    sleep = shutil.which("sleep")
    assert sleep
    (tmp_path / "bin").mkdir()
    started = []
    for exe_name, argv0, cwd in (("claude", None, tmp_path),
                                 ("copilot-language-server", None, Path("/")),
                                 ("node", "/opt/lib/node_modules/@google/gemini-cli/dist/index.js", tmp_path)):
        exe = tmp_path / "bin" / exe_name
        shutil.copy(sleep, exe)
        started.append(subprocess.Popen([argv0 or str(exe), "30"], executable=exe, cwd=cwd))
    try:
        pids = {p.pid for p in started}
        ours = sorted((p for p in processes._proc_scan() if p.pid in pids), key=lambda p: p.provider)
        theirs = sorted((p for p in processes._psutil_scan() if p.pid in pids), key=lambda p: p.provider)
        assert [p.provider for p in ours] == ["claude-code", "copilot", "gemini"]
        assert [(p.pid, p.provider, p.cwd, p.hosted) for p in ours] == [
            (p.pid, p.provider, p.cwd, p.hosted) for p in theirs]
        assert all(abs(a.started_at - b.started_at) < 0.02 for a, b in zip(ours, theirs, strict=True))
        assert all(abs(p.started_at - time.time()) < 60 for p in ours)
    finally:
        for proc in started:
            proc.kill()
            proc.wait()
