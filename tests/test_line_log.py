"""The hooks' and the status line agent's logs (``core.line_log``): the owner's alone, capped, never failing."""

import os
import stat
from pathlib import Path

import pytest

from llm_session_manager.core import line_log


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_log_and_its_dir_are_the_owners_alone_whatever_the_umask(tmp_path: Path, loose_umask):
    log = tmp_path / "data" / "hooks.log"
    line_log.append(log, "Stop: no log for\nsession s-1   yet")
    assert (_mode(log.parent), _mode(log)) == (0o700, 0o600)
    stamp, text = log.read_text().rstrip("\n").split(" ", 1)
    assert text == "Stop: no log for session s-1 yet"  # one line
    assert stamp[:2] == "20" and "T" in stamp


def test_a_log_an_older_version_left_readable_is_narrowed(tmp_path: Path, loose_umask):
    log = tmp_path / "statusline-agent.log"
    log.write_text("2026-12-01T10:00:00+0000 pid 1: started\n")
    log.chmod(0o644)
    line_log.append(log, "pid 2: started")
    assert _mode(log) == 0o600
    assert len(log.read_text().splitlines()) == 2


def test_a_full_log_moves_aside_and_starts_again(tmp_path: Path):
    log = tmp_path / "hooks.log"
    for n in range(40):
        line_log.append(log, f"line {n}", max_bytes=256)
    kept = log.read_text().splitlines()
    aside = (tmp_path / "hooks.log.1").read_text().splitlines()
    assert kept[-1].endswith("line 39")
    assert 0 < len(kept) < 40 and aside  # older lines went aside; at most one file of them is kept
    assert os.path.getsize(log) <= 256 + len(kept[-1]) + 1


def test_a_log_that_cannot_be_written_is_skipped_without_a_word(tmp_path: Path):
    (tmp_path / "data").write_text("a file where the data dir should be")
    line_log.append(tmp_path / "data" / "hooks.log", "Stop: lost")  # no exception
    assert not (tmp_path / "data").is_dir()
