"""What each notification channel sends, through the real CLI to real local receivers.

Slack and Discord post to an HTTP server started here, email goes to a local
aiosmtpd server, and the desktop channel runs a stand-in ``notify-send`` put
first on PATH that records how it was called. A channel that fails costs one
warning line and nothing else.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from notify_helpers import WebhookReceiver, calls, claude_turn, fake_program, on_path

TEST_TITLE = "llm-session test notification"
TEST_MESSAGE = "Notifications from llm-session-manager reach you here."


@pytest.fixture
def receivers():
    made: list[WebhookReceiver] = []

    def make(**kwargs) -> WebhookReceiver:
        made.append(WebhookReceiver(**kwargs))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def use_config(tmp_path: Path, monkeypatch, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("notifications:\n" + text, encoding="utf-8")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(path))
    return path


def test_slack_and_discord_get_the_json_their_webhooks_take(receivers, cli, tmp_path, monkeypatch):
    slack, discord = receivers(), receivers(status=204, reply=b"")
    monkeypatch.setenv("DISCORD_HOOK", discord.url("/api/webhooks/1/tok"))
    use_config(tmp_path, monkeypatch, (
        "  channels:\n"
        f"    slack: {{webhook_url: '{slack.url('/services/T0/B0/secret')}'}}\n"
        "    discord: {webhook_url_env: DISCORD_HOOK}\n"
    ))
    r = cli("notify", "test", "--json")
    assert r.code == 0, r.err
    assert r.json() == [{"channel": "slack", "ok": True, "error": None},
                        {"channel": "discord", "ok": True, "error": None}]

    [to_slack] = slack.requests
    assert to_slack.path == "/services/T0/B0/secret"
    assert to_slack.content_type == "application/json"
    assert to_slack.json == {"text": f"*{TEST_TITLE}*\n{TEST_MESSAGE}"}
    [to_discord] = discord.requests
    assert to_discord.path == "/api/webhooks/1/tok"
    assert to_discord.user_agent.startswith("llm-session-manager/")
    assert to_discord.json == {"content": f"**{TEST_TITLE}**\n{TEST_MESSAGE}", "allowed_mentions": {"parse": []}}


def test_a_live_context_alert_reaches_slack_word_for_word(fixture_logs, receivers, cli, tmp_path, monkeypatch):
    slack = receivers()
    claude_turn(fixture_logs.claude, time.time() - 60, 1)
    use_config(tmp_path, monkeypatch, (
        "  rules:\n    health_warning: {enabled: false}\n"
        f"  channels:\n    slack: {{webhook_url: '{slack.url('/hook')}'}}\n"
    ))
    r = cli("notify", "check", "--json")
    assert r.code == 0, r.err
    assert [(n["rule"], n["deliveries"]) for n in r.json()] == [
        ("context", [{"channel": "slack", "ok": True, "error": None}])]
    assert [q.json for q in slack.requests] == [{"text": (
        "*Context 90% full: shop*\n"
        'claude-code session 9e8d7c6b "Fix double coupon discount in cart total" in shop: '
        "180,010 of 200,000 tokens in the context window (90%, alert at 85%). "
        "Compact it or start a new session."
    )}]


def test_slack_text_escapes_its_control_characters(fixture_logs, receivers, cli, tmp_path, monkeypatch):
    slack = receivers()
    use_config(tmp_path, monkeypatch, f"  channels:\n    slack: {{webhook_url: '{slack.url('/h')}'}}\n")
    claude_turn(fixture_logs.claude, time.time() - 60, 1)
    assert cli("scan").code == 0
    # The user names the project; Slack would read <!channel> as a mention.
    assert cli("set-project", "9e8d7c6b", "<!channel> & co").code == 0
    assert cli("notify", "check", "--no-scan").code == 0
    texts = [q.json["text"] for q in slack.requests]
    assert texts and all("&lt;!channel&gt; &amp; co" in t and "<!channel>" not in t for t in texts)


def test_the_desktop_channel_runs_notify_send_with_title_and_message(cli, tmp_path, monkeypatch):
    on_path(monkeypatch, tmp_path / "bin")
    log = fake_program(tmp_path / "bin", "notify-send")
    use_config(tmp_path, monkeypatch, "  channels:\n    desktop: {}\n")
    r = cli("notify", "test", "--channel", "desktop")
    assert r.code == 0, r.err
    assert r.out == "desktop: ok\n"
    assert [c["argv"] for c in calls(log)] == [
        ["--app-name=llm-session", "--urgency=normal", TEST_TITLE, TEST_MESSAGE]]


def test_critical_alerts_are_urgent_on_the_desktop(fixture_logs, cli, tmp_path, monkeypatch):
    on_path(monkeypatch, tmp_path / "bin")
    log = fake_program(tmp_path / "bin", "notify-send")
    claude_turn(fixture_logs.claude, time.time() - 60, 1)  # health 68: its context is 90 % full
    path = use_config(tmp_path, monkeypatch, "  channels:\n    desktop: {}\n")
    path.write_text("health_thresholds: {healthy: 90, warning: 70}\n" + path.read_text())
    r = cli("notify", "check", "--json")
    assert r.code == 0, r.err
    assert [(n["rule"], n["severity"]) for n in r.json()] == [("health_critical", "critical"), ("context", "warning")]
    assert [c["argv"][1] for c in calls(log)] == ["--urgency=critical", "--urgency=normal"]


def test_a_sound_command_runs_with_the_alert_in_its_environment(cli, tmp_path, monkeypatch):
    log = fake_program(tmp_path / "bin", "chime")
    chime = tmp_path / "bin" / "chime"
    use_config(tmp_path, monkeypatch, f"  channels:\n    terminal: {{sound_command: '{chime} --loud'}}\n")
    r = cli("notify", "test", "--json")
    assert r.code == 0, r.err
    assert calls(log) == [{"argv": ["--loud"], "env": {
        "LLM_SESSION_TITLE": TEST_TITLE, "LLM_SESSION_MESSAGE": TEST_MESSAGE, "LLM_SESSION_SEVERITY": "warning"}}]


def test_without_a_terminal_the_bell_rings_on_stderr(tmp_path, monkeypatch):
    use_config(tmp_path, monkeypatch, "  channels:\n    terminal: {}\n")
    # A new session has no controlling terminal, as under a service manager.
    done = subprocess.run([sys.executable, "-m", "llm_session_manager", "notify", "test"],
                          capture_output=True, text=True, start_new_session=True, timeout=60, env=os.environ)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "terminal: ok\n"
    assert done.stderr == "\a"


class _Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A local SMTP server that accepts the login alice / the password it is given."""
    mailbox, logins = _Mailbox(), []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret-from-env", handled=False)

    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port(), authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    mailbox.port, mailbox.logins = controller.port, logins
    yield mailbox
    controller.stop()


def email_config(port: int) -> str:
    return (
        "  channels:\n    email:\n"
        f"      host: 127.0.0.1\n      port: {port}\n      security: none\n"
        "      username: alice\n      password_env: SMTP_PASSWORD\n"
        "      sender: llm-session@example.com\n      to: [dev@example.com, lead@example.com]\n"
    )


def test_email_logs_in_with_the_password_from_the_environment(smtp_server, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-from-env")
    path = use_config(tmp_path, monkeypatch, email_config(smtp_server.port))
    assert "s3cret" not in path.read_text()
    r = cli("notify", "test", "--channel", "email", "--json")
    assert r.code == 0, r.err
    assert r.json() == [{"channel": "email", "ok": True, "error": None}]
    assert smtp_server.logins == [("alice", "s3cret-from-env")]
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "llm-session@example.com"
    assert envelope.rcpt_tos == ["dev@example.com", "lead@example.com"]
    mail = message_from_bytes(envelope.original_content, policy=default_policy)
    assert mail["Subject"] == f"[llm-session] {TEST_TITLE}"
    assert mail["To"] == "dev@example.com, lead@example.com"
    assert mail.get_content().splitlines() == [TEST_MESSAGE]


def test_email_without_its_password_variable_fails_naming_it(smtp_server, cli, tmp_path, monkeypatch):
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    use_config(tmp_path, monkeypatch, email_config(smtp_server.port))
    r = cli("notify", "test", "--json")
    assert r.code == 1
    assert r.json() == [{"channel": "email", "ok": False,
                         "error": "environment variable SMTP_PASSWORD (the SMTP password) is not set"}]
    assert smtp_server.envelopes == []


def test_a_wrong_password_is_the_servers_answer(smtp_server, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "guess")
    use_config(tmp_path, monkeypatch, email_config(smtp_server.port))
    r = cli("notify", "test")
    assert r.code == 1
    assert r.out.startswith(f"email: failed: 127.0.0.1:{smtp_server.port} refused: 535 ")


def test_failing_channels_cost_one_warning_line_each_and_block_nobody(
        fixture_logs, receivers, cli, tmp_path, monkeypatch):
    on_path(monkeypatch, tmp_path / "bin")
    fake_program(tmp_path / "bin", "notify-send", exit_code=1, stderr="Cannot autolaunch D-Bus without X11 $DISPLAY\n")
    slack = receivers(status=404, reply=b"no_team\n")
    working = receivers(status=204, reply=b"")
    claude_turn(fixture_logs.claude, time.time() - 60, 1)
    use_config(tmp_path, monkeypatch, (
        "  timeout: 0.5\n"
        "  channels:\n"
        "    desktop: {}\n"
        f"    slack: {{webhook_url: '{slack.url('/services/T0/B0/secret')}'}}\n"
        f"    discord: {{webhook_url: '{working.url('/d')}'}}\n"
        f"    email: {{host: 127.0.0.1, port: {_free_port()}, security: none, sender: a@b.c, to: [d@e.f]}}\n"
    ))
    started = time.monotonic()
    r = cli("notify", "check", "--json")
    assert r.code == 0, r.err
    assert time.monotonic() - started < 15
    sent = r.json()
    assert [n["rule"] for n in sent] == ["health_warning", "context"]
    outcome = {d["channel"]: d for d in sent[0]["deliveries"]}
    assert outcome["discord"]["ok"] is True and len(working.requests) == 2
    assert outcome["desktop"]["error"] == (
        "notify-send exited with status 1: Cannot autolaunch D-Bus without X11 $DISPLAY")
    assert outcome["slack"]["error"] == "127.0.0.1 answered HTTP 404: no_team"
    assert outcome["email"]["error"].startswith("cannot reach 127.0.0.1:")
    # Once a channel failed, the second alert is not tried on it again.
    assert len(slack.requests) == 1
    assert [d for d in sent[1]["deliveries"] if not d["ok"]] == [d for d in sent[0]["deliveries"] if not d["ok"]]
    warnings = r.err.splitlines()
    assert sorted(w.removeprefix("warning: notify: ").split()[0] for w in warnings) == ["desktop", "email", "slack"]
    assert all(w.startswith("warning: notify: ") for w in warnings)
    assert "secret" not in r.err


def test_a_webhook_that_hangs_times_out(receivers, cli, tmp_path, monkeypatch):
    slow = receivers(delay=3)
    use_config(tmp_path, monkeypatch, f"  timeout: 0.5\n  channels:\n    slack: {{webhook_url: '{slow.url('/x')}'}}\n")
    started = time.monotonic()
    r = cli("notify", "test", "--json")
    assert time.monotonic() - started < 3
    assert r.code == 1
    assert r.json() == [{"channel": "slack", "ok": False, "error": "127.0.0.1 did not answer within 0.5 s"}]


def test_notify_test_names_an_unknown_or_unset_channel(cli, tmp_path, monkeypatch):
    use_config(tmp_path, monkeypatch, "  channels:\n    desktop: {}\n")
    r = cli("notify", "test", "--channel", "pager")
    assert (r.code, r.err) == (1, "error: unknown channel 'pager'; one of desktop, terminal, slack, discord, email, teams\n")
    r = cli("notify", "test", "--channel", "email")
    assert r.code == 1 and "channel 'email' is not set up in notifications.channels" in r.err
