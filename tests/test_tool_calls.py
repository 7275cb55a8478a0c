"""Tool calls in a conversation: replay, export and ``show --message`` show each one (docs/conversations.md).

Real-shaped logs of the three assistants that log their calls (the attribution
fixtures: tests/fixtures/claude-code-attribution, codex/attribution,
gemini/attribution, whose READMEs say where each shape comes from), with a call
appended in each assistant's own shape whose shell command holds secrets. The
real CLI in a subprocess; the store read with SQLite to see what it keeps.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import apsw
import pytest
from conftest import FIXTURES

CLAUDE = "4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"  # MCP, Skill, Task and Read calls
CODEX = "019cd0a1-3c5e-7a10-9b2d-4e5f6a7b8c90"  # an MCP call and exec_command in one response
GEMINI = "7b7b7b7b-2c3d-4e5f-8a9b-0c1d2e3f4a5b"  # recall (MCP) and read_file in one response

ANTHROPIC_KEY = "sk-ant-api03-" + "Q" * 86 + "AA"
GITHUB_TOKEN = "ghp_" + "x7Yb2Kq9" * 4 + "Zz01"
SECRETS = (ANTHROPIC_KEY, GITHUB_TOKEN, "hunter2hunter2")
CLAUDE_COMMAND = (f"ANTHROPIC_API_KEY={ANTHROPIC_KEY} npm test && curl -H 'Authorization: Bearer {GITHUB_TOKEN}' "
                  "https://api.github.com/repos/dev/notes/issues")
SHELL_COMMAND = f"mysql -u root --password=hunter2hunter2 -e 'select 1' && gh auth login --with-token {GITHUB_TOKEN}"


def _line(path: Path, n: int) -> dict:
    return json.loads(path.read_text().splitlines()[n])


def _append(path: Path, *lines: dict) -> None:
    with path.open("a") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The three fixtures, each with one more shell call whose command holds secrets."""
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code-attribution", claude)
    codex = tmp_path / "codex"
    shutil.copytree(FIXTURES / "codex" / "attribution", codex)
    gemini = tmp_path / "gemini"
    shutil.copytree(FIXTURES / "gemini" / "attribution", gemini)
    for name, value in (("CLAUDE_CONFIG_DIR", claude), ("CODEX_HOME", codex), ("GEMINI_CLI_HOME", gemini)):
        monkeypatch.setenv(name, str(value))

    log = next(claude.rglob(f"{CLAUDE}.jsonl"))
    call, result = _line(log, 1), _line(log, 2)  # an assistant tool_use line and its user tool_result line
    call["message"].update(id="msg_01BashSecretA1", content=[
        {"type": "text", "text": "Running the tests with the key."},
        {"type": "tool_use", "id": "toolu_01BashSecret", "name": "Bash",
         "input": {"command": CLAUDE_COMMAND, "description": "Run the tests"}},
    ])
    call.update(uuid="d0000001-0000-4000-8000-0000000000b1", timestamp="2025-10-06T09:00:50.000Z",
                requestId="req_011CTBASH")
    result["message"]["content"] = [{"tool_use_id": "toolu_01BashSecret", "type": "tool_result",
                                     "content": "12 passing\n", "is_error": False}]
    result.update(uuid="d0000001-0000-4000-8000-0000000000b2", timestamp="2025-10-06T09:00:52.000Z",
                  toolUseResult={"stdout": "12 passing\n", "stderr": "", "interrupted": False})
    _append(log, call, result)

    rollout = next(codex.rglob(f"*{CODEX}.jsonl"))
    _append(rollout,
            {"timestamp": "2026-03-10T09:00:40.000Z", "type": "response_item", "payload": {
                "type": "function_call", "name": "exec_command", "call_id": "call_A9secret",
                "arguments": json.dumps({"cmd": SHELL_COMMAND, "workdir": "/home/dev/acme-api"})}},
            {"timestamp": "2026-03-10T09:00:41.000Z", "type": "response_item", "payload": {
                "type": "function_call_output", "call_id": "call_A9secret",
                "output": "Process exited with code 0\nOutput:\n1\n"}})

    chat = next(gemini.rglob("session-*.jsonl"))
    asked = {"id": "run_shell_command_1777888900000_0", "name": "run_shell_command",
             "args": {"command": SHELL_COMMAND, "description": "Check the database"},
             "status": "success", "timestamp": "2026-05-04T10:03:00.100Z", "displayName": "Shell",
             "result": [{"functionResponse": {"id": "run_shell_command_1777888900000_0", "name": "run_shell_command",
                                              "response": {"output": "1\n"}}}]}
    _append(chat, {"id": "b9000000-0000-4000-8000-000000000009", "timestamp": "2026-05-04T10:03:00.000Z",
                   "type": "gemini", "content": "Checking the database.", "thoughts": [],
                   "tokens": {"input": 900, "output": 20, "cached": 0, "thoughts": 0, "tool": 0, "total": 920},
                   "model": "gemini-3-pro-preview", "toolCalls": [asked]})
    return SimpleNamespace(claude=log, codex=rollout, gemini=chat)


def _db(tmp_path: Path) -> apsw.Connection:
    return apsw.Connection(str(tmp_path / "sandbox" / "data" / "sessions.db"))


def _calls(cli, sid: str) -> list[dict]:
    r = cli("export-conversation", sid, "--format", "json")
    assert r.code == 0, r.err
    return [m for m in r.json()["messages"] if m["kind"] == "tool_use"]


def test_each_assistants_tool_calls_keep_their_name_input_and_result_size(logs, cli):
    claude = {c["name"]: c for c in _calls(cli, CLAUDE)}
    assert claude["mcp__llm-session__recall"]["input"] == "export format decision"
    assert claude["Skill"]["input"] == "code-review"
    assert claude["Task"]["input"] == "code-reviewer: Review export module"
    assert claude["mcp__github__get_issue"]["input"] == '{"owner":"dev","repo":"notes","issue_number":42}'
    assert claude["Bash"]["result_bytes"] == len('"12 passing\\n"')  # the result as the log holds it
    assert (claude["Read"]["tool"], claude["Read"]["path"]) == ("read", "/home/dev/notes/src/export.ts")  # as before
    assert "tool" not in claude["Bash"]  # a command touches no file the log names
    assert claude["mcp__llm-session__recall"]["result_bytes"] > 400
    # the call made with a text is tied to it; one in a response without text is not
    messages = {m["n"]: m for m in json.loads(cli("export-conversation", CLAUDE, "--format", "json").out)["messages"]}
    assert messages[claude["Bash"]["message"]]["text"] == "Running the tests with the key."
    assert "message" not in claude["Skill"]

    codex = _calls(cli, CODEX)
    assert [c["name"] for c in codex] == ["mcp__llm-session__recall", "exec_command", "mcp__github__get_issue",
                                          "exec_command"]  # the appended one last
    assert codex[1]["input"] == "sed -n '1,80p' src/auth/login.py"
    assert all(c["result_bytes"] > 0 for c in codex)
    patched = _calls(cli, "019cd5f0-2b3c-7d4e-8f50-61a2b3c4d5e6")  # a custom tool call: apply_patch's files
    assert [(c["name"], c["input"]) for c in patched] == [
        ("mcp__llm-session__remember", '{"text":"rate limits are attached per route"}'),
        ("apply_patch", "apply_patch src/auth/login.py")]

    gemini = [(c["name"], c["input"]) for c in _calls(cli, GEMINI)]
    assert gemini[:2] == [("mcp__llm-session__recall", "checkout double charge"),
                          ("read_file", "src/payments/charge.py")]
    assert gemini[-1][0] == "run_shell_command"


def test_a_secret_in_a_shell_command_is_never_stored_nor_shown_in_any_format(logs, cli, tmp_path):
    assert cli("scan").code == 0
    with _db(tmp_path) as db:
        stored = [row[0] for row in db.execute("SELECT input FROM tool_uses WHERE name IN "
                                               "('Bash', 'exec_command', 'run_shell_command')")]
    assert sum("mysql -u root" in text for text in stored) == 2 and sum("npm test" in text for text in stored) == 1
    for text in stored:
        assert not any(secret in text for secret in SECRETS), text
    assert any("[REDACTED:" in text and "npm test" in text for text in stored)

    shown: list[tuple[str, str]] = []
    for sid in (CLAUDE, CODEX, GEMINI):
        for fmt in ("markdown", "html", "json", "jsonl"):
            r = cli("export-conversation", sid, "--format", fmt, "--no-scan")
            assert r.code == 0, r.err
            shown.append((f"{sid[:8]} {fmt}", r.out))
        shown.append((f"{sid[:8]} replay", cli("replay", sid, "--no-scan").out))
        total = cli("show", sid, "--message", "1", "--json", "--no-scan").json()["total"]
        shown.append((f"{sid[:8]} show", cli("show", sid, "--message", str(total), "--no-scan").out))
    for where, out in shown:
        assert not any(secret in out for secret in SECRETS), where
    replay = dict(shown)[f"{CLAUDE[:8]} replay"]
    assert "Bash · ANTHROPIC_API_KEY=[REDACTED:" in replay and "npm test" in replay  # one line, what it ran
    assert "run_shell_command · mysql -u root" in dict(shown)[f"{GEMINI[:8]} show"]


def test_a_long_command_is_cut_to_one_short_line_and_no_part_of_its_secret_survives(logs, cli, tmp_path):
    command = "echo " + "x" * 185 + f" && ANTHROPIC_API_KEY={ANTHROPIC_KEY} make deploy"  # the key across the cut
    call = _line(logs.claude, -2)
    call["message"].update(id="msg_01LongCmd", content=[
        {"type": "tool_use", "id": "toolu_01LongCmd", "name": "Bash", "input": {"command": command}}])
    call.update(uuid="d0000001-0000-4000-8000-0000000000c1", timestamp="2025-10-06T09:01:10.000Z",
                requestId="req_011CTLONG")
    _append(logs.claude, call)
    assert cli("scan").code == 0
    with _db(tmp_path) as db:
        (text,) = db.execute("SELECT input FROM tool_uses WHERE id = 'toolu_01LongCmd'").fetchone()
    assert len(text) <= 200 and text.startswith("echo xxx") and text.endswith("…") and "\n" not in text
    assert "sk-ant" not in text and "QQQQ" not in text  # no start of the key survives the cut


def test_html_folds_each_tool_call_into_its_own_details_escaped(logs, cli):
    call = _line(logs.claude, -2)
    call["message"].update(id="msg_01HtmlCmd", content=[
        {"type": "tool_use", "id": "toolu_01HtmlCmd", "name": "Bash",
         "input": {"command": "echo '<script>alert(1)</script>' > page.html"}}])
    call.update(uuid="d0000001-0000-4000-8000-0000000000d1", timestamp="2025-10-06T09:01:20.000Z",
                requestId="req_011CTHTML")
    _append(logs.claude, call)
    page = cli("export-conversation", CLAUDE, "--format", "html").out
    calls = _calls(cli, CLAUDE)
    assert page.count('<details class="tools call"') == len(calls) >= 8
    assert "<summary>#" in page and "<b>mcp__llm-session__recall</b> <code>export format decision</code>" in page
    assert "563 B (~141 tokens)" in page  # its result's size
    assert "echo &#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27; &gt; page.html" in page
    assert "<script>" not in page


def test_show_message_lists_the_tool_calls_made_after_each_message(logs, cli):
    found = cli("show", CLAUDE, "--message", "1", "--json").json()
    first = found["messages"][0]
    assert first["kind"] == "prompt"
    assert [(t["name"], t["input"]) for t in first["tools"]] == [
        ("mcp__llm-session__recall", "export format decision"), ("Skill", "code-review"),
        ("Task", "code-reviewer: Review export module")]
    assert all(t["result_bytes"] for t in first["tools"])


def test_an_older_store_gets_its_tool_calls_when_its_logs_are_read_once_more(logs, cli, tmp_path):
    assert cli("scan").code == 0
    usage = cli("usage", "--json", "--no-scan").json()["totals"]
    with _db(tmp_path) as db:
        calls = db.execute("SELECT count(*) FROM tool_uses").fetchone()[0]
        messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        attributed = db.execute("SELECT count(*) FROM tool_calls").fetchone()[0]
        db.execute("DROP TABLE tool_uses; PRAGMA user_version = 32")  # as a store of the release before
    assert calls >= 15
    assert cli("export-conversation", CLAUDE, "--format", "markdown", "--no-scan").code == 0  # migrated on opening
    with _db(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM tool_uses").fetchone()[0] == 0
    assert cli("scan").code == 0  # reads Claude Code's, Codex's and Gemini CLI's logs again
    with _db(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM tool_uses").fetchone()[0] == calls
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == messages
        assert db.execute("SELECT count(*) FROM tool_calls").fetchone()[0] == attributed
    assert cli("usage", "--json", "--no-scan").json()["totals"] == usage  # nothing counted twice


def test_an_encrypted_store_seals_tool_inputs_and_retention_empties_them(logs, cli, tmp_path, use_config):
    env = {"LLM_SESSION_PASSPHRASE": "correct horse battery staple",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    assert cli("scan", env=env).code == 0
    assert cli("encrypt", env=env).code == 0
    with _db(tmp_path) as db:
        kinds = {row[0] for row in db.execute("SELECT typeof(input) FROM tool_uses WHERE input IS NOT NULL")}
    assert kinds == {"blob"}
    assert "export format decision" not in (tmp_path / "sandbox" / "data" / "sessions.db").read_bytes().decode(
        "latin-1")
    out = cli("export-conversation", CLAUDE, "--format", "markdown", "--no-scan", env=env)
    assert out.code == 0 and "**mcp__llm-session__recall** `export format decision`" in out.out
    assert cli("decrypt", env=env).code == 0
    with _db(tmp_path) as db:
        assert {row[0] for row in db.execute("SELECT typeof(input) FROM tool_uses WHERE input IS NOT NULL")} \
            == {"text"}

    assert cli("record", CODEX, env=env).code == 0  # pinned: kept whole
    use_config("retention:\n  conversation_days: 30\n")  # the fixtures are older
    assert cli("prune", env=env).code == 0
    with _db(tmp_path) as db:
        kept = dict(db.execute("SELECT session_id, count(input) FROM tool_uses GROUP BY session_id").fetchall())
    assert kept[CODEX] == 4 and kept[CLAUDE] == 0 and kept[GEMINI] == 0
    calls = _calls(cli, CLAUDE)
    assert calls and all("input" not in c and c["name"] for c in calls)  # the call is still there, its input gone


@pytest.fixture(autouse=True)
def _no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
