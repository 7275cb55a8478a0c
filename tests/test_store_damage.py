"""A store damaged in the middle of the file, or on a full disk: one clear line, nothing lost.

The damage is real: bytes of one page of a real store overwritten, as a bad
sector or a half-written copy leaves them. The full disk is real too: the data
directory on a small tmpfs, filled up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import apsw
import pytest
from damage import damage_page


def _db() -> Path:
    return Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"


def _first_session(cli) -> str:
    r = cli("list", "--no-scan", "--json")
    assert r.code == 0, r.err
    return r.json()[0]["id"]


def test_a_page_damaged_mid_file_is_one_line_and_doctor_recover_brings_memories_and_tags_back(store, cli):
    session = _first_session(cli)
    assert cli("tag", session, "release-blocker").code == 0
    remembered = cli("remember", "the staging database password rotates on Mondays", "--json").json()["id"]
    db = _db()
    damage_page(db, "sessions")
    damaged = db.read_bytes()

    r = cli("list")
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith(f"error: the database {db} is damaged")
    assert "memories, tags and projects live only in that file" in line
    assert "llm-session doctor --recover" in line

    r = cli("doctor")
    assert r.code == 1 and "is damaged" in r.err and "internal error" not in r.err
    assert db.read_bytes() == damaged  # checking reads, never writes

    r = cli("doctor", "--recover", "--json")
    assert r.code == 0, r.err
    recovered = r.json()["recovered"]
    assert recovered["tables"]["memories"] == 1 and recovered["tables"]["tags"] == 1
    assert "sessions" in recovered["incomplete"]
    aside = Path(recovered["damaged_copy"])
    assert aside.parent == db.parent and aside.read_bytes() == damaged  # moved, never deleted

    assert cli("doctor").code == 0
    # The scan reads the logs again: the sessions the damage hid come back, with their tags.
    listed = cli("list", "--json")
    assert listed.code == 0, listed.err
    assert {s["id"] for s in listed.json()} == {s["id"] for s in cli("list", "--json").json()}
    assert len(listed.json()) == store["sessions"]
    assert next(s for s in listed.json() if s["id"] == session)["tags"] == ["release-blocker"]
    recalled = cli("recall", "staging password", "--json").json()
    assert [m["id"] for m in recalled] == [remembered]


def test_rows_on_both_sides_of_a_damaged_page_are_recovered(store, cli):
    session = _first_session(cli)
    tags = [f"ticket-{n:05d}" for n in range(3000)]  # several pages of tags
    assert cli("tag", session, *tags).code == 0
    damage_page(_db(), "tags", which=1)

    r = cli("doctor", "--recover")
    assert r.code == 0, r.err
    assert "tags" in r.out and "moved to" in r.out

    kept = next(s for s in cli("list", "--json").json() if s["id"] == session)["tags"]
    assert tags[0] in kept and tags[-1] in kept  # read from the front and from the back
    assert len(tags) - 1000 < len(kept) < len(tags)  # only the damaged page's rows are gone


def test_a_healthy_store_is_left_alone_by_doctor_recover(store, cli):
    before = sorted(p.name for p in _db().parent.iterdir())
    r = cli("doctor", "--recover")
    assert r.code == 0 and "nothing to recover" in r.out
    assert sorted(p.name for p in _db().parent.iterdir()) == before


# --- a full disk -----------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """The data directory on a 16 MB tmpfs (root can mount one; elsewhere the test is skipped)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=False,
                             capture_output=True, text=True) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip() if mounted else 'no mount'}")
    monkeypatch.setenv("LLM_SESSION_DATA_DIR", str(mount / "data"))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        while True:  # the last few bytes too
            try:
                os.write(fd, b"\0")
            except OSError:
                break
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_says_so_with_the_path_and_loses_nothing(fixture_logs, small_disk, cli):
    assert cli("scan").code == 0
    first = cli("remember", "deploys go out on Tuesdays", "--json").json()["id"]
    # An editor's language server keeps the store open, so its journal files exist.
    held = apsw.Connection(str(_db()))
    held.execute("SELECT count(*) FROM sessions").fetchall()
    filler = _fill(small_disk)

    r = cli("remember", "rollbacks need two approvals " + "and a ticket " * 2000)
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith("error: disk full: no space left") and str(_db()) in line

    filler.unlink()
    held.close()
    assert [m["id"] for m in cli("memory", "list", "--json").json()] == [first]
    assert cli("remember", "rollbacks need two approvals", "--json").code == 0
    assert len(cli("memory", "list", "--json").json()) == 2


def test_a_store_missing_a_table_is_one_line_and_doctor_recover_completes_it(fixture_logs, cli):
    assert cli("list", "--no-scan", "--json").code == 0  # a new, empty store
    db = _db()
    conn = apsw.Connection(str(db))
    conn.execute("DROP TABLE template_plans")  # as another program or version might leave it
    conn.close()

    r = cli("usage", "--json")  # its scan finds new sessions, which may adopt a template's plan
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith(f"error: the database {db} lacks part of its schema (no such table: template_plans)")
    assert "llm-session doctor --recover" in line

    assert cli("doctor", "--recover", "--json").code == 0
    r = cli("usage", "--json")
    assert r.code == 0, r.err
    assert r.json()["rows"]
