"""Chat bots on the team server: a chat account sees nothing until it is linked to a team user,
then what that user may see (an admin the team's sessions, a member their own devices' and those
granted to them), by the access rule the web's routes ask.

A real ``team serve`` on a real PostgreSQL; two users push a session each over
the push API; Slack slash commands are signed as Slack signs them with a secret
made here (tests/test_chat_bots.py covers each platform's signing on ``serve``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import msgspec
import pytest
from team_fixtures import TeamServer, database_url, enroll, postgres  # noqa: F401 -- fixtures

from llm_session_manager.core.team_wire import PUSH_PATH, PushBatch, PushSession, PushUsage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chat"
WORKSPACE = "T0001"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _push(server: TeamServer, token: str, sid: str, title: str, tokens: int, client: str = "") -> None:
    now = time.time()
    batch = PushBatch(client_id=client or f"client-{sid}",
                      sessions=[PushSession(sid, "claude-code", "shop", "/home/dev/shop", title,
                                            "claude-sonnet-4-5-20250929", now - 600, now - 60)],
                      usage=[PushUsage(f"msg_{sid}:req_{sid}", sid, "claude-code", now - 60,
                                       "claude-sonnet-4-5-20250929", tokens, 0, 0, 0, 0, 0.01, 1, True, False)])
    status, _ = _post(server.url + PUSH_PATH, msgspec.json.encode(batch),
                      {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert status == 200


@pytest.fixture
def bot(database_url, tmp_path, monkeypatch):
    from llm_session_manager.team import db

    with db.connect(database_url) as conn:
        db.migrate(conn)
    secret = secrets.token_hex(16)
    monkeypatch.setenv("TEAM_SLACK_SECRET", secret)
    config = tmp_path / "config.yaml"
    config.write_text("chat:\n  slack: {signing_secret_env: TEAM_SLACK_SECRET}\n", encoding="utf-8")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    server = TeamServer(database_url)
    try:
        [ann] = enroll(database_url, "ann", "admin", "laptop")
        [bob] = enroll(database_url, "bob", "member", "desk")
        _push(server, ann, "a1111111-0000-4000-8000-000000000001", "Ann's refactor", 1000)
        _push(server, bob, "b2222222-0000-4000-8000-000000000002", "Bob's bug hunt", 250)

        def ask(user: str, text: str, tamper: bool = False) -> tuple[int, dict]:
            fields = json.loads((FIXTURES / "slack_command.json").read_text()) | {
                "text": text, "user_id": user, "team_id": WORKSPACE}
            body = urllib.parse.urlencode(fields).encode()
            timestamp = str(int(time.time()))
            digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
            sent = body.replace(b"U0BOB", b"U0ANN") if tamper else body  # posing as another user
            return _post(server.url + "/chat/slack/commands", sent, {
                "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": f"v0={digest}"})

        def grant(owner: str, sid: str, user: str) -> None:
            status, _ = _post(server.url + "/api/grants", json.dumps({"user": user, "session": sid}).encode(), {
                "Authorization": f"Bearer {tokens[owner]}", "Content-Type": "application/json"})
            assert status == 201

        tokens = {"ann": ann, "bob": bob}
        ask.grant = grant  # type: ignore[attr-defined]
        ask.server = server  # type: ignore[attr-defined]
        yield ask
    finally:
        server.stop()


def _titles(reply: dict) -> list[str]:
    return [b["text"]["text"].split("\n")[0].strip("*") for b in reply["blocks"]
            if b["type"] == "section" and "fields" in b and "text" in b]


def test_an_unlinked_chat_user_sees_only_how_to_link(bot) -> None:
    status, reply = bot("U0STRANGER", "sessions")
    assert status == 200
    assert reply["blocks"][0]["text"]["text"] == "Not linked yet"
    assert "Ann" not in json.dumps(reply) and "Bob" not in json.dumps(reply)


def test_an_admin_linked_by_an_admin_sees_the_team(bot, cli, database_url) -> None:
    r = cli("team", "chat", "link", "--platform", "slack", "--workspace", WORKSPACE, "--chat-user", "U0ANN",
            "--user", "ann", "--json")
    assert r.code == 0, r.err
    assert r.json() == {"platform": "slack", "workspace": WORKSPACE, "chat_user": "U0ANN", "user": "ann"}
    status, reply = bot("U0ANN", "sessions")
    assert status == 200
    assert sorted(_titles(reply)) == ["Ann's refactor", "Bob's bug hunt"]


def test_a_member_links_with_a_one_time_code_and_sees_only_their_own(bot, cli) -> None:
    issued = cli("team", "chat", "link-code", "--user", "bob", "--json")
    assert issued.code == 0, issued.err
    code = issued.json()["code"]
    status, reply = bot("U0BOB", f"link {code}")
    assert status == 200 and reply["blocks"][0]["text"]["text"] == "Linked"
    assert bot("U0EVE", f"link {code}")[1]["blocks"][0]["text"]["text"] == "Not linked"  # used once

    assert _titles(bot("U0BOB", "sessions")[1]) == ["Bob's bug hunt"]
    usage = bot("U0BOB", "usage today")[1]
    fields = [f["text"] for b in usage["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    assert "*Total tokens*\n250" in fields  # Ann's 1,000 are not Bob's to see
    assert bot("U0BOB", "sessions", tamper=True)[0] == 401


def test_a_session_granted_to_a_member_is_among_their_chat_sessions(bot, cli) -> None:
    assert cli("team", "chat", "link", "--platform", "slack", "--workspace", WORKSPACE, "--chat-user", "U0BOB",
               "--user", "bob").code == 0
    assert _titles(bot("U0BOB", "sessions")[1]) == ["Bob's bug hunt"]
    bot.grant("ann", "a1111111-0000-4000-8000-000000000001", "bob")  # as `llm-session share` asks the server
    assert sorted(_titles(bot("U0BOB", "sessions")[1])) == ["Ann's refactor", "Bob's bug hunt"]
    fields = [f["text"] for b in bot("U0BOB", "usage today")[1]["blocks"] if b["type"] == "section"
              for f in b.get("fields", [])]
    assert "*Total tokens*\n1.25k" in fields, fields  # the granted session's usage counts, as on the web


def test_a_session_on_two_devices_is_listed_once_with_both(bot, cli, database_url) -> None:
    from llm_session_manager.team import admin, db

    with db.connect(database_url) as conn:
        desktop = admin.create_token(conn, "ann", "desktop").token
    # ann's synced ~/.claude: the same session, and the same response, pushed from her desktop too
    _push(bot.server, desktop, "a1111111-0000-4000-8000-000000000001", "Ann's refactor", 1000, client="desktop")
    assert cli("team", "chat", "link", "--platform", "slack", "--workspace", WORKSPACE, "--chat-user", "U0ANN",
               "--user", "ann").code == 0
    reply = bot("U0ANN", "sessions")[1]
    assert sorted(_titles(reply)) == ["Ann's refactor", "Bob's bug hunt"]
    ann = next(b for b in reply["blocks"] if b["type"] == "section" and "Ann's refactor" in b.get("text", {}).get(
        "text", ""))
    assert "ann on desktop, laptop" in ann["text"]["text"]
    assert "*Tokens*\n1k" in [f["text"] for f in ann["fields"]]  # the response once, not once per device
