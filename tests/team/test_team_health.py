"""A member's push carries each session's health and context fill as ``list`` shows them on their
machine, and the team dashboard charts them as the local one does (docs/team.md#health)."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter

import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

FILL_EDGES = (25, 50, 75, 90)  # the dashboard's buckets (docs/web.md)


def _get(url: str, token: str) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def test_pushed_sessions_show_their_health_and_context_fill_on_the_team_dashboard(
        team_server, database_url, cli, fixture_logs) -> None:
    token, = enroll(database_url, "ann", "member", "laptop")
    assert cli("team", "join", team_server.url, "--token", token).code == 0
    pushed = cli("team", "push", "--json")
    assert pushed.code == 0, pushed.err
    local = {s["id"]: s for s in cli("list", "--json", "--no-scan").json()}

    team = {s["id"]: s for s in _get(f"{team_server.url}/api/sessions", token)}  # type: ignore[union-attr]
    assert team.keys() == local.keys()
    for sid, s in local.items():
        assert (team[sid]["health_status"], team[sid]["health_score"]) == (s["health"]["status"], s["health"]["score"])
        assert (team[sid]["context_used"], team[sid]["context_limit"], team[sid]["context_percent"],
                team[sid]["context_source"]) == (s["context"]["used"], s["context"]["limit"],
                                                 s["context"]["percent"], s["provenance"]["context"])
    assert {s["context_source"] for s in team.values()} >= {"exact"}  # a log's own counts, labelled so

    view = _get(f"{team_server.url}/dashboard/api/view", token)
    overview = view["overview"]  # type: ignore[index]
    statuses = Counter(s["health"]["status"] for s in local.values())
    assert overview["health"] == [{"label": k, "count": statuses[k]} for k in ("healthy", "warning", "critical")]
    fills = Counter(sum(s["context"]["percent"] >= e for e in FILL_EDGES) for s in local.values())
    assert [b["count"] for b in overview["context_fill"]] == [fills[i] for i in range(len(FILL_EDGES) + 1)]
    grid = {s["id"]: s for s in view["sessions"]}  # type: ignore[index]
    for sid, s in local.items():
        assert grid[sid]["health"]["status"] == s["health"]["status"]
        assert grid[sid]["context"] == s["context"]
        assert grid[sid]["provenance"] == s["provenance"]  # tokens, cost and fill labelled as list labels them
