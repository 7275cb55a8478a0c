"""``serve`` pushes to the team server it joined after its scans: while the server is
down it says so and backs off, and once the server is back what was logged meanwhile
arrives, nothing lost or doubled."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from conftest import append_codex_turn
from team_fixtures import TeamServer, database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow


def _until(done: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.2)


def test_serve_pushes_after_its_scans_and_catches_up_after_the_server_was_down(
        team_server, database_url, cli, fixture_logs, start_serve) -> None:
    token, = enroll(database_url, "ann", "member", "laptop")
    assert cli("team", "join", team_server.url, "--token", token).code == 0
    start_serve(scan_interval=1)

    def team_has_all() -> bool:
        team = cli("team", "usage", "--by", "day", "--json")
        return team.code == 0 and team.json() == cli("usage", "--by", "day", "--json", "--no-scan").json()

    _until(team_has_all, 30, "serve pushed what it scanned")

    port = team_server.port
    team_server.stop()
    append_codex_turn(fixture_logs.recent, "2026-02-23T12:00:00.000Z", 12_000, 800)
    _until(lambda: any("team push: cannot reach the team server" in line for line in start_serve.lines), 30,
           "serve said the team server is out of reach")

    back = TeamServer(database_url, port)
    try:
        _until(team_has_all, 60, "serve pushed what was logged while the team server was down")
    finally:
        back.stop()
