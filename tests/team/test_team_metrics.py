"""A Prometheus scrapes the team server's ``/metrics`` with an admin's device token and reads the
team's totals, users, devices and pushes; a member's token is refused (docs/team.md#metrics)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow


def call(url: str, token: str | None, body: object = None, accept: str = "") -> tuple[int, str, str]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
               **({"Accept": accept} if accept else {})}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_a_prometheus_with_an_admins_token_reads_the_teams_totals(team_server, database_url) -> None:
    laptop, scraper = enroll(database_url, "ann", "admin", "laptop", "prometheus")
    (bob,) = enroll(database_url, "bob", "member", "desktop")
    row = ["claude-code", 1.76e9, "claude-sonnet-4-5", 10, 20, 30, 40, 0, 0.5, 1, True, False]
    for token, client, keys in ((laptop, "ann-pc", ["a", "b"]), (bob, "bob-pc", ["b", "c"])):  # b on both
        status, _, answer = call(team_server.url + "/api/push", token,
                                 {"client_id": client, "usage": [[k, "s1", *row] for k in keys]})
        assert status == 200, answer

    status, content_type, text = call(team_server.url + "/metrics", scraper)

    assert status == 200 and content_type.startswith("text/plain"), text
    found = samples(text)
    model = (("model", "claude-sonnet-4-5"), ("provider", "claude-code"))
    assert found[("llm_session_team_tokens_total", (*model, ("type", "input")))] == 30  # three responses, b once
    assert found[("llm_session_team_tokens_total", (*model, ("type", "cache_read")))] == 120
    assert found[("llm_session_team_cost_usd_total", model)] == 1.5
    assert found[("llm_session_team_responses_total", model)] == 3
    assert found[("llm_session_team_users", (("role", "admin"),))] == 1
    assert found[("llm_session_team_users", (("role", "member"),))] == 1
    assert found[("llm_session_team_devices", ())] == 3
    assert found[("llm_session_team_pushes_total", ())] == 2
    assert 0 <= found[("llm_session_team_last_push_age_seconds", ())] < 60

    openmetrics = call(team_server.url + "/metrics", scraper, accept="application/openmetrics-text; version=1.0.0")
    assert openmetrics[1].startswith("application/openmetrics-text") and openmetrics[2].endswith("# EOF\n")
    assert call(team_server.url + "/metrics", bob)[0] == 403  # a member may not read the whole team's figures
    assert call(team_server.url + "/metrics", None)[0] == 401
