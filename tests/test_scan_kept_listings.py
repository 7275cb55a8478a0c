"""A rescan reuses the listing of a directory that has not changed, and what it
keeps of each log while the store's record of them has not changed, and still
sees every change to the logs: an appended transcript, a new one, a deleted one,
one replaced under its name, one added by a tool that sets the directory's mtime
back, and one the store forgot."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import msgspec
import pytest
from conftest import CLAUDE_DAY_TOTALS, FIXTURES

from llm_session_manager import ingest
from llm_session_manager.core import config
from llm_session_manager.ingest._files import LISTINGS_FILE
from llm_session_manager.ingest._known_kept import KNOWN_FILE, unstamped
from llm_session_manager.services import usage
from llm_session_manager.sources.listings import RACY_NS, Listings
from llm_session_manager.store import connect

SESSION_A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"
STORIES = ("appended", "added", "deleted", "replaced", "times_set_back", "quiet")


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the Claude Code fixtures per story, whose directories have stood
    still for longer than ``RACY_NS``: a scan keeps their listings."""
    base = tmp_path_factory.mktemp("settled")
    for story in STORIES:
        shutil.copytree(FIXTURES / "claude-code", base / story)
    dirs = [Path(d) for story in STORIES for d, _, _ in os.walk(base / story)]
    deadline = time.monotonic() + 30
    while any(time.time_ns() - max(d.stat().st_mtime_ns, d.stat().st_ctime_ns) < RACY_NS for d in dirs):
        assert time.monotonic() < deadline, "the copies' directories never settled"
        time.sleep(0.05)
    return base


def _scan(claude: Path, home: Path):
    conn = connect()
    env = {"CLAUDE_CONFIG_DIR": str(claude), "CODEX_HOME": str(home / "no-codex")}
    return conn, ingest.scan(conn, config.load(), env=env, home=home)


def _kept(conn) -> set[str]:
    """The directories whose listings the store's scans keep."""
    kept = Path(conn.filename).with_name(LISTINGS_FILE)
    data = kept.read_bytes() if kept.exists() else b""
    return {key.split("\0", 1)[1] for key in Listings.decode(data).kept}


def _project(claude: Path) -> Path:
    return claude / "projects" / "-home-dev-shop"


def _days(conn) -> dict[str, tuple[int, int, int, int]]:
    return {r.key: (r.input_tokens, r.output_tokens, r.cache_creation_tokens, r.cache_read_tokens)
            for r in usage.report(conn, "day").rows}


def _new_response(log: Path, n: int, output: int) -> str:
    """A copy of the log's first assistant line as a new response with ``output`` tokens."""
    template = next(line for line in log.read_text().splitlines()
                    if '"type":"assistant"' in line and '"requestId"' in line and "isApiErrorMessage" not in line)
    line = json.loads(template)
    line["message"]["id"] = f"msg_kept{n}"
    line["requestId"] = f"req_kept{n}"
    line["uuid"] = f"{n:08d}-2222-4333-8444-555555555555"
    line["message"]["usage"]["output_tokens"] = output
    return json.dumps(line, separators=(",", ":")) + "\n"


def _first_scan(claude: Path, home: Path):
    conn, first = _scan(claude, home)
    assert first.files_read == 3 and _days(conn) == CLAUDE_DAY_TOTALS
    assert str(_project(claude)) in _kept(conn)
    return conn


def test_an_unchanged_history_is_rescanned_from_kept_listings_and_reads_nothing(settled, sandbox_home):
    claude = settled / "quiet"
    conn = _first_scan(claude, sandbox_home)
    _, again = _scan(claude, sandbox_home)
    assert (again.files, again.files_read, again.records) == (3, 0, 0)
    assert str(_project(claude)) in _kept(conn)


def test_a_transcript_appended_in_a_directory_that_did_not_change_is_read(settled, sandbox_home):
    claude = settled / "appended"
    conn = _first_scan(claude, sandbox_home)
    log = _project(claude) / f"{SESSION_A}.jsonl"
    before = _project(claude).stat()
    with log.open("a") as f:
        f.write(_new_response(log, 1, output=1000))
    after = _project(claude).stat()
    assert (after.st_mtime_ns, after.st_ctime_ns) == (before.st_mtime_ns, before.st_ctime_ns)
    _, again = _scan(claude, sandbox_home)
    assert again.files_read == 1 and again.records >= 1
    assert _days(conn)["2025-08-14"][1] == CLAUDE_DAY_TOTALS["2025-08-14"][1] + 1000


def test_a_new_transcript_in_a_kept_directory_is_found(settled, sandbox_home):
    claude = settled / "added"
    conn = _first_scan(claude, sandbox_home)
    source = _project(claude) / f"{SESSION_A}.jsonl"
    new = _project(claude) / "0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e.jsonl"
    new.write_text(_new_response(source, 2, output=300))
    _, again = _scan(claude, sandbox_home)
    assert (again.files, again.files_read) == (4, 1)
    assert _days(conn)["2025-08-14"][1] == CLAUDE_DAY_TOTALS["2025-08-14"][1] + 300


def test_a_deleted_transcript_in_a_kept_directory_is_noticed(settled, sandbox_home):
    claude = settled / "deleted"
    conn = _first_scan(claude, sandbox_home)
    log = _project(claude) / f"{SESSION_A}.jsonl"
    log.unlink()
    _, again = _scan(claude, sandbox_home)
    assert again.files == 2
    assert [row[0] for row in conn.execute("SELECT path FROM gone_logs")] == [str(log)]
    assert _days(conn) == CLAUDE_DAY_TOTALS  # what it held stays counted


def test_a_transcript_replaced_under_its_name_is_read_from_the_start(settled, sandbox_home):
    claude = settled / "replaced"
    conn = _first_scan(claude, sandbox_home)
    log = _project(claude) / f"{SESSION_A}.jsonl"
    replacement = log.with_suffix(".tmp")
    replacement.write_text(log.read_text() + _new_response(log, 3, output=500))
    os.replace(replacement, log)  # a new inode under the old name
    _, again = _scan(claude, sandbox_home)
    assert again.files_read == 1
    assert _days(conn)["2025-08-14"][1] == CLAUDE_DAY_TOTALS["2025-08-14"][1] + 500


def test_a_transcript_added_by_a_tool_that_sets_the_directory_times_back_is_found(settled, sandbox_home):
    claude = settled / "times_set_back"
    conn = _first_scan(claude, sandbox_home)
    project = _project(claude)
    before = project.stat()
    (project / "0b0b0b0b-1b1b-4c2c-8d3d-4e4e4e4e4e4e.jsonl").write_text(
        _new_response(project / f"{SESSION_A}.jsonl", 4, output=200))
    os.utime(project, ns=(before.st_atime_ns, before.st_mtime_ns))  # as a restore that keeps times does
    assert project.stat().st_mtime_ns == before.st_mtime_ns  # only its ctime moved
    _, again = _scan(claude, sandbox_home)
    assert (again.files, again.files_read) == (4, 1)
    assert _days(conn)["2025-08-14"][1] == CLAUDE_DAY_TOTALS["2025-08-14"][1] + 200


def test_a_directory_changed_just_before_the_scan_is_listed_again_next_time(tmp_path, sandbox_home):
    """Its times could stay the same through a change within the same clock tick: its
    listing is not kept, so the next scan lists it, and finds what was added since."""
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code", claude)
    (_project(claude) / "scratch").touch()
    (_project(claude) / "scratch").unlink()  # the directory changed just now
    conn, first = _scan(claude, sandbox_home)
    assert first.files_read == 3
    assert str(_project(claude)) not in _kept(conn)
    (_project(claude) / "0c0c0c0c-1b1b-4c2c-8d3d-4e4e4e4e4e4e.jsonl").write_text(
        _new_response(_project(claude) / f"{SESSION_A}.jsonl", 5, output=100))
    _, again = _scan(claude, sandbox_home)
    assert (again.files, again.files_read) == (4, 1)


def _kept_known(conn) -> tuple[int, dict[str, tuple]]:
    """The generation and rows of what the store's scans keep of each log (``_known_kept``):
    (provider, inode, size, mtime_ns, ctime_ns) by path."""
    data = Path(conn.filename).with_name(KNOWN_FILE).read_bytes()
    kept = msgspec.msgpack.decode(data)
    return kept[0], {path: unstamped(packed) for path, packed in kept[1].items()}


def _generation(conn) -> int:
    return int(conn.execute("SELECT value FROM meta WHERE key = 'source_files_generation'").fetchone()[0])


def test_what_a_scan_keeps_of_each_log_follows_the_logs_it_stores(tmp_path, sandbox_home):
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code", claude)
    conn, _ = _scan(claude, sandbox_home)
    generation, rows = _kept_known(conn)
    assert generation == _generation(conn) and len(rows) == 3
    log = _project(claude) / f"{SESSION_A}.jsonl"
    with log.open("a") as f:
        f.write(_new_response(log, 6, output=10))
    _, again = _scan(claude, sandbox_home)
    assert again.files_read == 1
    generation, rows = _kept_known(conn)
    assert generation == _generation(conn)
    assert rows[str(log)][2] == log.stat().st_size  # kept with the size it was read at, not read again


def test_a_log_the_store_forgot_is_read_again_though_a_kept_file_remembers_it(tmp_path, sandbox_home):
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code", claude)
    conn, _ = _scan(claude, sandbox_home)
    log = _project(claude) / f"{SESSION_A}.jsonl"
    assert str(log) in _kept_known(conn)[1]
    with conn:  # as a repair that drops a log's record, to have it read afresh
        conn.execute("DELETE FROM source_files WHERE path = ?", (str(log),))
    _, again = _scan(claude, sandbox_home)
    assert again.files_read == 1
    assert _days(conn) == CLAUDE_DAY_TOTALS  # read again, counted once


def test_a_log_stored_before_the_store_kept_ctimes_is_not_read_again(tmp_path, sandbox_home):
    """A row without ctime (a store from before it had them) takes the log's ctime as it is."""
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code", claude)
    conn, _ = _scan(claude, sandbox_home)
    with conn:
        conn.execute("UPDATE source_files SET ctime_ns = NULL")
    for _ in range(2):  # once from the table, once from what that scan kept
        _, again = _scan(claude, sandbox_home)
        assert (again.files, again.files_read) == (3, 0)
    assert all(row[4] is None for row in _kept_known(conn)[1].values())
    assert _days(conn) == CLAUDE_DAY_TOTALS
