"""The store: one SQLite file that several processes share and nothing corrupts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llm_session_manager.core.errors import StoreCorrupt, StoreError
from llm_session_manager.store import SCHEMA_VERSION, connect
from llm_session_manager.store.bulk import bulk_load, restore_indexes

SECONDARY = """SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
  AND tbl_name IN ('usage', 'messages', 'file_refs') AND name != 'usage_estimated' ORDER BY name"""


def test_a_new_store_is_wal_with_sqlite_vec_loaded(tmp_path):
    conn = connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT vec_version()").fetchone()[0].startswith("v")
    # vec0 tables work: the memory feature builds on them.
    conn.execute("CREATE VIRTUAL TABLE v USING vec0(embedding float[4])")
    conn.execute("INSERT INTO v(rowid, embedding) VALUES (1, '[1, 0, 0, 0]'), (2, '[0, 1, 0, 0]')")
    nearest = conn.execute(
        "SELECT rowid FROM v WHERE embedding MATCH '[0.9, 0.1, 0, 0]' ORDER BY distance LIMIT 1"
    ).fetchone()
    assert nearest == (1,)


def test_a_store_from_a_newer_program_is_refused(tmp_path):
    path = tmp_path / "s.db"
    connect(path).execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this program"):
        connect(path)


def test_a_file_that_is_not_a_database_is_never_overwritten(tmp_path):
    path = tmp_path / "s.db"
    path.write_bytes(b"\x00notsqlite" * 500)
    with pytest.raises(StoreCorrupt, match=r"is damaged.*llm-session doctor --recover"):
        connect(path)
    assert path.read_bytes() == b"\x00notsqlite" * 500


def test_a_data_dir_that_cannot_be_created_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create data directory"):
        connect(blocker / "sub" / "s.db")


def test_a_bulk_load_drops_secondary_indexes_and_puts_them_back(tmp_path):
    conn = connect(tmp_path / "s.db")
    before = conn.execute(SECONDARY).fetchall()
    assert before
    with bulk_load(conn, enabled=True):
        assert conn.execute(SECONDARY).fetchall() == []
    assert conn.execute(SECONDARY).fetchall() == before


def test_indexes_dropped_by_a_killed_load_come_back_on_the_next_one(tmp_path):
    path = tmp_path / "s.db"
    before = connect(path).execute(SECONDARY).fetchall()
    killed = subprocess.run([sys.executable, "-c", f"""
import os
from pathlib import Path
from llm_session_manager.store import connect
from llm_session_manager.store.bulk import bulk_load
with bulk_load(connect(Path({str(path)!r})), enabled=True):
    os._exit(9)  # killed half-way: no cleanup runs
"""])
    assert killed.returncode == 9
    conn = connect(path)
    assert conn.execute(SECONDARY).fetchall() == []
    restore_indexes(conn)
    assert conn.execute(SECONDARY).fetchall() == before
