"""Chat bots on a local ``serve`` with no team server: ``/llm ...`` from Slack, Discord and Teams.

One real ``llm-session serve`` (a subprocess on free loopback ports) answers
every test here. Each request is signed exactly as its platform signs it, with
a secret or Ed25519 key pair made in this module (tests/fixtures/chat/README.md
says where the request shapes come from); unsigned, stale and tampered copies
are refused with 401 before anything is read. Only the chat user ids listed in
``chat.<platform>.allowed_users`` see anything; anyone else gets the link
instruction and nothing from the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import FIXTURES, copy_fixture_logs, sandbox
from nacl.encoding import HexEncoder
from nacl.signing import SigningKey
from notify_helpers import SESSION_B, WebhookReceiver, claude_turn

pytestmark = pytest.mark.slow

CHAT = FIXTURES / "chat"
SLACK_USER, SLACK_STRANGER = "U2147483697", "U0STRANGER"
DISCORD_USER, DISCORD_STRANGER = "1101234567890000005", "1101234567890000999"
TEAMS_USER = "f2e8f1d3-6b2a-4f6e-9a0c-3b1d2e4f5a6b"  # the fixture's from.aadObjectId
MEMORY = "Run the shop's tests with make test-fast before pushing"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """``serve`` with all three platforms on, over the fixture logs plus a response made a minute ago."""
    tmp = tmp_path_factory.mktemp("chat")
    slack_secret = secrets.token_hex(16)  # what Slack shows as the app's signing secret: 32 hex digits
    discord_key = SigningKey.generate()
    teams_secret = base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = WebhookReceiver()
    with pytest.MonkeyPatch.context() as mp:
        sandbox(tmp, mp)
        logs = copy_fixture_logs(tmp, mp)
        claude_turn(logs.claude, time.time() - 60, 1)  # today: 180,060 tokens in session B
        mp.setenv("BOT_SLACK_SECRET", slack_secret)
        mp.setenv("BOT_TEAMS_SECRET", teams_secret)
        config = tmp / "config.yaml"
        config.write_text(
            "session_discovery: {scan_interval: 60}\n"
            "chat:\n"
            f"  slack: {{signing_secret_env: BOT_SLACK_SECRET, allowed_users: [{SLACK_USER}]}}\n"
            f"  discord: {{public_key: '{discord_key.verify_key.encode(HexEncoder).decode()}', "
            f"allowed_users: ['{DISCORD_USER}']}}\n"
            f"  teams: {{secret_env: BOT_TEAMS_SECRET, allowed_users: [{TEAMS_USER}]}}\n", encoding="utf-8")
        mp.setenv("LLM_SESSION_CONFIG", str(config))
        remembered = subprocess.run([sys.executable, "-m", "llm_session_manager", "remember", MEMORY,
                                     "--project", "shop"], capture_output=True, text=True, env=os.environ)
        assert remembered.returncode == 0, remembered.stderr
        proc = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "serve", "--verbose",
                                 "--port", "0", "--lsp-port", "0"],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=os.environ)
    lines: list[str] = []
    changed = threading.Condition()

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            with changed:
                lines.append(line)
                changed.notify_all()
        with changed:
            changed.notify_all()

    threading.Thread(target=drain, daemon=True).start()
    with changed:  # the first scan has read the logs once it says so
        changed.wait_for(lambda: proc.poll() is not None or (
            any("chat bots at" in line for line in lines) and any("scan done" in line for line in lines)), timeout=60)
    found = next((m.group(1) for line in lines if (m := re.search(r"chat bots at (http://\S+:\d+)", line))), None)
    try:
        assert found is not None and proc.poll() is None, "serve did not start:\n" + "".join(lines)
        yield SimpleNamespace(url=found, slack_secret=slack_secret, discord_key=discord_key,
                              teams_secret=teams_secret, receiver=receiver, lines=lines)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        receiver.close()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        said = e.read()
        return e.code, json.loads(said) if said.startswith(b"{") else {"text": said.decode()}


# --- each platform's request, signed as the platform signs it ------------------------


def slack_command(text: str, user: str = SLACK_USER, **changes: str) -> bytes:
    fields = json.loads((CHAT / "slack_command.json").read_text()) | {"text": text, "user_id": user} | changes
    return urllib.parse.urlencode(fields).encode()


def slack_headers(secret: str, body: bytes, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": f"v0={digest}"}


def discord_command(sub: str, *values: str, user: str = DISCORD_USER) -> bytes:
    sent = json.loads((CHAT / "discord_interaction.json").read_text())
    sent["member"]["user"]["id"] = user
    sent["data"]["options"] = [{"name": sub, "type": 1,
                                "options": [{"name": "value", "type": 3, "value": v} for v in values]}]
    return json.dumps(sent).encode()


def discord_headers(key: SigningKey, body: bytes, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {"Content-Type": "application/json", "X-Signature-Timestamp": timestamp,
            "X-Signature-Ed25519": key.sign(timestamp.encode() + body).signature.hex()}


def teams_message(text: str, at: float | None = None, user: str = TEAMS_USER) -> bytes:
    sent = json.loads((CHAT / "teams_activity.json").read_text())
    sent["text"] = f"<at>llm</at>&nbsp;{text}\n"
    sent["from"]["aadObjectId"] = user
    sent["timestamp"] = datetime.fromtimestamp(time.time() if at is None else at, UTC).isoformat().replace(
        "+00:00", "Z")
    return json.dumps(sent).encode()


def teams_headers(secret: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(base64.b64decode(secret), body, hashlib.sha256).digest()
    return {"Content-Type": "application/json", "Authorization": f"HMAC {base64.b64encode(digest).decode()}"}


def section_texts(reply: dict) -> str:
    return "\n".join(b["text"]["text"] for b in reply["blocks"] if b["type"] == "section" and "text" in b)


def field_texts(reply: dict) -> list[str]:
    return [f["text"] for b in reply["blocks"] if b["type"] == "section" for f in b.get("fields", [])]


# --- Slack ------------------------------------------------------------------------------


def test_slack_sessions_come_back_as_block_kit_with_a_health_button(bot):
    body = slack_command("sessions shop")
    status, reply = post(bot.url + "/chat/slack/commands", body, slack_headers(bot.slack_secret, body))
    assert status == 200, reply
    assert reply["response_type"] == "ephemeral"
    header, *rest = reply["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "Recent sessions in shop"}}
    assert rest[-1]["type"] == "context"
    sessions = [b for b in rest if b["type"] == "section" and "accessory" in b]
    assert len(sessions) == 2  # the shop fixture's two Claude Code sessions, each with its facts
    first = sessions[0]
    assert first["text"]["text"].startswith("*Fix double coupon discount in cart total*\nclaude-code · shop · 9e8d7c6b")
    assert [f["text"].split("\n")[0] for f in first["fields"]] == ["*Tokens*", "*Cost*", "*Context*", "*Health*"]
    assert first["accessory"] == {"type": "button", "action_id": "llm_ask", "value": "health 9e8d7c6b",
                                  "text": {"type": "plain_text", "text": "Health"}}


def test_slack_usage_today_counts_the_response_made_a_minute_ago(bot):
    body = slack_command("usage today")
    status, reply = post(bot.url + "/chat/slack/commands", body, slack_headers(bot.slack_secret, body))
    assert status == 200, reply
    assert reply["blocks"][0]["text"]["text"] == "Usage today"
    assert "*Total tokens*\n180k" in field_texts(reply)  # 10 + 50 + 2,000 + 178,000


def test_slack_recall_and_a_bad_command_answer_in_words(bot):
    body = slack_command("recall make test-fast")
    status, reply = post(bot.url + "/chat/slack/commands", body, slack_headers(bot.slack_secret, body))
    assert status == 200 and MEMORY.replace("'", "'") in section_texts(reply), reply
    body = slack_command("usage fortnight")
    status, reply = post(bot.url + "/chat/slack/commands", body, slack_headers(bot.slack_secret, body))
    assert status == 200
    assert "usage takes today or week, not 'fortnight'" in section_texts(reply)


def test_a_slack_button_press_is_answered_at_its_response_url(bot):
    payload = json.loads((CHAT / "slack_block_actions.json").read_text())
    payload["response_url"] = bot.receiver.url("/actions/A123456/1/abc")
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    status, reply = post(bot.url + "/chat/slack/interactivity", body, slack_headers(bot.slack_secret, body))
    assert (status, reply) == (200, {})
    deadline = time.monotonic() + 20
    while not [r for r in bot.receiver.requests if r.path.endswith("/abc")] and time.monotonic() < deadline:
        time.sleep(0.05)
    [posted] = [r for r in bot.receiver.requests if r.path.endswith("/abc")]
    assert posted.json["blocks"][0]["text"]["text"] == "Fix double coupon discount in cart total"
    assert any(f.startswith("*Health*\n") for f in field_texts(posted.json))


def test_slack_requests_unsigned_stale_or_tampered_are_refused(bot):
    url = bot.url + "/chat/slack/commands"
    body = slack_command("usage today")
    good = slack_headers(bot.slack_secret, body)
    unsigned = {k: v for k, v in good.items() if k != "X-Slack-Signature"}
    assert post(url, body, unsigned)[0] == 401
    stale_status, stale = post(url, body, slack_headers(bot.slack_secret, body, at=time.time() - 301))
    assert stale_status == 401 and "replay window" in stale["error"]
    assert post(url, slack_command("usage week"), good)[0] == 401  # another body under the first one's signature
    assert post(url, body, slack_headers("not the signing secret", body))[0] == 401


def test_a_slack_user_not_listed_gets_only_the_link_instruction(bot):
    body = slack_command("sessions", user=SLACK_STRANGER)
    status, reply = post(bot.url + "/chat/slack/commands", body, slack_headers(bot.slack_secret, body))
    assert status == 200
    assert reply["blocks"][0]["text"]["text"] == "Not linked yet"
    assert SLACK_STRANGER in section_texts(reply)
    assert not field_texts(reply) and "shop" not in json.dumps(reply)  # nothing from the store


# --- Discord ----------------------------------------------------------------------------


def test_discord_ping_is_answered_with_pong_only_when_signed(bot):
    url = bot.url + "/chat/discord/interactions"
    body = json.dumps({"type": 1, "id": "1", "application_id": "1101234567890123456", "token": "t", "version": 1})
    assert post(url, body.encode(), discord_headers(bot.discord_key, body.encode())) == (200, {"type": 1})
    assert post(url, body.encode(), {"Content-Type": "application/json"})[0] == 401
    assert post(url, body.encode(), discord_headers(SigningKey.generate(), body.encode()))[0] == 401


def test_discord_usage_comes_back_as_an_ephemeral_embed(bot):
    body = discord_command("usage", "today")
    status, reply = post(bot.url + "/chat/discord/interactions", body, discord_headers(bot.discord_key, body))
    assert status == 200, reply
    assert reply["type"] == 4 and reply["data"]["flags"] == 64
    assert reply["data"]["allowed_mentions"] == {"parse": []}
    [embed] = reply["data"]["embeds"]
    assert embed["title"] == "Usage today"
    assert {"name": "Total tokens", "value": "180k", "inline": True} in embed["fields"]
    assert isinstance(embed["color"], int)


def test_discord_requests_stale_or_tampered_are_refused(bot):
    url = bot.url + "/chat/discord/interactions"
    body = discord_command("sessions")
    assert post(url, body, discord_headers(bot.discord_key, body, at=time.time() - 600))[0] == 401
    signed = discord_headers(bot.discord_key, body)
    assert post(url, body.replace(b"sessions", b"limits"), signed)[0] == 401


def test_a_discord_user_not_listed_sees_nothing_of_the_store(bot):
    body = discord_command("sessions", user=DISCORD_STRANGER)
    status, reply = post(bot.url + "/chat/discord/interactions", body, discord_headers(bot.discord_key, body))
    assert status == 200
    [embed] = reply["data"]["embeds"]
    assert embed["title"] == "Not linked yet" and DISCORD_STRANGER in embed["description"]
    assert embed["fields"] == []


# --- Teams ------------------------------------------------------------------------------


def test_teams_health_comes_back_as_an_adaptive_card(bot):
    body = teams_message("health 9e8d7c6b")
    status, reply = post(bot.url + "/chat/teams/messages", body, teams_headers(bot.teams_secret, body))
    assert status == 200, reply
    assert reply["type"] == "message"
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    head = card["body"][0]
    assert head["type"] == "Container"
    assert head["items"][0]["text"] == "Fix double coupon discount in cart total"
    [facts] = [i for i in head["items"] if i["type"] == "FactSet"]
    assert [f["title"] for f in facts["facts"]][:2] == ["Health", "Context"]
    assert SESSION_B[:8] not in head["items"][0]["text"]


def test_teams_requests_unsigned_stale_or_tampered_are_refused(bot):
    url = bot.url + "/chat/teams/messages"
    body = teams_message("limits")
    assert post(url, body, {"Content-Type": "application/json"})[0] == 401
    stale = teams_message("limits", at=time.time() - 600)
    assert post(url, stale, teams_headers(bot.teams_secret, stale))[0] == 401
    assert post(url, teams_message("sessions"), teams_headers(bot.teams_secret, body))[0] == 401
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    assert post(url, body, teams_headers(other, body))[0] == 401


def test_a_teams_user_not_listed_gets_only_the_link_instruction(bot):
    body = teams_message("sessions", user="00000000-0000-4000-8000-000000000000")
    status, reply = post(bot.url + "/chat/teams/messages", body, teams_headers(bot.teams_secret, body))
    assert status == 200
    card = reply["attachments"][0]["content"]
    assert card["body"][0]["items"][0]["text"] == "Not linked yet"
    assert "shop" not in json.dumps(card)


def test_a_platform_left_out_of_the_config_has_no_endpoint(tmp_path: Path, start_serve):
    mcp, _ = start_serve(config_text="chat:\n  teams: {secret_env: NOT_SET_HERE}\n")
    base = mcp.removesuffix("/mcp")
    body = slack_command("sessions")
    assert post(base + "/chat/slack/commands", body, slack_headers("s", body))[0] == 404
    teams = teams_message("sessions")
    status, reply = post(base + "/chat/teams/messages", teams, teams_headers(base64.b64encode(b"k").decode(), teams))
    assert status == 503 and reply == {"error": "environment variable NOT_SET_HERE (the Teams webhook secret) is not set"}


# --- alerts -----------------------------------------------------------------------------


def test_a_budget_alert_reaches_a_teams_channel_as_an_adaptive_card(fixture_logs, cli, use_config, monkeypatch):
    claude_turn(fixture_logs.claude, time.time() - 60, 1)
    teams = WebhookReceiver(status=202, reply=b"")
    try:
        monkeypatch.setenv("TEAMS_HOOK", teams.url("/workflows/1/triggers/manual/paths/invoke"))
        use_config("notifications:\n"
                   "  rules:\n    health_warning: {enabled: false}\n    context: {enabled: false}\n"
                   "    daily_budget: {usd: 0.01}\n"
                   "  channels:\n    teams: {webhook_url_env: TEAMS_HOOK}\n")
        r = cli("notify", "check", "--json")
        assert r.code == 0, r.err
        [alert] = r.json()
        assert alert["rule"] == "daily_budget"
        assert alert["deliveries"] == [{"channel": "teams", "ok": True, "error": None}]
        [posted] = teams.requests
    finally:
        teams.close()
    assert posted.path == "/workflows/1/triggers/manual/paths/invoke"
    assert posted.json["type"] == "message"
    [attachment] = posted.json["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    head = attachment["content"]["body"][0]
    assert head["style"] == "warning"
    assert [i["text"] for i in head["items"]] == [alert["title"], alert["message"]]


def test_a_slack_command_slower_than_the_answer_timeout_is_acknowledged_then_answered(start_serve, monkeypatch):
    """Slack gives up after 3 s: past ``chat.answer_timeout`` the asker sees "Working on it…" at once, and the
    answer arrives at the command's response_url. A timeout of a microsecond makes every command that slow."""
    secret = secrets.token_hex(16)
    monkeypatch.setenv("BOT_SLACK_SECRET", secret)
    mcp, _ = start_serve(config_text=("chat:\n  answer_timeout: 0.000001\n"
                                      f"  slack: {{signing_secret_env: BOT_SLACK_SECRET, allowed_users: [{SLACK_USER}]}}\n"))
    later = WebhookReceiver()
    try:
        body = slack_command("usage week", response_url=later.url("/commands/1234/5678"))
        status, reply = post(mcp.removesuffix("/mcp") + "/chat/slack/commands", body, slack_headers(secret, body))
        assert status == 200
        assert reply["blocks"][0]["text"]["text"] == "Working on it…" and reply["response_type"] == "ephemeral"
        deadline = time.monotonic() + 20
        while not later.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        [posted] = later.requests
    finally:
        later.close()
    assert posted.path == "/commands/1234/5678"
    assert posted.json["blocks"][0]["text"]["text"] == "Usage, the last 7 days"


def test_a_button_pressed_by_a_user_not_listed_answers_only_the_link_instruction(bot):
    payload = json.loads((CHAT / "slack_block_actions.json").read_text())
    payload["user"]["id"] = SLACK_STRANGER
    payload["response_url"] = bot.receiver.url("/actions/A123456/2/stranger")
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    status, reply = post(bot.url + "/chat/slack/interactivity", body, slack_headers(bot.slack_secret, body))
    assert (status, reply) == (200, {})
    deadline = time.monotonic() + 20
    while not [r for r in bot.receiver.requests if r.path.endswith("/stranger")] and time.monotonic() < deadline:
        time.sleep(0.05)
    [posted] = [r for r in bot.receiver.requests if r.path.endswith("/stranger")]
    assert posted.json["blocks"][0]["text"]["text"] == "Not linked yet"
    assert "coupon" not in json.dumps(posted.json)
