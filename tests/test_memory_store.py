"""The memory store: a v1 database upgraded in place, concurrent and interrupted imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import apsw
import pytest

from llm_session_manager.services import memory
from llm_session_manager.store import SCHEMA_VERSION, connect

# schema.sql is the version 1 baseline; later versions only add migrations.
V1_SCHEMA = (Path(__file__).parent.parent / "server/llm_session_manager/store/schema.sql").read_text()


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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
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


@pytest.mark.slow
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


def test_a_memory_s_word_pieces_are_stored_with_it_read_by_recall_and_forgotten_with_it(tmp_path):
    conn = connect(tmp_path / "s.db")
    kept = memory.remember(conn, "The DB pool timeout is 30 seconds after the deploy", project="p")
    memory.remember(conn, "The Redis cache TTL is one hour", project="p")
    sizes = dict(conn.execute("SELECT rid, length(pieces) / 2 FROM memory_pieces"))
    assert len(sizes) == 2 and all(n > 5 for n in sizes.values())

    first = memory.recall(conn, "database pool timeout", project="p")
    assert first[0].id == kept.id
    assert first[0].tokens == memory.records.tokens(kept.text) == max(sizes.values())

    # A store written before migration 035 has no pieces: recall tokenizes, to the same answer.
    conn.execute("DELETE FROM memory_pieces")
    assert [(m.id, m.score, m.tokens) for m in memory.recall(conn, "database pool timeout", project="p")] == [
        (m.id, m.score, m.tokens) for m in first]

    memory.remember(conn, "The login endpoint retries 3 times", project="p")
    memory.forget(conn, memory.list_memories(conn)[0].id)
    assert conn.execute("SELECT count(*) FROM memory_pieces").fetchone()[0] == 0
