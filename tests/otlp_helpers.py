"""What the OTLP receiver tests read back: the store a running ``serve`` writes, and the usage totals."""

from __future__ import annotations

import os
import time
from pathlib import Path

import apsw


def stored() -> apsw.Connection:
    """The store of the data dir the test runs in, read-only (``serve`` writes it)."""
    return apsw.Connection(str(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"), flags=apsw.SQLITE_OPEN_READONLY)


def wait_for(query: str, expected: object, seconds: float = 15) -> None:
    """Until ``query`` gives ``expected`` (a receiver stores after it answers), or fail at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            got = stored().execute(query).fetchall()
        except apsw.Error:
            got = None
        if got == expected:
            return
        assert time.monotonic() < deadline, f"{query} gave {got}, not {expected}"
        time.sleep(0.05)


def totals(cli, *args: str) -> dict:
    r = cli("usage", "--json", "--no-scan", *args)
    assert r.code == 0, r.err
    return r.json()["totals"]
