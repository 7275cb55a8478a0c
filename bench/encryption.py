"""What encrypting message bodies costs (docs/privacy.md#cost): storing messages as a
scan does, searching, `encrypt` / `decrypt`, and reading every body, on a plain and
an encrypted store of synthetic messages.

    PYTHONPATH=server python bench/encryption.py [MESSAGES]
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ["LLM_SESSION_PASSPHRASE"] = "bench passphrase"

from llm_session_manager.core.models import MessageRow
from llm_session_manager.ingest._store import _insert_messages
from llm_session_manager.services import history
from llm_session_manager.store import connect, sealed, write_transaction

COMMON = ["test", "error", "fix", "the", "retry", "logic", "connection", "refused", "rate", "limit"]
QUERIES = ["test", "error", "connection refused", "rate limit", "fix the failing test", "retry logic"]
SESSIONS = 200


def _messages(n: int) -> list[MessageRow]:
    rng = random.Random(1)
    rare = [f"{rng.choice('bcdfgklmnprst')}{rng.choice('aeiou')}{rng.randrange(10**6)}" for _ in range(20_000)]

    def text() -> str:
        return " ".join(rng.choice(COMMON) if rng.random() < 0.2 else rng.choice(rare)
                        for _ in range(rng.randint(20, 120)))

    return [MessageRow(f"k{i}", f"s{i % SESSIONS}", 1.7e9 + i, "user", "prompt", text()) for i in range(n)]


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    return work(), time.perf_counter() - began


def _store(rows: list[MessageRow], encrypted: bool) -> Any:
    conn = connect(Path(tempfile.mkdtemp()) / "sessions.db")
    with write_transaction(conn):
        conn.executemany("INSERT INTO sessions (id, provider) VALUES (?, 'claude-code')",
                         [(f"s{i}",) for i in range(SESSIONS)])
    if encrypted:
        sealed.enable(conn)
    began = time.process_time()
    for at in range(0, len(rows), 1000):
        with write_transaction(conn):
            _insert_messages(conn, rows[at:at + 1000])
    cpu = time.process_time() - began
    print(f"encrypted={encrypted}: storing {len(rows)} messages: {cpu / len(rows) * 1e6:.1f} us CPU a message")
    return conn


def _measure(rows: list[MessageRow], encrypted: bool) -> None:
    conn = _store(rows, encrypted)
    times = sorted(_timed(lambda q=q: history.search(conn, q, limit=20, sort="newest"))[1] for q in QUERIES * 10)
    print(f"  search --sort newest: p50 {statistics.median(times) * 1e3:.2f} ms, "
          f"p95 {times[int(0.95 * len(times))] * 1e3:.2f} ms")
    if not encrypted:
        (done, _), took = _timed(lambda: sealed.encrypt(conn))
        print(f"  encrypt: {took / done * 1e6:.1f} us a message")
        (done, _), took = _timed(lambda: sealed.decrypt(conn))
        print(f"  decrypt: {took / done * 1e6:.1f} us a message")
    _, took = _timed(lambda: conn.execute("SELECT count(lsm_open(text)) FROM messages").get)
    print(f"  reading every body: {took / len(rows) * 1e6:.2f} us a message")


def main() -> None:
    rows = _messages(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
    for encrypted in (False, True):
        _measure(rows, encrypted)


if __name__ == "__main__":
    main()
