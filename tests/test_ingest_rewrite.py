"""A log rewritten in place, even keeping its size and mtime, is read again and counted once."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import CLAUDE_DAY_TOTALS, FIXTURES

from llm_session_manager.store import connect

SESSION_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
HOUR_AGO_NS = time.time_ns() - 3600 * 10**9
# Session B's last answer (B4, tests/fixtures/claude-code/README.md): 28 output tokens.
B4_USAGE = b'"output_tokens":28,'


@pytest.fixture
def claude(tmp_path: Path) -> Path:
    """A copy of the Claude Code fixtures, last written an hour ago (long settled)."""
    root = tmp_path / "claude"
    shutil.copytree(CLAUDE_FIXTURES, root)
    for log in root.rglob("*.jsonl"):
        os.utime(log, ns=(HOUR_AGO_NS, HOUR_AGO_NS))
    return root


CLAUDE_FIXTURES = FIXTURES / "claude-code"


@pytest.fixture
def env(claude: Path, tmp_path: Path) -> dict[str, str]:
    return {"CLAUDE_CONFIG_DIR": str(claude), "CODEX_HOME": str(tmp_path / "no-codex")}


def _log(claude: Path) -> Path:
    return claude / "projects" / "-home-dev-shop" / f"{SESSION_B}.jsonl"


def _days(cli, env) -> dict[str, tuple[int, int, int, int]]:
    report = cli("usage", "--by", "day", "--no-scan", "--json", env=env).json()
    return {r["key"]: (r["input_tokens"], r["output_tokens"], r["cache_creation_tokens"],
                       r["cache_read_tokens"]) for r in report["rows"]}


def _rewrite_keeping_size_and_mtime(log: Path, old: bytes, new: bytes) -> None:
    """Overwrite bytes in place (same inode), then set the mtime back, as a sync or
    restore tool that keeps times does."""
    assert len(old) == len(new)
    st = log.stat()
    data = log.read_bytes()
    assert data.count(old) == 1
    with log.open("r+b") as f:
        f.seek(data.index(old))
        f.write(new)
    os.utime(log, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = log.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def test_a_log_rewritten_with_the_same_size_and_mtime_is_read_again_and_counted_once(cli, env, claude):
    assert cli("scan", "--json", env=env).json()["files_read"] == 3
    assert _days(cli, env) == CLAUDE_DAY_TOTALS
    _rewrite_keeping_size_and_mtime(_log(claude), B4_USAGE, b'"output_tokens":98,')
    again = cli("scan", "--json", env=env).json()
    assert again["files_read"] == 1 and again["malformed"] == 1  # the fixture's own line cut short
    day = CLAUDE_DAY_TOTALS["2025-08-15"]
    assert _days(cli, env)["2025-08-15"] == (day[0], day[1] + 70, day[2], day[3])
    assert _days(cli, env)["2025-08-14"] == CLAUDE_DAY_TOTALS["2025-08-14"]  # what it copied from A: once


def test_a_log_touched_but_not_rewritten_is_checked_once_and_nothing_is_added(cli, env, claude):
    cli("scan", "--json", env=env)
    _log(claude).chmod(0o600)  # moves the ctime only
    touched = cli("scan", "--json", env=env).json()
    assert (touched["records"], touched["malformed"]) == (0, 0)
    assert cli("scan", "--json", env=env).json()["files_read"] == 0
    assert _days(cli, env) == CLAUDE_DAY_TOTALS


def _stored_ctime(log: Path) -> int:
    conn = connect()
    try:
        return conn.execute("SELECT ctime_ns FROM source_files WHERE path = ?", (str(log),)).fetchone()[0]
    finally:
        conn.close()


def test_a_log_read_just_after_it_was_written_is_compared_once_more(cli, env, claude):
    log = _log(claude)
    os.utime(log)  # written just now: it could change again within the same clock tick
    cli("scan", "--json", env=env)
    assert _stored_ctime(log) == 0  # so the next scan compares its bytes
    settled = log.stat().st_mtime_ns + 2 * 10**9  # ingest/_files.py RACY_NS
    deadline = time.monotonic() + 10
    while time.time_ns() <= settled and time.monotonic() < deadline:
        time.sleep(0.05)
    compared = cli("scan", "--json", env=env).json()
    assert (compared["files_read"], compared["records"]) == (1, 0)
    assert _stored_ctime(log) == log.stat().st_ctime_ns
    assert cli("scan", "--json", env=env).json()["files_read"] == 0


def test_a_log_grown_after_a_rewrite_of_its_old_lines_is_read_from_the_start(cli, env, claude):
    cli("scan", "--json", env=env)
    log = _log(claude)
    data = log.read_bytes()
    log.write_bytes(data.replace(B4_USAGE, b'"output_tokens":98,') + data.splitlines(keepends=True)[0])
    again = cli("scan", "--json", env=env).json()
    assert again["files_read"] == 1
    day = CLAUDE_DAY_TOTALS["2025-08-15"]
    assert _days(cli, env)["2025-08-15"] == (day[0], day[1] + 70, day[2], day[3])
