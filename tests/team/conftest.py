"""The team tests' PostgreSQL: one server per test session, a fresh database per test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from pg_cluster import Cluster, binaries


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    found = binaries()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server binaries are missing on CI: 'make system-deps' installs them")
        pytest.skip("PostgreSQL's server binaries are not installed (make system-deps, or apt-get install postgresql)")
    cluster = Cluster(found)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def database_url(postgres: Cluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database of this test's own, named by ``DATABASE_URL`` for the CLI it runs."""
    url = postgres.database()
    monkeypatch.setenv("DATABASE_URL", url)
    return url


class TeamServer:
    """``llm-session team serve`` in a subprocess on a free loopback port."""

    def __init__(self, database_url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llm_session_manager", "team", "serve", "--database-url", database_url,
             "--port", "0"], stderr=subprocess.PIPE, text=True, env={**os.environ, "TZ": "UTC"})
        self.url = self._wait_listening()

    def _wait_listening(self) -> str:
        assert self.proc.stderr is not None
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(r"listening at (http://\S+)", line)
            if m:
                threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # keep the pipe drained
                return m.group(1).rstrip(",")
        self.proc.kill()
        raise AssertionError("team serve did not start: " + "".join(seen))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def team_server(database_url: str, cli) -> Iterator[TeamServer]:
    """A team server on a fresh, initialised database."""
    r = cli("team", "init-db")
    assert r.code == 0, r.err
    server = TeamServer(database_url)
    yield server
    server.stop()
