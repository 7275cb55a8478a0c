"""Offline first: a push cut off by a network that went down says so in one line and
exits non-zero; the next push, once the server is reachable, sends the rest, nothing
lost or doubled."""

from __future__ import annotations

import pytest
from held_proxy import HeldProxy
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow


def test_a_push_cut_off_half_way_is_resumed_by_the_next(team_server, database_url, cli, fixture_logs) -> None:
    token, = enroll(database_url, "ann", "member", "laptop")
    proxy = HeldProxy(team_server.url, down_from=2)  # two responses get through, then nothing
    assert cli("team", "join", proxy.url, "--token", token).code == 0

    cut = cli("team", "push", "--batch-size", "2")
    assert cut.code == 1
    assert cut.err.startswith(f"error: cannot reach the team server at {proxy.url}") and cut.err.count("\n") == 1

    proxy.down_from = 0
    pushed = cli("team", "push", "--batch-size", "2", "--json")
    assert pushed.code == 0, pushed.err
    assert pushed.json()["usage_new"] == pushed.json()["usage"] > 0  # the rest, and only the rest
    team = cli("team", "usage", "--by", "day", "--json").json()
    assert team == cli("usage", "--by", "day", "--json", "--no-scan").json()
    far_east = {"TZ": "Pacific/Kiritimati"}  # UTC+14: most of these days move on by one; the server runs in UTC
    assert cli("team", "usage", "--by", "day", "--json", env=far_east).json() == \
        cli("usage", "--by", "day", "--json", "--no-scan", env=far_east).json()
    proxy.close()
