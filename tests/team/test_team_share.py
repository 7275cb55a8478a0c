"""``share`` and ``team grants``: a member shares one session, then a whole project, with another
member, whose team usage and session list then hold exactly that, until the grant is revoked; each
act is in the audit log (docs/team.md, "Grants")."""

from __future__ import annotations

import json
import urllib.request

import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow


def _get(url: str, token: str) -> object:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def test_sharing_a_session_then_a_project_shows_exactly_that_to_the_other_member(
        team_server, database_url, cli, fixture_logs, tmp_path) -> None:
    ann, = enroll(database_url, "ann", "member", "laptop")
    bob, = enroll(database_url, "bob", "member", "desktop")
    bobs = {"LLM_SESSION_DATA_DIR": str(tmp_path / "bob-data")}
    assert cli("team", "join", team_server.url, "--token", ann).code == 0
    assert cli("team", "join", team_server.url, "--token", bob, env=bobs).code == 0
    assert cli("team", "push").code == 0

    def bobs_total() -> int:
        return cli("team", "usage", "--by", "model", "--json", env=bobs).json()["totals"]["total_tokens"]

    assert bobs_total() == 0
    by_session = {r["key"]: r["total_tokens"] for r in
                  cli("usage", "--by", "session", "--json", "--no-scan").json()["rows"]}
    sid = max(by_session, key=by_session.__getitem__)
    shared = cli("share", sid[:8], "--with", "bob", "--json")
    assert shared.code == 0, shared.err
    grant = shared.json()
    assert (grant["resource"], grant["user"], grant["owner"], grant["access"]) == (sid, "bob", "ann", "read")
    assert bobs_total() == by_session[sid]
    assert [s["id"] for s in _get(team_server.url + "/api/sessions", bob)] == [sid]
    listed = cli("team", "grants", "--json", env=bobs).json()
    assert [(g["owner"], g["resource"], g["access"]) for g in listed] == [("ann", sid, "read")]

    again = cli("share", sid, "--with", "bob", "--write", "--json").json()
    assert again["id"] == grant["id"] and again["access"] == "write"
    gone = cli("share", sid, "--with", "bob", "--revoke", "--json")
    assert gone.code == 0 and gone.json()["id"] == grant["id"]
    assert bobs_total() == 0 and _get(team_server.url + "/api/sessions", bob) == []
    missing = cli("share", sid, "--with", "bob", "--revoke")
    assert missing.code == 1 and missing.err.count("\n") == 1 and "no grant" in missing.err

    mine = _get(team_server.url + "/api/sessions", ann)
    project = next(s["project"] for s in mine if s["id"] == sid)
    assert cli("share", project, "--project", "--with", "bob").code == 0
    in_project = sorted(s["id"] for s in mine if s["project"] == project)
    assert sorted(s["id"] for s in _get(team_server.url + "/api/sessions", bob)) == in_project
    assert bobs_total() == sum(by_session.get(s, 0) for s in in_project) > 0

    acts = [(e["actor"], e["action"], e["resource"]) for e in _get(team_server.url + "/api/audit", ann)]
    assert ("ann", "grant.create", f"session:{sid}") in acts and ("ann", "grant.revoke", f"session:{sid}") in acts
    assert ("ann", "grant.create", f"project:{project}") in acts
