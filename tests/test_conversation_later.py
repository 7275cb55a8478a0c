"""A first ``usage`` over a big history prints its report before the conversation
is stored; a continuation stores it after. Whatever happens to the continuation
(killed with -9, started twice, overtaken by a log that grew), the store ends up
exactly as one scan that stored everything at once leaves it."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from llm_session_manager import demo_logs
from llm_session_manager.ingest import _conversation
from llm_session_manager.store import DB_NAME, connect

TABLES = {
    "usage": "SELECT * FROM usage ORDER BY dedup_key",
    "messages": "SELECT key, session_id, ts, role, kind, text FROM messages ORDER BY key",
    "file_refs": "SELECT key, session_id, ts, path, action FROM file_refs ORDER BY key",
    "sessions": "SELECT * FROM sessions ORDER BY id",
    # All but ctime_ns: a file read within two seconds of its last write keeps 0 there (ingest/_files.py,
    # RACY_NS: "look again next time"), which a scan made a moment later does not.
    "source_files": "SELECT path, provider, inode, size, mtime_ns, offset, head, state, tail, conversation_offset, "
                    "conversation_state FROM source_files ORDER BY path",
    "usage_quarters": "SELECT * FROM usage_quarters ORDER BY quarter, provider, model",
    "usage_sessions": "SELECT * FROM usage_sessions ORDER BY session_id",
    "session_facts": "SELECT * FROM session_facts ORDER BY session_id",
    "indexes": "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
}
DEADLINE_S = 60


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Claude Code logs a little over the size from which ``usage`` defers the conversation."""
    logs = tmp_path_factory.mktemp("corpus") / "claude"
    demo_logs.write_corpus(logs, _conversation.DEFER_BYTES + (2 << 20), files=200, seed=11)
    return logs


def run(data: Path, corpus: Path, *args: str, mode: str = "later") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(corpus), "CODEX_HOME": str(corpus.parent / "no-codex"),
           "LLM_SESSION_DATA_DIR": str(data), _conversation.ENV: mode}
    done = subprocess.run([sys.executable, "-m", "llm_session_manager", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done


def contents(data: Path) -> dict[str, list[tuple]]:
    conn = connect(data / DB_NAME)
    try:
        from llm_session_manager.store import quarters, session_sums

        quarters.refresh(conn)
        session_sums.refresh(conn)
        return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        conn.close()


def behind(data: Path) -> int:
    conn = connect(data / DB_NAME)
    try:
        return conn.execute("SELECT count(*) FROM source_files WHERE conversation_offset IS NOT NULL").fetchone()[0]
    finally:
        conn.close()


def all_at_once(tmp_path: Path, corpus: Path) -> dict[str, list[tuple]]:
    data = tmp_path / "all-at-once"
    run(data, corpus, "scan", "--json")
    assert behind(data) == 0
    return contents(data)


def assert_same(ours: dict[str, list[tuple]], theirs: dict[str, list[tuple]]) -> None:
    for name in TABLES:
        assert len(ours[name]) == len(theirs[name]) > 0, name
        assert ours[name] == theirs[name], name


def lock_holder(data: Path) -> int | None:
    """The pid of the continuation holding the lock, or None when none does."""
    with open(data / _conversation.LOCK_NAME, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            return int(f.read().strip() or 0) or -1
        return None


def continuations(data: Path) -> list[psutil.Process]:
    """Continuation processes still running for the store in ``data``."""
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        line = " ".join(p.info["cmdline"] or ())
        if "ingest._conversation" in line and str(data) in line and p.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(p)
    return found


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def test_a_first_usage_reports_then_a_detached_continuation_stores_the_conversation(tmp_path, corpus):
    data = tmp_path / "data"
    report = run(data, corpus, "usage", "--by", "day", "--json")
    assert '"rows"' in report.stdout
    # The usage process has exited; what it left is the continuation's to store.
    wait_until(lambda: behind(data) == 0, "the continuation stored every log's conversation")
    wait_until(lambda: lock_holder(data) is None, "the continuation let go of its lock")
    wait_until(lambda: not continuations(data), "the continuation exited")
    assert_same(contents(data), all_at_once(tmp_path, corpus))


def test_the_first_usage_leaves_its_write_ahead_log_to_the_continuation_which_leaves_none(tmp_path, corpus):
    # The usage process neither checkpoints nor waits for the disk before its report
    # (``_conversation.leave_checkpoints``); the continuation's close copies the log in.
    data = tmp_path / "data"
    run(data, corpus, "usage", "--by", "day", "--json")
    wait_until(lambda: not continuations(data), "the continuation exited")  # no connection of ours meanwhile
    wal = data / f"{DB_NAME}-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert behind(data) == 0


def test_the_first_usage_sums_days_from_the_responses_and_its_continuation_rebuilds_the_sums(tmp_path, corpus):
    data = tmp_path / "data"
    with open(_lock(data), "a+") as held:  # the continuation the usage starts finds the lock taken and leaves
        fcntl.flock(held, fcntl.LOCK_EX)
        first = run(data, corpus, "usage", "--by", "day", "--json").stdout
        versions = _versions(data)
        assert versions["usage_quarters_version"] != versions["usage_version"]  # the report left them to rebuild
    continuation = _conversation.start(str(data / DB_NAME))
    assert continuation.wait(timeout=DEADLINE_S) == 0
    assert behind(data) == 0
    assert len(set(_versions(data).values())) == 1  # it rebuilt the quarter-hour and session sums
    assert run(data, corpus, "usage", "--by", "day", "--json", "--no-scan").stdout == first


def _versions(data: Path) -> dict[str, int]:
    """What the responses' version is, and what the quarter-hour and session sums were made from."""
    conn = connect(data / DB_NAME)
    try:
        return dict(conn.execute("SELECT key, value FROM meta WHERE key IN "
                                 "('usage_version', 'usage_quarters_version', 'usage_sessions_version')").fetchall())
    finally:
        conn.close()


def test_a_continuation_killed_mid_way_is_completed_by_the_next_command(tmp_path, corpus):
    data = tmp_path / "data"
    # inline would finish in the usage process itself; make the one it starts find the lock taken
    with open(_lock(data), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run(data, corpus, "usage", "--json")
    pending = behind(data)
    assert pending > 0
    # A continuation, killed with SIGKILL right after its first chunk's transaction.
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from llm_session_manager.ingest import _conversation as c\n"
        "from llm_session_manager.store import connect\n"
        "conn = connect(Path(sys.argv[1]))\n"
        "with c._locked(conn, wait=False) as held:\n"
        "    assert held\n"
        "    c.store_pending(conn, progress=lambda done, chunks: os.kill(os.getpid(), signal.SIGKILL))\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(data / DB_NAME)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert 0 < behind(data) < pending  # mid-way: some logs done, some not
    assert lock_holder(data) is None  # the kernel let go of a dead process' lock

    listed = run(data, corpus, "list", "--json")  # needs the conversation: finishes it first
    assert behind(data) == 0
    assert listed.stdout.startswith("[")
    assert_same(contents(data), all_at_once(tmp_path, corpus))


def test_a_second_continuation_leaves_while_one_holds_the_lock(tmp_path, corpus):
    data = tmp_path / "data"
    with open(_lock(data), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run(data, corpus, "usage", "--json")
        pending = behind(data)
        second = _conversation.start(str(data / DB_NAME))
        assert second.wait(timeout=DEADLINE_S) == 0
        assert behind(data) == pending  # it stored nothing
    third = _conversation.start(str(data / DB_NAME))
    assert third.wait(timeout=DEADLINE_S) == 0
    assert behind(data) == 0
    assert_same(contents(data), all_at_once(tmp_path, corpus))


def test_a_log_that_grows_before_the_continuation_runs_loses_nothing(tmp_path, corpus):
    logs = tmp_path / "logs"
    import shutil

    shutil.copytree(corpus, logs)
    data = tmp_path / "data"
    with open(_lock(data), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run(data, logs, "usage", "--json")
        grown = max(logs.rglob("*.jsonl"), key=lambda p: p.stat().st_size)
        lines = grown.read_bytes().splitlines(keepends=True)
        with grown.open("ab") as f:
            f.writelines(lines[: len(lines) // 2])  # lines the store has: nothing new, but the file moved
        run(data, logs, "usage", "--json")  # a small rescan: that file's conversation is read from where it stopped
        assert behind(data) > 0
    run(data, logs, "scan", "--json")
    assert behind(data) == 0
    assert_same(contents(data), all_at_once(tmp_path, logs))


def test_inline_finishes_in_the_same_process_and_now_never_defers(tmp_path, corpus):
    for mode in ("inline", "now"):
        data = tmp_path / mode
        run(data, corpus, "usage", "--json", mode=mode)
        assert behind(data) == 0
        assert lock_holder(data) is None
        assert_same(contents(data), all_at_once(tmp_path, corpus))


def _lock(data: Path) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    return data / _conversation.LOCK_NAME
