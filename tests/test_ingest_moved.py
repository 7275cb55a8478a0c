"""A rescan of a long history stats the second half of its logs in a forked child
when a CPU is idle (``ingest/_moved.py``): every kind of change, in either half, is
still found, in the order the logs were discovered, and the answer is the one a
scan without the child gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llm_session_manager.ingest import _moved
from llm_session_manager.ingest._known_kept import stamp

PROVIDER = "claude-code"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Twice as many logs as the fork needs, 100 to a project directory, as discovery lists them."""
    base = tmp_path_factory.mktemp("history")
    paths = []
    for d in range(2 * _moved.FORK_AT // 100):
        project = base / f"-home-dev-project-{d:03d}"
        project.mkdir()
        for n in range(100):
            log = project / f"{d:03d}{n:05d}-0000-4000-8000-000000000000.jsonl"
            log.write_bytes(b'{"type":"user"}\n')
            paths.append(str(log))
    return paths


def _row(path: str, provider: str = PROVIDER, ctime: bool = True) -> bytes:
    st = os.stat(path)
    return stamp(provider, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns if ctime else None)


def test_every_change_in_either_half_of_a_long_history_is_found_in_order(history):
    known = {path: _row(path) for path in history}
    assert _moved.moved(history, PROVIDER, known) == []  # nothing changed: nothing to look at

    half = len(history) // 2
    appended, rewritten, replaced, deleted, unknown, other_provider, old_row = (
        history[half + 10], history[half + 210], history[half + 420], history[half + 630], history[7],
        history[half + 840], history[half + 1050])
    with open(appended, "ab") as f:
        f.write(b'{"type":"assistant"}\n')
    st = os.stat(rewritten)  # the same size and mtime: only its ctime moves
    Path(rewritten).write_bytes(b'{"type":"USER"}\n')
    os.utime(rewritten, ns=(st.st_atime_ns, st.st_mtime_ns))
    Path(replaced + ".new").write_bytes(b'{"type":"user"}\n')
    os.replace(replaced + ".new", replaced)
    os.unlink(deleted)
    del known[unknown]
    known[other_provider] = _row(other_provider, "codex")
    known[old_row] = _row(old_row, ctime=False)  # a row from before the store kept ctime: looked at closely

    # A log whose name is not UTF-8 in the child's half, appended too.
    project = os.path.dirname(history[-1]).encode()
    strange = os.fsdecode(project + b"/\xff\xfe-not-utf8.jsonl")
    Path(strange).write_bytes(b'{"type":"user"}\n')
    known[strange] = _row(strange)
    with open(strange, "ab") as f:
        f.write(b'{"type":"assistant"}\n')
    paths = [*history, strange]

    expected = [unknown, appended, rewritten, replaced, deleted, other_provider, old_row, strange]
    assert _moved.moved(paths, PROVIDER, known) == expected  # split, if a CPU was idle just then
    assert _moved._moved(paths, PROVIDER, known) == expected  # what this process alone finds
    assert _moved._Child(paths, PROVIDER, known).result() == expected  # and what a forked child sends back

