"""A first scan parses its chunks in worker processes: the store must hold exactly
what one process reading the logs in turn stores."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from llm_session_manager import demo_logs, ingest
from llm_session_manager.core import config
from llm_session_manager.ingest import _rows
from llm_session_manager.store import connect

TABLES = {
    "usage": "SELECT * FROM usage ORDER BY dedup_key",
    "messages": "SELECT * FROM messages ORDER BY key",
    "file_refs": "SELECT * FROM file_refs ORDER BY key",
    "sessions": "SELECT id, provider, cwd, project, title, model, git_branch, version, started_at, last_activity,"
                " context_ts, context_tokens, context_window FROM sessions ORDER BY id",
    "source_files": "SELECT path, provider, inode, size, mtime_ns, offset, head, state FROM source_files ORDER BY path",
    "usage_quarters": "SELECT * FROM usage_quarters ORDER BY quarter, provider, model",
}


def _contents(db: Path) -> dict[str, list[tuple]]:
    conn = connect(db)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        conn.close()


def test_workers_store_what_one_process_stores(cli, tmp_path: Path, sandbox_home: Path):
    logs = tmp_path / "claude"
    size = 2 * _rows.CHUNK_BYTES + (8 << 20)  # a chunk of 32 MB, then the last 32 MB or more in 8 MB ones
    stats = demo_logs.write_corpus(logs, size, files=300, seed=7)
    env = {"CLAUDE_CONFIG_DIR": str(logs), "CODEX_HOME": str(tmp_path / "no-codex")}

    # The CLI has one thread: it forks workers.
    in_workers = tmp_path / "workers"
    r = cli("scan", "--json", "--verbose", env={**env, "LLM_SESSION_DATA_DIR": str(in_workers)})
    assert r.code == 0, r.err
    assert "parsing 6 chunks in" in r.err
    by_day = cli("usage", "--by", "day", "--json", "--no-scan", env={**env, "LLM_SESSION_DATA_DIR": str(in_workers)})
    truth = {day: sum(v.values()) for day, v in stats.days.items()}
    assert {row["key"]: row["total_tokens"] for row in by_day.json()["rows"]} == truth

    # A server scans from a worker thread: it parses in turn, in its own process.
    in_turn = tmp_path / "in-turn" / "sessions.db"
    in_turn.parent.mkdir()
    failures: list[BaseException] = []

    def scan() -> None:
        try:
            conn = connect(in_turn)
            ingest.scan(conn, config.load(), env={**os.environ, **env}, home=sandbox_home)
            from llm_session_manager.services import usage

            usage.report(conn, "day")  # brings its quarter sums up to date, as the CLI's usage did
            conn.close()
        except BaseException as e:  # handed to the test's thread
            failures.append(e)

    thread = threading.Thread(target=scan)
    thread.start()
    thread.join()
    assert not failures, failures

    ours, theirs = _contents(in_workers / "sessions.db"), _contents(in_turn)
    for name in TABLES:
        assert len(ours[name]) == len(theirs[name]) > 0, name
        assert ours[name] == theirs[name], name


def test_workers_do_not_outlive_a_scan_that_is_killed(tmp_path: Path, sandbox_home: Path):
    import psutil

    logs = tmp_path / "claude"
    demo_logs.write_corpus(logs, 3 * _rows.CHUNK_BYTES, files=300, seed=8)
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(logs), "CODEX_HOME": str(tmp_path / "no-codex")}
    scan = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "scan", "--json", "--verbose"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert scan.stderr is not None
    for line in scan.stderr:  # the parent says so once it has started them
        if b"worker processes" in line:
            break
    workers = psutil.Process(scan.pid).children()
    assert workers
    scan.kill()
    scan.wait()
    _gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, [p.pid for p in alive]
    # and the next scan completes what the killed one began
    r = subprocess.run([sys.executable, "-m", "llm_session_manager", "scan", "--json"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def _in_one_thread(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` run in a process of its own: workers fork only from a process with one
    thread, and a test runner's (pytest-xdist) has more. Linux with two CPUs or more only."""
    if (os.cpu_count() or 1) < 2 or not sys.platform.startswith("linux"):
        pytest.skip("parse workers fork on Linux with two CPUs or more")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)


def test_results_come_back_in_order_however_many_chunks_there_are():
    # Workers take each chunk's number from one pipe: more numbers than the pipe holds
    # (64 KB, 16,384 of them) are handed out as they take them.
    r = _in_one_thread("""
        from llm_session_manager.ingest import _parallel

        assert _parallel._workers(2) == 2, "no workers forked"
        chunks = list(range(20_000))
        assert list(_parallel.parsed(lambda n: n * 3, chunks, int)) == [n * 3 for n in chunks]
        print("in order")
    """)
    assert (r.returncode, r.stdout) == (0, "in order\n"), r.stderr


def test_a_worker_that_dies_stops_the_scan_after_every_chunk_before_its_own():
    r = _in_one_thread("""
        import os, signal
        from llm_session_manager.ingest import _parallel

        assert _parallel._workers(2) == 2, "no workers forked"

        def parse(n):
            if n == 5:  # killed (out of memory, say) while parsing chunk 5
                os.kill(os.getpid(), signal.SIGKILL)
            return n

        stored = []
        try:
            for n in _parallel.parsed(parse, list(range(12)), int):
                stored.append(n)
        except _parallel.WorkerDied as e:
            assert "run the command again" in str(e), e
            print(stored)
    """)
    assert (r.returncode, r.stdout) == (0, "[0, 1, 2, 3, 4]\n"), r.stderr
