"""Hooks: an assistant tells us about a session the moment it changes (docs/hooks.md).

Every payload is one Claude Code or Codex sends (tests/fixtures/claude-code/hooks/,
tests/fixtures/codex/notify/), every command the real CLI in a subprocess, every
settings file a real one in the sandbox home.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import CODEX_RECENT, FIXTURES

SESSION_A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"
SESSION_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
EVENTS = ["SessionStart", "PreCompact", "Stop", "SubagentStop", "SessionEnd"]


def payload(event: str, claude: Path) -> str:
    """The fixture payload of ``event``, its paths pointing at this test's copy of the logs."""
    text = (FIXTURES / "claude-code" / "hooks" / f"{event}.json").read_text()
    return text.replace("/home/dev/.claude", str(claude))


def session_ids(cli) -> set[str]:
    r = cli("list", "--json", "--no-scan")
    assert r.code == 0, r.err
    return {s["id"] for s in r.json()}


def hooks_log() -> str:
    path = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "hooks.log"
    return path.read_text() if path.exists() else ""


def wait_for(predicate, seconds: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; hooks.log:\n{hooks_log()}")
        time.sleep(0.1)


@pytest.fixture
def claude_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "claude-config"
    d.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(d))
    return d


# --- install, uninstall, status ---------------------------------------------------


def test_install_registers_every_event_and_keeps_the_users_hooks(cli, claude_dir: Path) -> None:
    settings = claude_dir / "settings.json"
    mine = {"model": "opus", "hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh"}]}],
    }}
    settings.write_text(json.dumps(mine, indent=2))

    r = cli("hooks", "install", "--client", "claude-code", "--json")
    assert r.code == 0, r.err
    done = r.json()
    assert done["changed"] is True and sorted(done["events"]) == sorted(EVENTS)
    assert json.loads(Path(done["backup"]).read_text()) == mine

    data = json.loads(settings.read_text())
    assert data["model"] == "opus"
    assert data["hooks"]["PreToolUse"] == mine["hooks"]["PreToolUse"]
    assert data["hooks"]["Stop"][0] == mine["hooks"]["Stop"][0]
    for event in EVENTS:
        ours = [h for g in data["hooks"][event] for h in g["hooks"] if " hook " in h["command"]]
        assert len(ours) == 1 and ours[0]["type"] == "command"
        assert ours[0]["command"].endswith(f"hook {event}")


def test_installing_twice_changes_nothing(cli, claude_dir: Path) -> None:
    assert cli("hooks", "install", "--client", "claude-code").code == 0
    before = (claude_dir / "settings.json").read_bytes()
    r = cli("hooks", "install", "--client", "claude-code", "--json")
    assert r.code == 0 and r.json()["changed"] is False and r.json()["backup"] is None
    assert (claude_dir / "settings.json").read_bytes() == before
    assert len(list(claude_dir.glob("settings.json.bak-*"))) == 0  # the first install had no file to back up


def test_uninstall_removes_ours_and_only_ours(cli, claude_dir: Path) -> None:
    settings = claude_dir / "settings.json"
    mine = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}, "theme": "dark"}
    settings.write_text(json.dumps(mine))
    assert cli("hooks", "install", "--client", "claude-code").code == 0
    r = cli("hooks", "uninstall", "--client", "claude-code", "--json")
    assert r.code == 0 and r.json()["changed"] is True
    assert json.loads(settings.read_text()) == mine
    again = cli("hooks", "uninstall", "--client", "claude-code", "--json")
    assert again.code == 0 and again.json()["changed"] is False


def test_a_settings_file_that_does_not_parse_is_left_as_it_is(cli, claude_dir: Path) -> None:
    settings = claude_dir / "settings.json"
    settings.write_text('{"hooks": {// a comment\n}}')
    r = cli("hooks", "install", "--client", "claude-code")
    assert r.code == 1 and "cannot parse" in r.err and "Traceback" not in r.err
    assert settings.read_text() == '{"hooks": {// a comment\n}}'


def test_codex_gets_a_notify_program_and_keeps_its_config(cli, tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "codex-home"
    home.mkdir()
    monkeypatch.setenv("CODEX_HOME", str(home))
    config = home / "config.toml"
    config.write_text('model = "gpt-5-codex"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n')
    r = cli("hooks", "install", "--client", "codex", "--json")
    assert r.code == 0, r.err
    import tomllib

    data = tomllib.loads(config.read_text())
    assert data["model"] == "gpt-5-codex" and data["mcp_servers"]["docs"]["command"] == "docs-mcp"
    assert data["notify"][-2:] == ["hook", "codex-notify"]
    assert cli("hooks", "install", "--client", "codex", "--json").json()["changed"] is False

    status = cli("hooks", "status", "--json").json()
    assert {c["client"]: c["events"] for c in status["clients"]}["codex"] == ["codex-notify"]

    assert cli("hooks", "uninstall", "--client", "codex").code == 0
    assert config.read_text() == 'model = "gpt-5-codex"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n'


def test_codex_with_another_notify_program_is_left_alone(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CODEX_HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text('notify = ["terminal-notifier", "-title", "Codex"]\n')
    r = cli("hooks", "install", "--client", "codex")
    assert r.code == 1 and "another notify program" in r.err
    assert (tmp_path / "config.toml").read_text() == 'notify = ["terminal-notifier", "-title", "Codex"]\n'


def test_status_says_what_is_registered_per_client(cli, claude_dir: Path) -> None:
    (claude_dir / "settings.json").write_text(json.dumps(
        {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}}))
    before = cli("hooks", "status", "--json").json()
    assert {c["client"]: (c["events"], c["other_hooks"]) for c in before["clients"]} == {
        "claude-code": ([], 1), "codex": ([], 0), "gemini": ([], 0)}
    assert before["serve"] is None
    cli("hooks", "install", "--client", "claude-code")
    after = cli("hooks", "status", "--client", "claude-code")
    assert after.code == 0 and "SessionStart" in after.out and "1 other hook" in after.out


# --- hook EVENT: the session is read at once ------------------------------------


def test_a_stop_hook_reads_just_that_session_at_once(cli, fixture_logs) -> None:
    r = cli("hook", "Stop", input=payload("Stop", fixture_logs.claude))
    assert r.code == 0 and r.out == "" and r.err == ""
    wait_for(lambda: session_ids(cli) == {SESSION_B}, what="session B")  # not A: no scan, just this transcript
    wait_for(lambda: not _workers_running(), what="the worker to finish")
    assert session_ids(cli) == {SESSION_B}


def test_a_subagent_stop_reads_the_sub_agent_log_too(cli, fixture_logs) -> None:
    assert cli("hook", "SubagentStop", input=payload("SubagentStop", fixture_logs.claude)).code == 0
    wait_for(lambda: SESSION_B in session_ids(cli), what="session B")
    wait_for(lambda: not _workers_running(), what="the worker to finish")
    after_hook = cli("show", SESSION_B, "--json", "--no-scan").json()["tokens"]
    after_scan = cli("show", SESSION_B, "--json").json()["tokens"]  # reads every log there is
    assert after_hook == after_scan


def test_lines_written_after_the_stop_hook_are_read_too(cli, fixture_logs, tmp_path: Path) -> None:
    """transcript_path may lag: the assistant can still be writing the turn when its hook runs."""
    transcript = fixture_logs.claude / "projects" / "-home-dev-shop" / f"{SESSION_B}.jsonl"
    last = json.loads(transcript.read_text().splitlines()[-1])
    ref = {"LLM_SESSION_DATA_DIR": str(tmp_path / "ref")}  # a store that read the transcript as it is now
    assert cli("hook", "SessionStart", input=payload("SessionStart", fixture_logs.claude), env=ref).code == 0
    want = cli("show", SESSION_B, "--json", "--no-scan", env=ref).json()["tokens"]["output"] + 10 * 100
    assert cli("hook", "Stop", input=payload("Stop", fixture_logs.claude)).code == 0
    for i in range(10):  # a line every 100 ms for a second after the hook returned
        time.sleep(0.1)
        with transcript.open("a") as f:
            f.write(json.dumps(_response(last, i), separators=(",", ":")) + "\n")

    def read_all() -> bool:
        got = cli("show", SESSION_B, "--json", "--no-scan")
        return got.code == 0 and got.json()["tokens"]["output"] == want

    wait_for(read_all, what="the lines written after the hook")


def _response(like: dict, i: int) -> dict:
    """An assistant line of session B, as Claude Code appends one: a new response of 100 output tokens."""
    return {**like, "uuid": f"late-{i:04}", "timestamp": f"2025-08-15T10:21:{i:02}.000Z", "type": "assistant",
            "requestId": f"req_late{i:04}",
            "message": {"id": f"msg_late{i:04}", "type": "message", "role": "assistant",
                        "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "Done."}],
                        "stop_reason": "end_turn", "stop_sequence": None,
                        "usage": {"input_tokens": 3, "output_tokens": 100, "cache_creation_input_tokens": 0,
                                  "cache_read_input_tokens": 0}}}


def test_codex_notify_reads_the_turns_rollout(cli, fixture_logs) -> None:
    notify = (FIXTURES / "codex" / "notify" / "agent-turn-complete.json").read_text()
    r = cli("hook", "codex-notify", notify)  # Codex passes the JSON as the last argument
    assert r.code == 0 and r.err == ""
    wait_for(lambda: session_ids(cli) == {CODEX_RECENT}, what="the Codex session")


def test_a_session_start_hands_over_the_projects_memories_within_the_budget(cli, fixture_logs, use_config) -> None:
    for text in ("Totals round half-even; never float for money", "Run make test-fast before committing",
                 "x" * 2000):
        assert cli("remember", text, "--project", "shop").code == 0
    assert cli("remember", "The billing service retries three times", "--project", "billing").code == 0

    assert cli("hook", "SessionStart", input=payload("SessionStart", fixture_logs.claude)).out == ""  # off by default

    use_config("hooks:\n  session_start_tokens: 100\n")
    r = cli("hook", "SessionStart", input=payload("SessionStart", fixture_logs.claude))
    assert r.code == 0, r.err
    out = json.loads(r.out)["hookSpecificOutput"]
    assert out["hookEventName"] == "SessionStart"
    context = out["additionalContext"]
    assert "half-even" in context and "make test-fast" in context
    assert "billing" not in context and "xxxx" not in context  # another project; over the budget
    assert len(context) <= 100 * 4


# --- a hook never fails ----------------------------------------------------------


@pytest.mark.parametrize("stdin", ["not json", "", '{"session_id": 42}', "[1, 2]"])
def test_a_payload_that_is_not_the_events_json_exits_0_and_is_logged(cli, stdin: str) -> None:
    r = cli("hook", "Stop", input=stdin)
    assert (r.code, r.out, r.err) == (0, "", "")
    assert "Stop: BadInput" in hooks_log()


def test_a_transcript_not_written_yet_exits_0_and_is_logged(cli, tmp_path: Path) -> None:
    missing = json.dumps({"session_id": "s-1", "transcript_path": str(tmp_path / "nope.jsonl"), "cwd": str(tmp_path),
                          "hook_event_name": "SessionStart", "source": "startup"})
    r = cli("hook", "SessionStart", input=missing)
    assert (r.code, r.out, r.err) == (0, "", "")
    assert "no log for session s-1 yet" in hooks_log()


def test_a_store_that_cannot_be_opened_exits_0_and_is_logged(cli, fixture_logs) -> None:
    (Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db").mkdir(parents=True)  # a directory, not a database
    r = cli("hook", "Stop", input=payload("Stop", fixture_logs.claude))
    assert (r.code, r.out, r.err) == (0, "", "")
    wait_for(lambda: "Stop:" in hooks_log(), what="the worker's line in hooks.log")


def test_a_broken_config_exits_0_and_is_logged(cli, fixture_logs, use_config) -> None:
    use_config("hooks:\n  time_budget: 3\n")
    r = cli("hook", "Stop", input=payload("Stop", fixture_logs.claude))
    assert (r.code, r.out, r.err) == (0, "", "")
    assert "ConfigError" in hooks_log()


def test_a_big_unread_transcript_is_read_after_the_hook_returns(cli, fixture_logs) -> None:
    """A first hook on a long session must not wait for the whole log: a worker reads it."""
    transcript = fixture_logs.claude / "projects" / "-home-dev-shop" / f"{SESSION_B}.jsonl"
    lines = transcript.read_text().splitlines(keepends=True)
    padding = "".join(lines) * (3 * (2 << 20) // transcript.stat().st_size + 1)  # repeated lines count once
    transcript.write_text(padding)
    r = cli("hook", "SessionStart", input=payload("SessionStart", fixture_logs.claude))
    assert r.code == 0
    wait_for(lambda: SESSION_B in session_ids(cli), what="the worker to read the transcript")


def test_auto_memorize_memorizes_the_session_before_it_compacts(cli, fixture_logs, use_config) -> None:
    use_config("memory:\n  auto_memorize: true\n")
    r = cli("hook", "PreCompact", input=payload("PreCompact", fixture_logs.claude))
    assert r.code == 0 and r.out == ""

    def memorized() -> bool:
        listed = cli("memory", "list", "--json")
        return listed.code == 0 and any(m["session_id"] == SESSION_B for m in listed.json())

    wait_for(memorized, seconds=60, what="the session's memories")


def test_without_auto_memorize_nothing_is_memorized(cli, fixture_logs) -> None:
    assert cli("hook", "SessionEnd", input=payload("SessionEnd", fixture_logs.claude)).code == 0
    assert cli("hook", "Stop", input=payload("Stop", fixture_logs.claude)).code == 0  # one worker after the other
    wait_for(lambda: not _workers_running(), what="the hook workers to finish")
    assert cli("memory", "list", "--json").json() == []


def _workers_running() -> bool:
    lock = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "hooks.lock"
    import fcntl

    if not lock.exists():
        return True
    with open(lock, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


# --- serve takes the work ------------------------------------------------------------


def test_where_serve_runs_the_hook_hands_it_the_event(cli, fixture_logs, start_serve) -> None:
    for text in ("Totals round half-even; never float for money",):
        assert cli("remember", text, "--project", "shop").code == 0
    start_serve(scan_interval=3600, config_text="hooks:\n  session_start_tokens: 100\n")
    assert cli("hooks", "status", "--json").json()["serve"].startswith("http://127.0.0.1:")

    r = cli("hook", "SessionStart", input=payload("SessionStart", fixture_logs.claude))
    assert r.code == 0, r.err
    assert "half-even" in json.loads(r.out)["hookSpecificOutput"]["additionalContext"]
    assert cli("hook", "Stop", input=payload("Stop", fixture_logs.claude)).code == 0

    def told(line: str) -> bool:
        with start_serve.changed:
            return any(line in seen for seen in start_serve.lines)

    wait_for(lambda: told(f"hook Stop from claude-code: session {SESSION_B}"), what="serve to take the Stop")
    assert told(f"hook SessionStart from claude-code: session {SESSION_B}")
    assert "done here" not in hooks_log()

    url = cli("hooks", "status", "--json").json()["serve"] + "/hooks/event"
    assert _post(url, b"{}", token=None) == 401  # the route writes to the store: the token, on loopback too
    assert _post(url, b"{}", token="wrong") == 401
    token = (Path(os.environ["LLM_SESSION_DATA_DIR"]) / "serve-token").read_text().strip()
    assert _post(url, b"not json", token=token) == 400


def _post(url: str, body: bytes, token: str | None) -> int:
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_serve_that_went_away_leaves_the_work_to_the_hook(cli, fixture_logs) -> None:
    """serve-url names a live process that does not listen (a serve stopping, or killed and its pid
    taken): the POST fails at once and the hook does the work itself."""
    data = Path(os.environ["LLM_SESSION_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    (data / "serve-url").write_text(f"http://127.0.0.1:{_closed_port()} {os.getpid()}\n")
    r = cli("hook", "Stop", input=payload("Stop", fixture_logs.claude))
    assert r.code == 0
    wait_for(lambda: SESSION_B in session_ids(cli), what="session B")
    assert "done here" in hooks_log()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Gemini CLI ----------------------------------------------------------------------

GEMINI_SESSION = "5c8e2d41-7b3a-4f6e-9a1d-c2b8e0f4a7d3"


@pytest.fixture
def gemini_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the Gemini fixture home, which GEMINI_CLI_HOME points at."""
    import shutil

    home = tmp_path / "gemini-home"
    shutil.copytree(FIXTURES / "gemini" / "home", home)
    monkeypatch.setenv("GEMINI_CLI_HOME", str(home))
    return home


def gemini_payload(event: str, home: Path) -> str:
    text = (FIXTURES / "gemini" / "hooks" / f"{event}.json").read_text()
    return text.replace("/home/dev/.gemini", str(home / ".gemini"))


def test_gemini_gets_its_hooks_in_its_own_shape(cli, gemini_home: Path) -> None:
    settings = gemini_home / ".gemini" / "settings.json"
    mine = {"hooksConfig": {"enabled": True}, "hooks": {"BeforeTool": [
        {"matcher": "run_shell_command", "hooks": [{"type": "command", "command": "./audit.sh"}]}]}}
    settings.write_text(json.dumps(mine))
    r = cli("hooks", "install", "--client", "gemini", "--json")
    assert r.code == 0, r.err
    assert sorted(r.json()["events"]) == sorted(["SessionStart", "PreCompress", "AfterAgent", "SessionEnd"])
    data = json.loads(settings.read_text())
    assert data["hooksConfig"] == {"enabled": True} and data["hooks"]["BeforeTool"] == mine["hooks"]["BeforeTool"]
    handler = data["hooks"]["AfterAgent"][0]["hooks"][0]
    assert handler["command"].endswith("hook --client gemini AfterAgent")
    assert handler["timeout"] == 10_000 and handler["name"] == "llm-session"  # Gemini's timeout is in ms
    assert cli("hooks", "install", "--client", "gemini", "--json").json()["changed"] is False
    assert cli("hooks", "uninstall", "--client", "gemini").code == 0
    assert json.loads(settings.read_text()) == mine


def test_gemini_after_agent_reads_its_chat(cli, gemini_home: Path) -> None:
    r = cli("hook", "--client", "gemini", "AfterAgent", input=gemini_payload("AfterAgent", gemini_home))
    assert (r.code, r.out, r.err) == (0, "", "")
    wait_for(lambda: session_ids(cli) == {GEMINI_SESSION}, what="the Gemini session")


def test_gemini_session_start_gets_context_in_its_shape(cli, gemini_home: Path, use_config) -> None:
    assert cli("remember", "Notes are stored as Markdown files", "--project", "notes-app").code == 0
    use_config("hooks:\n  session_start_tokens: 100\n")
    r = cli("hook", "--client", "gemini", "SessionStart", input=gemini_payload("SessionStart", gemini_home))
    assert r.code == 0, r.err
    assert json.loads(r.out) == {"hookSpecificOutput": {"additionalContext": (
        "Memories from earlier sessions of notes-app (llm-session; `llm-session recall` finds more):\n"
        "- Notes are stored as Markdown files")}}
    assert GEMINI_SESSION in session_ids(cli)  # a short log is read before the answer
