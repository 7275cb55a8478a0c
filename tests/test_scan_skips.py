"""Nothing a scan skips goes unsaid, and one bad log or directory never hides the others.

The logs are copies of the fixtures, damaged here the way disks, sync tools and
users damage them (tests/fixtures/claude-code/README.md, "Damaged copies").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLAUDE_DAY_TOTALS, FIXTURES

CLAUDE = FIXTURES / "claude-code"
PROJECT = "-home-dev-shop"
SESSION_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
B4_TEXT = b"Done: tests/cart/coupon.test.ts covers stacked coupons."


@pytest.fixture
def claude(tmp_path: Path) -> Path:
    """A private copy of the Claude Code fixtures, the only logs the scan finds."""
    root = tmp_path / "claude"
    shutil.copytree(CLAUDE, root)
    return root


@pytest.fixture
def env(claude: Path, tmp_path: Path) -> dict[str, str]:
    return {"CLAUDE_CONFIG_DIR": str(claude), "CODEX_HOME": str(tmp_path / "no-codex")}


def _days(cli, env) -> dict[str, tuple[int, int, int, int]]:
    report = cli("usage", "--by", "day", "--no-scan", "--json", env=env).json()
    return {r["key"]: (r["input_tokens"], r["output_tokens"], r["cache_creation_tokens"],
                       r["cache_read_tokens"]) for r in report["rows"]}


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


# --- 11: one byte that is not UTF-8 -------------------------------------------------


def test_a_response_with_a_byte_that_is_not_utf8_still_counts(cli, env, claude):
    log = claude / "projects" / PROJECT / f"{SESSION_B}.jsonl"
    data = log.read_bytes()
    assert data.count(B4_TEXT) == 1  # the last answer (B4: 10 in, 28 out, 5120 cache write)
    log.write_bytes(data.replace(B4_TEXT, B4_TEXT.replace(b"stacked", b"stack\xffed")))
    scanned = cli("scan", "--json", env=env)
    assert scanned.code == 0, scanned.err
    assert scanned.json()["malformed"] == 1  # only the fixture's line cut short (B, line 15)
    assert _days(cli, env) == CLAUDE_DAY_TOTALS
    shown = cli("show", SESSION_B, "--json", env=env).json()
    assert shown["tokens"]["output"] > 0


def test_verbose_names_each_skipped_line_also_in_a_log_read_from_an_offset(cli, env, claude):
    log = claude / "projects" / PROJECT / f"{SESSION_B}.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines.insert(2, b'{"parentUuid":"b0000001-0000-4000-8000-00000000000\n')  # cut short by a crash
    log.write_bytes(b"".join(lines))
    first = cli("scan", "--json", "--verbose", env=env)
    assert first.json()["malformed"] == 2  # this one, and the fixture's own line cut short
    assert f"{log}:3: skipped: " in first.err and f"{log}:16: skipped: " in first.err

    with log.open("ab") as f:  # the assistant goes on; a later line is damaged again
        f.write(lines[-1])
        f.write(b'{"type":"assistant","message":\n')
    again = cli("scan", "--json", "--verbose", env=env)
    assert again.json()["malformed"] == 1
    skipped = [line for line in again.err.splitlines() if ": skipped: " in line]
    assert len(skipped) == 1 and f"{log}:{len(lines) + 2}: skipped: " in skipped[0]


def test_skipped_lines_are_not_listed_without_verbose(cli, env, claude):
    log = claude / "projects" / PROJECT / f"{SESSION_B}.jsonl"
    log.write_bytes(log.read_bytes() + b"{not json\n")
    r = cli("scan", "--json", env=env)
    assert r.json()["malformed"] == 2 and "skipped" not in r.err


# --- 14: directories that cannot be read, link loops, HOME -----------------------------


def _as_unprivileged(args: list[str]) -> list[str]:
    """``args`` run so that file permissions apply: root reads any directory, so
    root drops the capabilities that let it (util-linux ``setpriv``)."""
    if os.geteuid() != 0:
        return args
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", *args]


def test_an_unreadable_log_directory_is_a_warning_and_the_others_are_read(env, claude):
    hidden = claude / "projects" / "-home-dev-private"
    hidden.mkdir()
    shutil.copy(claude / "projects" / PROJECT / f"{SESSION_B}.jsonl", hidden / "copy.jsonl")
    hidden.chmod(0)
    try:
        proc = subprocess.run(_as_unprivileged([sys.executable, "-m", "llm_session_manager", "scan", "--json"]),
                              check=False, capture_output=True, text=True, env={**os.environ, **env}, timeout=120)
    finally:
        hidden.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["files"] == 3
    expected = f"cannot list {hidden}: Permission denied; its logs are skipped"
    assert result["warnings"] == [expected]
    assert _warnings(proc.stderr) == [f"warning: {expected}"]


def test_links_are_followed_and_a_link_loop_is_a_warning_not_the_end(cli, env, claude, tmp_path):
    projects = claude / "projects"
    elsewhere = tmp_path / "dotfiles" / "-home-dev-notes"  # a project kept elsewhere, linked in
    elsewhere.mkdir(parents=True)
    shutil.move(projects / PROJECT / f"{SESSION_B}.jsonl", elsewhere / f"{SESSION_B}.jsonl")
    (projects / "-home-dev-notes").symlink_to(elsewhere)
    (projects / "a").symlink_to(projects / "b")  # two links to each other
    (projects / "b").symlink_to(projects / "a")
    (projects / PROJECT / "up").symlink_to(projects)  # a link back up its own path
    r = cli("scan", "--json", env=env)
    assert r.code == 0, r.err
    result = r.json()
    assert result["files"] == 3
    assert sorted(result["warnings"]) == [
        f"{projects / PROJECT / 'up'}: a symbolic link loop (it leads back to {projects}); not followed",
        f"{projects / 'a'}: Too many levels of symbolic links; skipped",
        f"{projects / 'b'}: Too many levels of symbolic links; skipped",
    ]
    assert _days(cli, env) == CLAUDE_DAY_TOTALS


def _deep_conversation(depth: int) -> bytes:
    """A conversation whose message metadata nests ``depth`` lists (a plugin's payload)."""
    nested = b"[" * depth + b"]" * depth
    return (b'{"title":"deep","create_time":1723600000.0,"update_time":1723600100.0,'
            b'"mapping":{"n1":{"id":"n1","message":{"id":"m1","author":{"role":"user"},'
            b'"content":{"content_type":"text","parts":["hi"]},"metadata":{"attachments":' + nested
            + b'}},"parent":null,"children":[]}},"current_node":"n1","conversation_id":"deep-1","id":"deep-1"}')


def test_a_deeply_nested_chatgpt_export_is_a_warning_and_the_rest_is_read(cli, env, use_config, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    good = json.loads((FIXTURES / "chatgpt" / "conversations.json").read_bytes())
    data = b"[" + b",".join([json.dumps(c).encode() for c in good] + [_deep_conversation(100_000)]) + b"]"
    (exports / "conversations.json").write_bytes(data)
    use_config(f"sources:\n  chatgpt:\n    paths: [{exports}]\n")
    r = cli("scan", "--json", env=env)
    assert r.code == 0, r.err
    result = r.json()
    assert result["warnings"] == [(f"{exports / 'conversations.json'}: a conversation nested too deeply to read "
                                   "(more than Python's recursion limit); skipped")]
    assert _days(cli, env)["2025-08-15"] == CLAUDE_DAY_TOTALS["2025-08-15"]  # Claude's logs were read too
    listed = cli("list", "--provider", "chatgpt", "--no-scan", "--json", env=env).json()
    assert len(listed) == 2  # the fixture's two readable conversations


def test_an_empty_home_says_where_it_looked(cli, tmp_path):
    r = cli("scan", "--json", env={"HOME": ""})
    assert r.code == 0, r.err
    assert r.json()["warnings"] == ["HOME is empty: looking for logs under /"]


def test_a_home_that_does_not_exist_is_a_warning_and_is_not_created(cli, tmp_path):
    home = tmp_path / "gone"
    r = cli("scan", "--json", env={"HOME": str(home)})
    assert r.code == 0, r.err
    assert r.json()["warnings"] == [f"HOME {home} does not exist: no logs read from it"]
    assert not home.exists()


def test_a_home_that_does_not_exist_is_not_created_for_the_database(cli, tmp_path):
    home = tmp_path / "gone"
    env = {**os.environ, "HOME": str(home)}
    for name in ("LLM_SESSION_DATA_DIR", "XDG_DATA_HOME"):
        env.pop(name, None)
    proc = subprocess.run([sys.executable, "-m", "llm_session_manager", "scan"],
                          check=False, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"error: cannot create data directory {home}/.local/share/llm-session-manager: "
                                  f"HOME {home} does not exist")
    assert not home.exists()


GEMINI_CHATS = FIXTURES / "gemini" / "home" / ".gemini" / "tmp"
COPILOT_EVENTS = FIXTURES / "copilot" / "copilot-home" / "session-state" / "5e0c9a7d-3b14-4f62-8a9e-1d7c6b5a4f30" / "events.jsonl"


def _damaged_sources():
    """(source, log, text in a record that has usage): every reader of lines and documents."""
    from llm_session_manager.sources import chatgpt, copilot, gemini

    notes = GEMINI_CHATS / "notes-app" / "chats"
    return [
        (gemini.RECORDS_SOURCE, notes / "session-2026-04-20T09-00-6a6a6a6a.jsonl",
         b'"content":"I added a `search` subcommand'),
        (gemini.SOURCE, notes / "session-2026-01-12T09-30-5c8e2d41.json", b'"model": "gemini'),
        (copilot.CLI_SOURCE, COPILOT_EVENTS, b'"content":"I\'ll look at the route first.'),
        (chatgpt.SOURCE, FIXTURES / "chatgpt" / "conversations.json", b'"model_slug": "gpt'),
    ]


@pytest.mark.parametrize("case", range(4), ids=["gemini-jsonl", "gemini-json", "copilot-cli", "chatgpt"])
def test_every_reader_keeps_a_record_whose_text_has_a_byte_that_is_not_utf8(case):
    source, log, text = _damaged_sources()[case]
    data = log.read_bytes()
    assert text in data
    damaged = data.replace(text, text + b"\xff")
    clean, read = source.parse(log, data, None), source.parse(log, damaged, None)
    assert read.malformed == clean.malformed
    assert [(u.dedup_key, u.input_tokens, u.output_tokens) for u in read.usage] \
        == [(u.dedup_key, u.input_tokens, u.output_tokens) for u in clean.usage]
