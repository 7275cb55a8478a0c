"""The team tests' fixtures: a real PostgreSQL server: started from the server binaries in a
temporary directory, on a free loopback port, stopped at the end.

PostgreSQL refuses to run as root, so where the tests run as root (CI, these
machines) the cluster belongs to ``nobody``: its directory is made theirs and
``initdb``/``pg_ctl`` run through ``runuser``. The binaries are Debian's
(``/usr/lib/postgresql/<ver>/bin``, from ``make system-deps``) or the first
``initdb`` on PATH. Each test gets a database of its own, so no test sees
another's rows and no run reuses an earlier one's. Test modules import the
fixtures by name (a conftest.py here would shadow the one above for the
modules that import from it).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_RUN_AS = "nobody"


def binaries() -> Path | None:
    """The directory of ``initdb``, ``pg_ctl`` and ``postgres``, newest version first; None if absent."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name),
                   reverse=True)
    if found:
        return found[0].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One PostgreSQL server; ``database()`` makes a fresh database and returns its URL."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="lsm-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            user = pwd.getpwnam(_RUN_AS)
            os.chown(self.root, user.pw_uid, user.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", _RUN_AS, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)
        if proc.returncode:
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr or proc.stdout}")
        return proc

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
                  "--no-instructions")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "-t", "60",
                  "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> Cluster:
    """The test session's one PostgreSQL server, started by the first test that needs it.

    Kept on the pytest config rather than in the fixture's own cache: each test
    module imports this fixture, and pytest would otherwise start one per module.
    """
    cluster = getattr(request.config, "_team_postgres", None)
    if cluster is None:
        found = binaries()
        if found is None:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL's server binaries are missing on CI: 'make system-deps' installs them")
            pytest.skip("PostgreSQL's server binaries are not installed "
                        "(make system-deps, or apt-get install postgresql)")
        cluster = Cluster(found)
        cluster.start()
        request.config.add_cleanup(cluster.stop)
        request.config._team_postgres = cluster  # type: ignore[attr-defined]
    return cluster


@pytest.fixture
def database_url(postgres: Cluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database of this test's own, named by ``DATABASE_URL`` for the CLI it runs."""
    url = postgres.database()
    monkeypatch.setenv("DATABASE_URL", url)
    return url


class TeamServer:
    """``llm-session team serve`` in a subprocess on a free loopback port."""

    def __init__(self, database_url: str, port: int = 0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llm_session_manager", "team", "serve", "--database-url", database_url,
             "--port", str(port)], stderr=subprocess.PIPE, text=True, env={**os.environ, "TZ": "UTC"})
        self.url = self._wait_listening()
        self.port = int(self.url.rsplit(":", 1)[1])

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
def team_server(database_url: str) -> Iterator[TeamServer]:
    """A team server on a fresh database, initialised as ``team init-db`` does (its own test runs the command)."""
    from llm_session_manager.team import db

    with db.connect(database_url) as conn:
        db.migrate(conn)
    server = TeamServer(database_url)
    yield server
    server.stop()


def enroll(database_url: str, user: str, role: str, *devices: str) -> list[str]:
    """``user`` added with ``role`` and a token made for each device, as ``team user add`` and
    ``team token create`` do (their own tests run the commands); the tokens."""
    from llm_session_manager.team import admin, db

    with db.connect(database_url) as conn:
        admin.add_user(conn, user, role)
        return [admin.create_token(conn, user, device).token for device in devices]
