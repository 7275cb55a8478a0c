"""A first scan stores into an empty store by plain inserts where no copy of a
response can be there yet (``ingest._store.NewKeys``): it must keep the same
copy of every response as the upsert each later scan uses."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from conftest import FIXTURES

from llm_session_manager import ingest
from llm_session_manager.core import config, pricing
from llm_session_manager.ingest import _rows, _store
from llm_session_manager.store import connect, write_transaction

USAGE = "SELECT * FROM usage ORDER BY dedup_key"


def _first_scan(claude: Path, db: Path, home: Path) -> list[tuple]:
    conn = connect(db)
    try:
        ingest.scan(conn, config.load(), env={"CLAUDE_CONFIG_DIR": str(claude)}, home=home)
        return conn.execute(USAGE).fetchall()
    finally:
        conn.close()


def _commits(claude: Path, db: Path, home: Path) -> int:
    """How many transactions a first scan of ``claude`` commits."""
    conn = connect(db)
    commits = 0

    def counted() -> bool:
        nonlocal commits
        commits += 1
        return False  # and let it commit

    conn.set_commit_hook(counted)
    try:
        ingest.scan(conn, config.load(), env={"CLAUDE_CONFIG_DIR": str(claude)}, home=home)
    finally:
        conn.close()
    return commits


def test_the_chunks_of_a_scan_share_a_transaction_for_up_to_a_second(
        tmp_path: Path, sandbox_home: Path, monkeypatch: pytest.MonkeyPatch):
    # Keys arrive in random order: a commit per chunk wrote the key index again at each.
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code", claude)
    made: list[int] = []
    chunks = _rows.chunks

    def a_log_each(work: list) -> list:
        made.append(len(each := chunks(work, 1)))
        return each

    monkeypatch.setattr(_rows, "chunks", a_log_each)
    monkeypatch.setattr(_rows, "TRANSACTION_SECONDS", 0)
    apart = _commits(claude, tmp_path / "apart.db", sandbox_home)
    monkeypatch.setattr(_rows, "TRANSACTION_SECONDS", 3600)
    together = _commits(claude, tmp_path / "together.db", sandbox_home)
    assert made[0] == made[1] > 2
    assert apart - together == made[0] - 1  # one transaction for them all


def _row(key: str, output: int, sidechain: bool = False) -> tuple:
    """A usage row as ``_INSERT_USAGE`` takes it."""
    return (key, "s1", 1755158400.0, "claude-sonnet-4-5", 3, output, 0, 100, 0.001, 1, True, sidechain, 0)


def test_a_response_copied_into_a_later_transaction_keeps_its_fullest_copy(
        tmp_path: Path, sandbox_home: Path, monkeypatch: pytest.MonkeyPatch):
    # The fixtures repeat responses across logs (a resumed session, a sub-agent relayed
    # by a progress line): one log per transaction puts the copies in different ones.
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude-code", claude)
    whole = _first_scan(claude, tmp_path / "whole.db", sandbox_home)
    monkeypatch.setattr(_rows, "CHUNK_BYTES", 1)
    monkeypatch.setattr(_rows, "TRANSACTION_SECONDS", 0)
    per_log = _first_scan(claude, tmp_path / "per-log.db", sandbox_home)
    assert per_log == whole
    # The responses counted by hand in the fixtures' README, each the copy with most tokens.
    assert len(whole) == 12
    days: dict[str, list[int]] = {}
    for row in whole:
        day = days.setdefault(time.strftime("%Y-%m-%d", time.gmtime(row[2])), [0, 0, 0, 0])
        for n, tokens in enumerate(row[4:8]):
            day[n] += tokens
    assert days == {"2025-08-14": [32, 812, 11160, 68660], "2025-08-15": [47, 992, 13030, 67070]}


def test_later_copies_of_a_first_load_go_through_the_upsert(tmp_path: Path):
    conn = connect(tmp_path / "s.db")
    new_keys = _store.NewKeys.if_empty(conn)
    assert new_keys is not None
    with write_transaction(conn):
        new_keys.insert(conn, [_row("msg_1:req_1", 3), _row("msg_2:req_2", 50)])
    with write_transaction(conn):  # a fuller copy of the first, a snapshot of the second, a new one
        new_keys.insert(conn, [_row("msg_1:req_1", 168), _row("msg_2:req_2", 7), _row("msg_3:req_3", 9)])
    assert new_keys.active
    assert conn.execute("SELECT dedup_key, output_tokens FROM usage ORDER BY dedup_key").fetchall() == [
        ("msg_1:req_1", 168), ("msg_2:req_2", 50), ("msg_3:req_3", 9)]
    assert _store.NewKeys.if_empty(conn) is None


def test_a_copy_another_process_stored_meanwhile_is_merged_not_an_error(tmp_path: Path):
    conn = connect(tmp_path / "s.db")
    new_keys = _store.NewKeys.if_empty(conn)
    assert new_keys is not None
    other = connect(tmp_path / "s.db")  # another scan, storing after this one found the table empty
    with write_transaction(other):
        other.executemany(_store._INSERT_USAGE, [_row("msg_1:req_1", 168, sidechain=True), _row("msg_2:req_2", 50)])
    with write_transaction(conn):
        new_keys.insert(conn, [_row("msg_0:req_0", 1), _row("msg_1:req_1", 3), _row("msg_2:req_2", 7)])
    assert not new_keys.active  # every later chunk takes the upsert
    assert conn.execute("SELECT dedup_key, output_tokens, sidechain FROM usage ORDER BY dedup_key").fetchall() == [
        ("msg_0:req_0", 1, 0), ("msg_1:req_1", 3, 0), ("msg_2:req_2", 50, 0)]  # the main-chain copy wins


def test_ingest_prices_every_response_to_the_same_float_as_the_table():
    # Ingest prices responses within the 200k tier from rates per model (``_rows.Costs``):
    # every model of the table, every kind of token alone and mixed, at and past the tier.
    prices = pricing.load_table()
    costs = _rows.Costs(prices)
    rng = random.Random(16)
    counts = [0, 1, 7, 4_321, 199_999, 200_000, 200_001, 1_250_000]
    models = [*prices.models, "claude-sonnet-4-5-20250929", "a-model-without-a-price", "llama3:8b"]
    for model in models:
        for _ in range(40):
            fresh, output, read, hour = (rng.choice(counts) for _ in range(4))
            written = hour + rng.choice(counts)
            for tiered in (True, False):
                want = prices.cost(model, fresh, output, written, read, cache_creation_1h_tokens=hour, tiered=tiered)
                got = costs(model, fresh, output, written, read, hour, tiered)
                assert got == want and type(got) is type(want), (model, fresh, output, written, read, hour, tiered)
