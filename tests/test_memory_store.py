"""The memory store: a v1 database upgraded in place, concurrent and interrupted imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import apsw

from llm_session_manager.services import memory
from llm_session_manager.store import SCHEMA_VERSION, connect

# server/llm_session_manager/store/schema.sql as released at schema version 1.
V1_SCHEMA = """
-- The whole schema at SCHEMA_VERSION (store/connection.py). A fresh database is
-- made from this file; older ones are brought up to date by migrations/NNN_*.sql.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;

-- Where each log file was read up to. ``head`` is a hash of its first bytes,
-- so a file replaced under the same name (rotation) is read again from 0.
CREATE TABLE source_files (
    path     TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    inode    INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    offset   INTEGER NOT NULL,
    head     BLOB,
    state    BLOB
) WITHOUT ROWID;

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    provider       TEXT NOT NULL,
    cwd            TEXT,
    project        TEXT,
    title          TEXT,
    model          TEXT,
    git_branch     TEXT,
    version        TEXT,
    started_at     REAL,
    last_activity  REAL,
    -- the latest main-chain turn: how full the context window is now
    context_ts     REAL,
    context_tokens INTEGER,
    context_window INTEGER
) WITHOUT ROWID;

CREATE TABLE usage (
    dedup_key             TEXT NOT NULL UNIQUE,
    session_id            TEXT NOT NULL,
    ts                    REAL NOT NULL,
    model                 TEXT NOT NULL,
    input_tokens          INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    cost_usd              REAL NOT NULL,
    priced                INTEGER NOT NULL,  -- 1: from our pricing table; 0: the log's own figure
    exact                 INTEGER NOT NULL,
    sidechain             INTEGER NOT NULL
);
CREATE INDEX usage_session ON usage (session_id);

CREATE TABLE messages (
    key        TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    ts         REAL NOT NULL,
    role       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX messages_session ON messages (session_id, ts);

CREATE TABLE file_refs (
    key        TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    ts         REAL NOT NULL,
    path       TEXT NOT NULL,
    action     TEXT NOT NULL
);
CREATE INDEX file_refs_session ON file_refs (session_id);

CREATE TABLE tags (
    session_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (session_id, tag)
) WITHOUT ROWID;

-- Token counts of text without usage numbers, by content hash, so the
-- Anthropic count-tokens API is asked once per distinct text.
CREATE TABLE token_counts (
    hash   TEXT NOT NULL,
    model  TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    method TEXT NOT NULL,
    PRIMARY KEY (hash, model)
) WITHOUT ROWID;
"""


def _v1_store(path: Path) -> None:
    conn = apsw.Connection(str(path))
    conn.execute(V1_SCHEMA)
    conn.execute("INSERT INTO sessions (id, provider, cwd, project) VALUES ('s1', 'codex', '/w', 'w')")
    conn.execute("INSERT INTO messages (key, session_id, ts, role, kind, text) "
                 "VALUES ('k1', 's1', 1.0, 'user', 'prompt', 'Always use uv to install packages')")
    conn.execute("INSERT INTO tags VALUES ('s1', 'keep')")
    conn.execute("PRAGMA user_version=1")
    conn.close()


def _schema(conn) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


def test_a_v1_store_is_upgraded_in_place_with_its_data_intact(tmp_path):
    path = tmp_path / "old.db"
    _v1_store(path)
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert conn.execute("SELECT id, project FROM sessions").fetchall() == [("s1", "w")]
    assert conn.execute("SELECT tag FROM tags").fetchall() == [("keep",)]
    # The upgraded store has exactly what a fresh one has, and memory works in it.
    assert _schema(conn) == _schema(connect(tmp_path / "fresh.db"))
    found = memory.memorize(conn, None, "s1")
    assert [m.text for m in found] == ["Always use uv to install packages"]
    assert [m.id for m in memory.recall(conn, "install packages")] == [found[0].id]


def _write_jsonl(path: Path, start: int, stop: int, prefix: str = "m") -> Path:
    with path.open("w") as f:
        for i in range(start, stop):
            f.write(json.dumps({"id": f"{prefix}{i}", "text": f"Fact {i}: service {i % 97} talks to queue {i}",
                                "project": f"p{i % 3}"}) + "\n")
    return path


def test_two_processes_importing_at_once_lose_nothing(tmp_path):
    a = _write_jsonl(tmp_path / "a.jsonl", 0, 2500)
    b = _write_jsonl(tmp_path / "b.jsonl", 2000, 4500)  # 500 lines in common
    cmd = [sys.executable, "-m", "llm_session_manager", "memory", "import", "--json"]
    procs = [subprocess.Popen([*cmd, str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in (a, b)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sum(r["imported"] for r in results) == 4500
    assert sum(r["skipped"] for r in results) == 500
    conn = connect()
    assert conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 4500
    assert conn.execute("SELECT count(*) FROM memories_vec").fetchone()[0] == 4500
    assert conn.execute("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH 'queue'").fetchone()[0] == 4500


KILLER = """
import os, sys
from pathlib import Path
from llm_session_manager.services import memory
from llm_session_manager.store import connect

def die_after_first_batch(done, total):
    os._exit(3)  # as if killed: no cleanup, no commit of anything later

memory.import_jsonl(connect(), Path(sys.argv[1]), progress=die_after_first_batch)
"""


def test_an_import_killed_midway_completes_when_rerun(tmp_path, cli):
    path = _write_jsonl(tmp_path / "big.jsonl", 0, 2600)
    killed = subprocess.run([sys.executable, "-c", KILLER, str(path)], capture_output=True, text=True,
                            env=os.environ, timeout=300)
    assert killed.returncode == 3, killed.stderr
    conn = connect()
    first = conn.execute("SELECT count(*) FROM memories").fetchone()[0]
    assert 0 < first < 2600
    r = cli("memory", "import", str(path), "--json")
    assert r.code == 0, r.err
    assert r.json() == {"imported": 2600 - first, "skipped": first, "malformed": 0}
    assert conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 2600
    assert conn.execute("SELECT count(*) FROM memories_vec").fetchone()[0] == 2600
    assert conn.execute("SELECT count(*) FROM memories WHERE embedded = 0").fetchone()[0] == 0
