"""``llm-session statusline`` as Claude Code runs it, and ``statusline install``.

Payloads are Claude Code's own shape (tests/fixtures/claude-code/statusline/), fed
to the real CLI on stdin; the transcript they name is a copy of a fixture log.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import apsw
import pytest
from conftest import FIXTURES

SESSION = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
PAYLOADS = FIXTURES / "claude-code" / "statusline"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Claude Code config dir holding a copy of session B's transcript."""
    root = tmp_path / "claude"
    project = root / "projects" / "-home-dev-shop"
    project.mkdir(parents=True)
    shutil.copy(FIXTURES / "claude-code" / "projects" / "-home-dev-shop" / f"{SESSION}.jsonl", project)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(root))
    return project / f"{SESSION}.jsonl"


def payload(name: str, transcript: Path, **changes) -> str:
    """A fixture payload naming ``transcript``, its reset times moved to the future."""
    data = json.loads((PAYLOADS / f"{name}.json").read_text())
    data["transcript_path"] = str(transcript)
    now = time.time()
    for window, ahead in (("five_hour", 2 * 3600 + 600), ("seven_day", 3 * 86400 + 9000)):
        if data.get("rate_limits", {}).get(window):
            data["rate_limits"][window]["resets_at"] = int(now + ahead)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return json.dumps(data)


def stored(sql: str, *params) -> list[tuple]:
    import os

    conn = apsw.Connection(str(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"))
    return [tuple(row) for row in conn.execute(sql, params)]


def append_response(transcript: Path, when: datetime, output_tokens: int) -> None:
    """One more assistant response, shaped as the fixture's own (a new message and request id)."""
    lines = []
    for text in transcript.read_text().splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            continue  # the fixture keeps a line cut off mid-write, as a crash leaves
    template = next(x for x in reversed(lines) if x.get("type") == "assistant" and x["message"].get("usage"))
    n = len(lines)
    line = json.loads(json.dumps(template))
    line["uuid"] = f"b0000001-0000-4000-8000-{n:012d}"
    line["message"]["id"] = f"msg_01Statusline{n}"
    line["requestId"] = f"req_011Statusline{n}"
    line["timestamp"] = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    line["message"]["usage"]["output_tokens"] = output_tokens
    with transcript.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")


# --- the line ------------------------------------------------------------------


def test_a_max_plan_payload_shows_every_segment_with_the_official_limits(cli, claude):
    r = cli("statusline", input=payload("max-plan", claude), env={"NO_COLOR": "1"})
    assert r.code == 0 and r.err == ""
    line = r.out.rstrip("\n")
    assert "\n" not in line and not ANSI.search(line)
    parts = line.split(" | ")
    assert parts[0] == "Sonnet 4.5"
    assert parts[1] == "ctx 23%"  # Claude Code's own used_percentage
    assert re.fullmatch(r"\$\d+\.\d\d session", parts[2])
    assert parts[3] == "$0.00 today"  # the fixture's responses are from 2025
    assert re.fullmatch(r"5h 42% ↻2h(09|10)m", parts[4])
    assert re.fullmatch(r"wk 36% ↻3d2h", parts[5])
    assert re.fullmatch(r"health \d+", parts[6])


def test_colours_unless_no_color(cli, claude):
    coloured = cli("statusline", input=payload("max-plan", claude), env={"NO_COLOR": ""}).out
    assert ANSI.search(coloured) and "\x1b[32m42%\x1b[0m" in coloured  # under half used: green
    assert not ANSI.search(cli("statusline", "--no-color", input=payload("max-plan", claude)).out)


def test_the_session_cost_is_exact_from_its_transcript_and_grows_as_it_is_appended(cli, claude):
    first = cli("statusline", "--json", input=payload("max-plan", claude)).json()
    usage = cli("usage", "--by", "session", "--json", "--no-scan").json()
    (row,) = [r for r in usage["rows"] if r["key"] == SESSION]
    assert first["session_cost_usd"] == {"value": pytest.approx(row["cost_usd"], abs=1e-6), "source": "exact"}
    # Only this transcript was read, up to its end: the next run starts there.
    assert stored("SELECT offset FROM source_files WHERE path = ?", str(claude)) == [(claude.stat().st_size,)]

    append_response(claude, datetime.now(UTC), output_tokens=20_000)
    second = cli("statusline", "--json", input=payload("max-plan", claude)).json()
    assert second["session_cost_usd"]["value"] > first["session_cost_usd"]["value"] + 0.25  # 20k Sonnet output
    assert second["today_cost_usd"]["value"] > 0.25  # and it happened today
    assert stored("SELECT offset FROM source_files WHERE path = ?", str(claude)) == [(claude.stat().st_size,)]


def test_a_line_that_stored_a_response_ends_its_process_with_the_store_closed(cli, claude):
    # The process ends without the interpreter's teardown (cli._end_now): the store is
    # still closed as on any exit, so SQLite copies its log into the file and removes it.
    import os

    assert cli("statusline", input=payload("max-plan", claude)).code == 0
    append_response(claude, datetime.now(UTC), output_tokens=777)
    r = cli("statusline", "--no-color", input=payload("max-plan", claude))
    assert (r.code, r.err) == (0, "") and r.out.startswith("Sonnet 4.5 | ctx 23% | $") and r.out.endswith("\n")
    db = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"
    assert not Path(f"{db}-wal").exists()
    assert stored("SELECT count(*) FROM usage WHERE output_tokens = 777") == [(1,)]


def test_official_readings_are_a_time_series_of_changes(cli, claude):
    for _ in range(3):
        assert cli("statusline", input=payload("max-plan", claude)).code == 0
    rows = stored("SELECT window_name, used_percent FROM limit_readings ORDER BY window_name")
    assert rows == [("five_hour", 42.0), ("seven_day", 36.5)]  # the same reading thrice: one row each
    cli("statusline", input=payload("max-plan", claude, **{"rate_limits.five_hour.used_percentage": 47}))
    assert stored("SELECT used_percent FROM limit_readings WHERE window_name = 'five_hour' ORDER BY observed_at") \
        == [(42.0,), (47.0,)]

    limits = cli("limits", "--json", "--no-scan").json()
    (claude_limits,) = [a for a in limits["assistants"] if a["provider"] == "claude-code"]
    five, week = claude_limits["windows"]
    assert (five["window"], five["used_percent"], five["sources"]["used_percent"]) == ("five_hour", 47.0, "official")
    assert five["age_seconds"] < 60 and five["resets_in_seconds"] > 2 * 3600
    assert (week["used_percent"], week["sources"]["resets_at"]) == (36.5, "official")
    assert week["sources"]["tokens"] == "exact"


def test_right_after_compact_there_is_no_context_figure_and_the_stored_weekly_reading_stands_in(cli, claude):
    cli("statusline", input=payload("max-plan", claude))  # the weekly reading, stored
    r = cli("statusline", "--json", input=payload("after-compact", claude))
    assert r.code == 0
    facts = r.json()
    assert facts["model"] == "Opus 4.6"
    assert facts["context_percent"] is None  # current_usage null: not the fill from before /compact
    assert facts["five_hour"]["used_percent"] == 87 and facts["five_hour"]["source"] == "official"
    assert facts["seven_day"] == {"used_percent": 36.5, "resets_at": pytest.approx(time.time() + 3 * 86400 + 9000, abs=120),
                                  "cost_usd": None, "source": "official"}
    line = cli("statusline", input=payload("after-compact", claude), env={"NO_COLOR": ""}).out
    assert "ctx" not in line and "\x1b[31m87%" in line  # nearly spent: red


def test_without_rate_limits_the_5_hour_window_is_estimated_from_the_usage_block(cli, claude):
    append_response(claude, datetime.now(UTC), output_tokens=1_000)
    facts = cli("statusline", "--json", input=payload("api-key", claude)).json()
    assert facts["context_percent"]["source"] == "official"  # worked out from current_usage
    assert facts["context_percent"]["value"] == pytest.approx(100 * (5 + 1280 + 17780) / 200_000)
    block = facts["five_hour"]
    assert block["source"] == "estimated" and block["used_percent"] is None and block["cost_usd"] > 0
    assert facts["seven_day"] is None  # no meter, no estimate
    line = cli("statusline", "--no-color", input=payload("api-key", claude)).out
    assert re.search(r"5h ~\$\d+\.\d\d ↻\dh\d\dm", line)


def test_a_template_and_chosen_segments(cli, claude):
    r = cli("statusline", "--no-color", "--format", "[{model}] {context} · {five_hour}{nothing}",
            input=payload("max-plan", claude))
    assert re.fullmatch(r"\[Sonnet 4\.5\] ctx 23% · 5h 42% ↻2h(09|10)m\n", r.out)
    r = cli("statusline", "--no-color", "--segments", "weekly,model", input=payload("max-plan", claude))
    assert re.fullmatch(r"wk 36% ↻3d2h \| Sonnet 4\.5\n", r.out)


def test_segments_and_format_come_from_the_config_too(cli, claude, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("statusline:\n  segments: [context, model]\n")
    r = cli("statusline", "--no-color", input=payload("max-plan", claude), env={"LLM_SESSION_CONFIG": str(config)})
    assert r.out == "ctx 23% | Sonnet 4.5\n"


# --- never breaking the assistant's screen -------------------------------------------


@pytest.mark.parametrize("stdin", ["", "not json", '{"model": {"display_name": 7}}', "[1, 2]"])
def test_input_it_cannot_read_gets_a_fallback_line_and_exit_0(cli, stdin):
    r = cli("statusline", input=stdin)
    assert (r.code, r.out, r.err) == (0, "llm-session: no status\n", "")


def test_a_store_it_cannot_open_gets_a_fallback_line_naming_the_model(cli, claude, tmp_path):
    data = tmp_path / "broken"
    data.mkdir()
    (data / "sessions.db").write_bytes(b"this is not a database" * 100)
    r = cli("statusline", input=payload("max-plan", claude), env={"LLM_SESSION_DATA_DIR": str(data)})
    assert r.code == 0 and r.err == ""
    assert r.out.startswith("Sonnet 4.5 | llm-session: ") and "Traceback" not in r.out
    assert len(r.out.splitlines()) == 1


def test_an_unknown_segment_says_so_on_the_line(cli, claude):
    r = cli("statusline", "--segments", "model,mood", input=payload("max-plan", claude))
    assert r.code == 0 and r.out.startswith("Sonnet 4.5 | llm-session: ") and "'mood'" in r.out


def test_the_line_imports_nothing_heavy(claude):
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from llm_session_manager.frontends import cli\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    cli.main(['statusline'])\n"
        "assert 'Sonnet' in out.getvalue(), out.getvalue()\n"
        "print(' '.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    loaded = set(subprocess.run([sys.executable, "-c", code, payload("max-plan", claude)], capture_output=True,
                                text=True, check=True).stdout.split())
    assert not loaded & {"numpy", "rich", "yaml", "tiktoken", "anthropic", "sqlite3", "multiprocessing",
                         "mcp", "pygls", "trio", "psutil"}
    assert "_parser" not in {m.split(".")[-1] for m in loaded}  # the command line's parser is not built
    assert "typing_extensions" not in loaded  # msgspec is imported without it (cli._import_msgspec_alone)


def test_a_redraw_compiles_nothing(cli, claude):
    # A process's first compile() sets up CPython's AST types, 9 M instructions: msgspec's
    # import made one (cli._import_msgspec_alone), and so does any type written as a string.
    import subprocess
    import sys

    assert cli("statusline", input=payload("max-plan", claude)).code == 0  # the transcript is stored
    code = (
        "import sys, io, contextlib, builtins\n"
        "compiled = []\n"
        "real = builtins.compile\n"
        "def counted(*args, **kwargs):\n"
        "    if isinstance(args[0], str):  # not a module's source (bytes), compiled where its .pyc is stale\n"
        "        compiled.append(args[0])\n"
        "    return real(*args, **kwargs)\n"
        "builtins.compile = counted\n"
        "from llm_session_manager.frontends import cli\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    cli.main(['statusline'])\n"
        "assert 'Sonnet' in out.getvalue(), out.getvalue()\n"
        "print(repr(compiled))\n"
    )
    compiled = subprocess.run([sys.executable, "-c", code, payload("max-plan", claude)], capture_output=True,
                              text=True, check=True).stdout.strip()
    assert compiled == "[]"


@pytest.mark.parametrize("argv", [
    ["statusline"],
    ["statusline", "--no-color", "--json", "-v"],
    ["statusline", "--segments", "weekly,model", "--format", "[{model}] {context}", "--verbose"],
    ["statusline", "--format=", "--segments=today", "--config", "/etc/llm-session.yaml"],
    ["statusline", "--format", "{model}", "--format", "{today}"],
])
def test_the_line_s_options_parse_as_the_full_parser_parses_them(argv):
    # Claude Code runs the line after every update: it skips building the parser (cli._statusline_args).
    from llm_session_manager.frontends.cli import _statusline_args, build_parser

    fast = _statusline_args(argv)
    assert fast is not None and vars(fast) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [["statusline", "install"], ["statusline", "--help"], ["statusline", "--seg", "x"],
                                  ["statusline", "--format", "-x"], ["statusline", "--format"], ["limits"]])
def test_anything_else_goes_to_the_full_parser(argv):
    from llm_session_manager.frontends.cli import _statusline_args

    assert _statusline_args(argv) is None


def test_a_line_storing_a_new_response_imports_only_what_reading_it_needs(cli, claude):
    # Claude Code waits for this after every response: the ingest machinery's imports
    # were most of it (bench/README.md). One Claude log needs no other source, and
    # nothing here logs, suggests a config key, forks parse workers or reads the price
    # table's JSON (the last process left it read, in the data dir).
    import subprocess
    import sys

    assert cli("statusline", input=payload("max-plan", claude)).code == 0  # the transcript so far is stored
    append_response(claude, datetime.now(UTC), output_tokens=4321)
    code = (
        "import sys, io, contextlib\n"
        "from llm_session_manager.frontends import cli\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['statusline'])\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    loaded = set(subprocess.run([sys.executable, "-c", code, payload("max-plan", claude)], capture_output=True,
                                text=True, check=True).stdout.split())
    assert stored("SELECT count(*) FROM usage WHERE output_tokens = 4321") == [(1,)]
    assert "llm_session_manager.sources.claude_code" in loaded
    others = {f"llm_session_manager.sources.{name}" for name in
              ("aider", "codex", "copilot", "cursor", "gemini", "llm_cli")}
    unwanted = others | {"logging", "difflib", "threading", "json", "hashlib"}
    assert not loaded & unwanted, loaded & unwanted


def test_a_line_storing_a_new_response_evaluates_no_string_annotation(cli, claude):
    # A NamedTuple's or msgspec Struct's field annotated with a string (``from __future__
    # import annotations``) costs a ``typing.ForwardRef``, which compiles it: 256 of them
    # were 12 M instructions of this line (bench/README.md), and the first compile sets up
    # CPython's AST types (9 M more). The modules it runs, ingest's too, declare their types plainly.
    import subprocess
    import sys

    assert cli("statusline", input=payload("max-plan", claude)).code == 0
    append_response(claude, datetime.now(UTC), output_tokens=4322)
    code = (
        "import sys, io, contextlib, typing\n"
        "made = []\n"
        "init = typing.ForwardRef.__init__\n"
        "def counted(self, *args, **kwargs):\n"
        "    made.append(args[0])\n"
        "    init(self, *args, **kwargs)\n"
        "typing.ForwardRef.__init__ = counted\n"
        "from llm_session_manager.frontends import cli\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['statusline'])\n"
        "print(len(made))\n"
    )
    made = int(subprocess.run([sys.executable, "-c", code, payload("max-plan", claude)], capture_output=True,
                              text=True, check=True).stdout)
    assert stored("SELECT count(*) FROM usage WHERE output_tokens = 4322") == [(1,)]
    assert made == 0, made


# --- install ------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "claude-config"
    root.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(root))
    path = root / "settings.json"
    path.write_text(json.dumps({"model": "opus", "permissions": {"allow": ["Bash(make test)"]}}, indent=2))
    return path


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob("settings.json.bak-*"))


def test_install_writes_the_entry_keeping_every_other_setting_and_a_backup(cli, settings):
    before = settings.read_text()
    r = cli("statusline", "install")
    assert r.code == 0, r.err
    data = json.loads(settings.read_text())
    assert data["model"] == "opus" and data["permissions"] == {"allow": ["Bash(make test)"]}
    entry = data["statusLine"]
    assert entry["type"] == "command" and entry["command"].endswith(" statusline")
    (backup,) = backups(settings)
    assert backup.read_text() == before


def test_install_twice_changes_nothing(cli, settings):
    cli("statusline", "install")
    after_first = settings.read_bytes()
    r = cli("statusline", "install", "--json")
    assert r.code == 0 and r.json()["action"] == "unchanged" and r.json()["changed"] is False
    assert settings.read_bytes() == after_first and len(backups(settings)) == 1


def test_install_never_replaces_another_status_line_without_force(cli, settings):
    theirs = {"model": "opus", "statusLine": {"type": "command", "command": "~/.claude/statusline.sh"}}
    settings.write_text(json.dumps(theirs))
    r = cli("statusline", "install")
    assert r.code == 1 and "already has a status line ('~/.claude/statusline.sh')" in r.err and "--force" in r.err
    assert json.loads(settings.read_text()) == theirs and backups(settings) == []

    assert cli("statusline", "install", "--force").code == 0
    assert "statusline" in json.loads(settings.read_text())["statusLine"]["command"]
    (backup,) = backups(settings)
    assert json.loads(backup.read_text()) == theirs


def test_install_print_changes_nothing(cli, settings):
    before = settings.read_bytes()
    r = cli("statusline", "install", "--print")
    assert r.code == 0 and "would be installed" in r.out and '"statusLine"' in r.out
    assert settings.read_bytes() == before and backups(settings) == []


def test_install_into_a_config_dir_without_settings_creates_the_file(cli, tmp_path):
    root = tmp_path / "fresh"
    r = cli("statusline", "install", env={"CLAUDE_CONFIG_DIR": str(root)})
    assert r.code == 0
    assert json.loads((root / "settings.json").read_text())["statusLine"]["type"] == "command"


def test_a_settings_file_that_is_not_json_is_left_alone(cli, settings):
    settings.write_text('{"model": "opus",}  // trailing comma')
    r = cli("statusline", "install")
    assert r.code == 1 and "cannot parse" in r.err
    assert settings.read_text() == '{"model": "opus",}  // trailing comma'


def test_uninstall_removes_ours_and_only_ours(cli, settings):
    cli("statusline", "install")
    assert cli("statusline", "uninstall").code == 0
    assert "statusLine" not in json.loads(settings.read_text())
    assert "nothing changed" in cli("statusline", "uninstall").out

    settings.write_text(json.dumps({"statusLine": {"type": "command", "command": "starship prompt"}}))
    r = cli("statusline", "uninstall")
    assert r.code == 1 and "another program's status line" in r.err
    assert json.loads(settings.read_text())["statusLine"]["command"] == "starship prompt"


def test_appended_lines_without_a_response_are_left_for_the_next_read(cli, claude):
    cli("statusline", input=payload("max-plan", claude))
    size = claude.stat().st_size
    prompt = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/home/dev/shop",
              "sessionId": SESSION, "version": "2.1.90", "gitBranch": "main", "type": "user",
              "message": {"role": "user", "content": "and the tests?"},
              "uuid": "c0000001-0000-4000-8000-000000000001", "timestamp": "2026-01-05T10:00:00.000Z"}
    with claude.open("a") as f:
        f.write(json.dumps(prompt, separators=(",", ":")) + "\n")
    assert cli("statusline", input=payload("max-plan", claude)).code == 0
    assert stored("SELECT offset FROM source_files WHERE path = ?", str(claude)) == [(size,)]
    append_response(claude, datetime.now(UTC), output_tokens=100)
    cli("statusline", input=payload("max-plan", claude))
    assert stored("SELECT offset FROM source_files WHERE path = ?", str(claude)) == [(claude.stat().st_size,)]
    assert stored("SELECT count(*) FROM messages WHERE text = 'and the tests?'") == [(1,)]


def test_a_store_another_process_is_writing_still_gets_a_line_quickly(cli, claude):
    import os

    cli("statusline", input=payload("max-plan", claude))  # the store exists, the session is in it
    append_response(claude, datetime.now(UTC), output_tokens=100)
    writer = apsw.Connection(str(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"))
    writer.execute("BEGIN IMMEDIATE")  # as a long scan holds the write lock
    try:
        started = time.monotonic()
        r = cli("statusline", "--no-color", input=payload("max-plan", claude))
        took = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
    assert r.code == 0 and r.out.startswith("Sonnet 4.5 | ctx 23% | $")  # the whole line, from what is stored
    assert "llm-session:" not in r.out and took < 5


def test_the_line_never_waits_for_a_first_scan_s_conversation_to_be_stored(cli, claude):
    import os

    cli("statusline", input=payload("max-plan", claude))
    append_response(claude, datetime.now(UTC), output_tokens=100)
    conn = apsw.Connection(str(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"))
    # What a usage-first scan of a big history leaves for its continuation to store.
    conn.execute("UPDATE source_files SET conversation_offset = 0 WHERE path = ?", (str(claude),))
    started = time.monotonic()
    r = cli("statusline", "--no-color", input=payload("max-plan", claude))
    assert r.code == 0 and r.out.startswith("Sonnet 4.5 | ctx 23% | $") and time.monotonic() - started < 5
    assert stored("SELECT conversation_offset FROM source_files WHERE path = ?", str(claude)) == [(0,)]
