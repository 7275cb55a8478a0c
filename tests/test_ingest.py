"""Scanning is incremental and idempotent: logs are read once, counted once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CLAUDE_DAY_TOTALS, FIXTURES

from llm_session_manager import ingest
from llm_session_manager.core import config
from llm_session_manager.services import usage
from llm_session_manager.store import connect

CLAUDE = FIXTURES / "claude-code"
SESSION_A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """A private copy of the Claude fixtures, which tests may append to and cut."""
    root = tmp_path / "claude"
    shutil.copytree(CLAUDE, root)
    return root


@pytest.fixture
def env(logs: Path, tmp_path: Path) -> dict[str, str]:
    return {"CLAUDE_CONFIG_DIR": str(logs), "CODEX_HOME": str(tmp_path / "no-codex")}


def _scan(env: dict[str, str], home: Path):
    conn = connect()
    return conn, ingest.scan(conn, config.load(), env=env, home=home)


def _days(conn) -> dict[str, tuple[int, int, int, int]]:
    return {
        r.key: (r.input_tokens, r.output_tokens, r.cache_creation_tokens, r.cache_read_tokens)
        for r in usage.report(conn, "day").rows
    }


def _session_file(logs: Path) -> Path:
    return logs / "projects" / "-home-dev-shop" / f"{SESSION_A}.jsonl"


def test_usage_per_day_matches_the_hand_count(env, sandbox_home):
    conn, result = _scan(env, sandbox_home)
    assert result.files == 3 and result.files_read == 3
    assert _days(conn) == CLAUDE_DAY_TOTALS


def test_a_second_scan_with_nothing_new_reads_nothing(env, sandbox_home):
    _scan(env, sandbox_home)
    conn, again = _scan(env, sandbox_home)
    assert (again.files, again.files_read, again.records, again.malformed) == (3, 0, 0, 0)
    assert _days(conn) == CLAUDE_DAY_TOTALS


def _assistant_line(template: str, *, message_id: str, request_id: str, uuid: str, output: int) -> str:
    """A copy of a real assistant line from the fixture with new ids and output tokens."""
    import json

    line = json.loads(template)
    line["message"]["id"] = message_id
    line["requestId"] = request_id
    line["uuid"] = uuid
    line["message"]["usage"]["output_tokens"] = output
    return json.dumps(line, separators=(",", ":"))


def _first_assistant(path: Path) -> str:
    return next(
        line for line in path.read_text().splitlines()
        if '"type":"assistant"' in line and '"requestId"' in line and "isApiErrorMessage" not in line
    )


def test_a_half_written_last_line_waits_for_the_next_scan(env, logs, sandbox_home):
    conn, _first = _scan(env, sandbox_home)
    path = _session_file(logs)
    line = _assistant_line(_first_assistant(path), message_id="msg_new1", request_id="req_new1",
                           uuid="11111111-2222-4333-8444-555555555555", output=1000)
    half = len(line) // 2
    with path.open("a") as f:
        f.write(line[:half])
    _, partial = _scan(env, sandbox_home)
    assert partial.files_read == 1 and partial.malformed == 0 and partial.records == 0
    with path.open("a") as f:
        f.write(line[half:] + "\n")
    _, done = _scan(env, sandbox_home)
    assert done.malformed == 0 and done.records >= 1
    assert _days(conn)["2025-08-14"][1] == CLAUDE_DAY_TOTALS["2025-08-14"][1] + 1000


def test_a_malformed_line_is_counted_and_skipped(env, logs, sandbox_home):
    _scan(env, sandbox_home)
    with _session_file(logs).open("a") as f:
        f.write('{"type":"assistant","message":{"usage":\n')
    conn, result = _scan(env, sandbox_home)
    assert result.malformed == 1
    assert _days(conn) == CLAUDE_DAY_TOTALS


def test_a_truncated_file_is_read_again_without_counting_twice(env, logs, sandbox_home):
    conn, _ = _scan(env, sandbox_home)
    path = _session_file(logs)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 3].rsplit(b"\n", 1)[0] + b"\n")
    _, cut = _scan(env, sandbox_home)
    assert cut.files_read == 1
    path.write_bytes(whole)
    _, restored = _scan(env, sandbox_home)
    assert restored.files_read == 1
    assert _days(conn) == CLAUDE_DAY_TOTALS


def test_a_replaced_file_is_read_from_the_start(env, logs, sandbox_home):
    conn, _ = _scan(env, sandbox_home)
    path = _session_file(logs)
    text = path.read_text()
    extra = _assistant_line(_first_assistant(path), message_id="msg_rot1", request_id="req_rot1",
                            uuid="aaaaaaaa-2222-4333-8444-555555555555", output=500)
    replacement = path.with_suffix(".tmp")
    replacement.write_text(text + extra + "\n")  # a new inode under the old name
    os.replace(replacement, path)
    _, result = _scan(env, sandbox_home)
    assert result.files_read == 1
    assert _days(conn)["2025-08-14"][1] == CLAUDE_DAY_TOTALS["2025-08-14"][1] + 500


def test_a_rewritten_file_with_the_same_inode_is_read_from_the_start(env, logs, sandbox_home):
    conn, _ = _scan(env, sandbox_home)
    path = _session_file(logs)
    lines = path.read_text().splitlines(keepends=True)
    extra = _assistant_line(_first_assistant(path), message_id="msg_rw1", request_id="req_rw1",
                            uuid="bbbbbbbb-2222-4333-8444-555555555555", output=700)
    with path.open("w") as f:  # same inode, different first bytes, longer than before
        f.write(extra + "\n" + "".join(lines))
    _, result = _scan(env, sandbox_home)
    assert result.files_read == 1
    assert _days(conn)["2025-08-14"][1] == CLAUDE_DAY_TOTALS["2025-08-14"][1] + 700


def test_two_scans_at_once_store_each_response_once(env, cli):
    procs = [
        subprocess.Popen([sys.executable, "-m", "llm_session_manager", "scan", "--json"],
                         env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    report = cli("usage", "--json", env=env).json()
    assert {r["key"]: (r["input_tokens"], r["output_tokens"], r["cache_creation_tokens"],
                       r["cache_read_tokens"]) for r in report["rows"]} == CLAUDE_DAY_TOTALS


def test_missing_log_directories_are_not_an_error(tmp_path, sandbox_home):
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "nowhere"), "CODEX_HOME": str(tmp_path / "nor-here")}
    _conn, result = _scan(env, sandbox_home)
    assert (result.files, result.records, result.warnings) == (0, 0, [])


def test_a_configured_path_that_is_missing_is_a_warning(tmp_path, sandbox_home, use_config):
    use_config(f"sources:\n  codex:\n    paths: [{tmp_path / 'gone'}]\n")
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "nowhere")}
    _, result = _scan(env, sandbox_home)
    assert result.warnings == [f"sources.codex.paths: {tmp_path / 'gone'} is not a directory"]


def test_a_disabled_source_is_not_read(env, sandbox_home, use_config):
    use_config("sources:\n  claude-code:\n    enabled: false\n")
    conn, result = _scan(env, sandbox_home)
    assert result.files == 0 and _days(conn) == {}


def test_ignore_patterns_skip_matching_logs(env, sandbox_home, use_config):
    use_config("session_discovery:\n  ignore_patterns: ['*/subagents/*']\n")
    _, result = _scan(env, sandbox_home)
    assert result.files == 2


@pytest.mark.slow
def test_a_scan_killed_half_way_is_completed_by_the_next(env, sandbox_home):
    child = f"""
import contextlib
import os
from pathlib import Path
from llm_session_manager import ingest
from llm_session_manager.core import config
from llm_session_manager.ingest import _rows
from llm_session_manager.store import connect

_rows.CHUNK_BYTES, _rows.TRANSACTION_SECONDS = 1, 0  # one file per transaction
transaction = _rows.write_transaction

@contextlib.contextmanager
def commit_then_die(conn):
    with transaction(conn):
        yield
    os._exit(3)  # killed right after the first file was committed

_rows.write_transaction = commit_then_die
ingest.scan(connect(), config.load(), env={env!r}, home=Path({str(sandbox_home)!r}))
"""
    assert subprocess.run([sys.executable, "-c", child]).returncode == 3
    conn, result = _scan(env, sandbox_home)
    assert result.files_read == 2  # the committed file is not read again
    assert _days(conn) == CLAUDE_DAY_TOTALS
