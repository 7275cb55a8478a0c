"""Who may come in and what they see: users, roles and device tokens kept hashed and
revocable, against a real PostgreSQL (docs/team.md)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import psycopg
import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

from llm_session_manager.team import db

pytestmark = pytest.mark.slow


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_init_db_twice_changes_nothing_the_second_time(database_url, cli) -> None:
    first = cli("team", "init-db", "--json")
    assert first.code == 0, first.err
    assert first.json() == {"schema_version": db.SCHEMA_VERSION, "was": 0}
    again = cli("team", "init-db", "--json")
    assert again.json() == {"schema_version": db.SCHEMA_VERSION, "was": db.SCHEMA_VERSION}


def test_tokens_are_kept_hashed_and_stop_working_once_revoked(team_server, database_url, cli) -> None:
    assert cli("team", "user", "add", "ann", "--role", "member").code == 0
    token = cli("team", "token", "create", "--user", "ann", "--device", "laptop", "--json").json()["token"]
    with psycopg.connect(database_url) as conn:
        stored = [bytes(h) for (h,) in conn.execute("SELECT sha256 FROM tokens")]
        dump = repr(conn.execute("SELECT * FROM tokens").fetchall())
    assert len(stored) == 1 and len(stored[0]) == 32 and token not in dump

    assert _get(team_server.url + "/api/usage", token)[0] == 200
    revoked = cli("team", "token", "revoke", "--user", "ann", "--device", "laptop", "--json")
    assert revoked.json() == {"user": "ann", "device": "laptop", "tokens": 1}
    status, body = _get(team_server.url + "/api/usage", token)
    assert status == 401 and "revoked" in body["error"]

    assert cli("team", "join", team_server.url, "--token", token).code == 0
    pushed = cli("team", "push")
    assert pushed.code == 1
    assert pushed.err.count("\n") == 1 and "refused (401)" in pushed.err


def test_every_api_route_asks_for_a_token(team_server) -> None:
    status, body = _get(team_server.url + "/api/usage")
    assert status == 401 and "Bearer" in body["error"]
    req = urllib.request.Request(team_server.url + "/api/push", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == 401


def test_a_member_sees_only_their_own_usage_and_a_viewer_cannot_push(team_server, database_url, cli,
                                                                    fixture_logs) -> None:
    tokens = {name: enroll(database_url, name, role, "pc")[0]
              for name, role in (("ann", "member"), ("bob", "member"), ("vic", "viewer"), ("root", "admin"))}
    assert cli("team", "join", team_server.url, "--token", tokens["ann"]).code == 0
    pushed = cli("team", "push", "--json")
    assert pushed.code == 0, pushed.err
    assert pushed.json()["usage_new"] > 0

    own = _get(team_server.url + "/api/usage?by=model", tokens["ann"])[1]
    assert own["totals"]["total_tokens"] == cli("usage", "--by", "model", "--json", "--no-scan").json()["totals"][
        "total_tokens"]
    for other in ("bob", "vic"):
        assert _get(team_server.url + "/api/usage?by=day", tokens[other])[1]["rows"] == []
    assert _get(team_server.url + "/api/usage?by=day", tokens["root"])[1]["totals"] == own["totals"]

    assert cli("team", "join", team_server.url, "--token", tokens["vic"]).code == 0
    refused = cli("team", "push")
    assert refused.code == 1 and "viewer" in refused.err


def test_a_token_copied_to_a_second_machine_is_refused_there(team_server, database_url, cli, tmp_path) -> None:
    token, = enroll(database_url, "ann", "member", "laptop")
    assert cli("team", "join", team_server.url, "--token", token).code == 0
    assert cli("team", "push").code == 0
    elsewhere = {"LLM_SESSION_DATA_DIR": str(tmp_path / "other-data")}
    assert cli("team", "join", team_server.url, "--token", token, env=elsewhere).code == 0
    copied = cli("team", "push", env=elsewhere)
    assert copied.code == 1 and "another machine" in copied.err


def test_serve_refuses_plain_http_beyond_loopback_unless_told(cli) -> None:
    r = cli("team", "serve", "--host", "0.0.0.0", "--database-url", "postgresql://nobody@127.0.0.1:1/none")
    assert r.code == 1
    assert r.err.startswith("error: refusing plain HTTP on 0.0.0.0") and "--insecure" in r.err
    told = cli("team", "serve", "--host", "0.0.0.0", "--insecure", "--database-url",
               "postgresql://nobody@127.0.0.1:1/none")
    assert told.code == 1 and "cannot connect to the team database" in told.err  # it got past the check
