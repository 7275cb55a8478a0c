"""Notifications: which rules fire on real logs, and how cooldowns and quiet hours hold them back.

Each test scans copies of the Claude Code and Codex fixtures into a real store,
then runs ``notify.check`` at explicit moments (no sleeping) with a local
webhook receiver standing in for Slack. tests/test_notify_channels.py covers
what each channel sends.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from notify_helpers import SESSION_B, WebhookReceiver, at, calls, claude_turn, fake_program, on_path

from llm_session_manager.core import config
from llm_session_manager.core.config_notifications import QuietHours
from llm_session_manager.core.errors import BadInput, ConfigError
from llm_session_manager.services import notify
from llm_session_manager.store import connect


@pytest.fixture
def slack():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def settings(tmp_path: Path, slack: WebhookReceiver, extra: str = "") -> config.Config:
    """A config that posts to ``slack``, plus ``extra`` lines under ``notifications:``."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "notifications:\n"
        f"  channels:\n    slack: {{webhook_url: '{slack.url('/hook')}'}}\n" + extra,
        encoding="utf-8",
    )
    return config.load(path)


def rules_of(notes) -> list[tuple[str, str]]:
    return [(n.rule, n.subject) for n in notes]


@pytest.fixture
def busy_shop(fixture_logs, cli) -> Path:
    """Session B of the shop project answered at 23:20 UTC on 2025-08-15 with its context 90 % full,
    after working without a pause (a turn every 20 minutes) since 10:12 that day."""
    for k in range(38):
        claude_turn(fixture_logs.claude, at("2025-08-15T10:40") + k * 1200, 100 + k)
    claude_turn(fixture_logs.claude, at("2025-08-15T23:20"), 1)
    assert cli("scan").code == 0
    return fixture_logs.claude


def test_a_nearly_full_context_is_announced_once_per_cooldown(busy_shop, slack, tmp_path):
    cfg = settings(tmp_path, slack, "  rules:\n    health_warning: {enabled: false}\n")
    conn = connect()

    first = notify.check(conn, cfg, now=at("2025-08-15T23:30"))
    assert rules_of(first) == [("context", SESSION_B)]
    assert first[0].deliveries == [notify.Delivery("slack", True)]
    assert "180,010 of 200,000 tokens" in first[0].message and "(90%, alert at 85%)" in first[0].message

    # Ten minutes later the context is still full, but the default cooldown is 30 minutes.
    assert notify.check(conn, cfg, now=at("2025-08-15T23:40")) == []
    assert len(slack.requests) == 1

    again = notify.check(conn, cfg, now=at("2025-08-16T00:00"))
    assert rules_of(again) == [("context", SESSION_B)]
    assert len(slack.requests) == 2


def test_a_rule_can_have_its_own_cooldown(busy_shop, slack, tmp_path):
    cfg = settings(tmp_path, slack, "  rules:\n    health_warning: {enabled: false}\n"
                                    "    context: {percent: 85, cooldown_minutes: 5}\n")
    conn = connect()
    assert len(notify.check(conn, cfg, now=at("2025-08-15T23:30"))) == 1
    assert notify.check(conn, cfg, now=at("2025-08-15T23:34")) == []
    assert len(notify.check(conn, cfg, now=at("2025-08-15T23:35"))) == 1


def test_health_bands_come_from_the_health_thresholds(busy_shop, slack, tmp_path):
    # Session B has worked for 13 hours without a pause (duration 0/100), its context is 90 % full
    # (token_usage 20/100), it answered ten minutes ago and has no errors (100 each):
    # 0.4 * 20 + 0.2 * 0 + 0.2 * 100 + 0.2 * 100 = 48.
    now = at("2025-08-15T23:30")
    default = notify.check(connect(), settings(tmp_path, slack), now=now)
    assert rules_of(default) == [("health_warning", SESSION_B), ("context", SESSION_B)]
    assert "health 48/100, below 70; weakest: session length (0/100)" in default[0].message

    # A minute later, with a critical band up to 50 (the context alert is in its cooldown):
    stricter = config.load(_with(tmp_path, "health_thresholds: {healthy: 70, warning: 50}\n"))
    critical = notify.check(connect(), stricter, now=now + 60)
    assert [(n.rule, n.severity) for n in critical] == [("health_critical", "critical")]
    assert "health 48/100, below 50" in critical[0].message


def _with(tmp_path: Path, top: str) -> Path:
    """The config file ``settings`` last wrote, with ``top`` added as top-level keys."""
    path = tmp_path / "config.yaml"
    path.write_text(top + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_sessions_quiet_for_longer_than_watch_minutes_are_left_alone(busy_shop, slack, tmp_path):
    cfg = settings(tmp_path, slack, "  watch_minutes: 30\n")
    assert notify.check(connect(), cfg, now=at("2025-08-15T23:51")) == []
    assert len(notify.check(connect(), cfg, now=at("2025-08-15T23:49"))) == 2


def test_quiet_hours_hold_back_all_but_critical_alerts_until_they_end(busy_shop, slack, tmp_path):
    settings(tmp_path, slack, "  watch_minutes: 600\n  cooldown_minutes: 600\n"
                              "  quiet_hours: {start: '22:00', end: '07:00'}\n")
    cfg = config.load(_with(tmp_path, "health_thresholds: {healthy: 70, warning: 50}\n"))
    conn = connect()

    night = notify.check(conn, cfg, now=at("2025-08-15T23:30"))
    assert [(n.rule, n.severity) for n in night] == [("health_critical", "critical")]

    # Held back, not dropped: the context alert goes out when quiet hours end,
    # while the critical one is still within its cooldown.
    morning = notify.check(conn, cfg, now=at("2025-08-16T07:00"))
    assert rules_of(morning) == [("context", SESSION_B)]
    assert len(slack.requests) == 2


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [("21:59", False), ("22:00", True), ("23:59", True), ("00:00", True), ("06:59", True), ("07:00", False),
     ("12:00", False)],
)
def test_quiet_hours_wrap_midnight_in_local_time(clock: str, quiet: bool, monkeypatch):
    hours = QuietHours(start="22:00", end="07:00")
    assert notify.in_quiet_hours(hours, at(f"2025-08-15T{clock}")) is quiet
    # The same moment in Tokyo (UTC+9) is nine hours later on the clock.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert notify.in_quiet_hours(hours, at(f"2025-08-15T{clock}") - 9 * 3600) is quiet
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_a_daily_budget_is_todays_cost_in_local_time(store, cli, slack, tmp_path):
    spent = {row["key"]: row["cost_usd"] for row in cli("usage", "--json", "--no-scan").json()["rows"]}
    day = spent["2025-08-14"]  # the shop's first day: six Claude responses
    evening = at("2025-08-14T20:00")

    over = settings(tmp_path, slack, f"  rules:\n    daily_budget: {{usd: {day - 0.001}}}\n")
    sent = notify.check(connect(), over, now=evening)
    assert rules_of(sent) == [("daily_budget", "2025-08-14")]
    assert sent[0].title == f"Daily budget exceeded: ${day:,.2f} of ${day - 0.001:,.2f}"

    under = settings(tmp_path, slack, f"  rules:\n    daily_budget: {{usd: {day + 0.001}}}\n")
    assert notify.check(connect(), under, now=evening + 3600) == []
    # The next day starts from nothing.
    assert notify.check(connect(), over, now=at("2025-08-16T09:00")) == []


def test_the_end_of_a_claude_block_is_announced_shortly_before(store, slack, tmp_path):
    # The shop's first responses came at 09:00 UTC on 2025-08-14: a block from 09:00 to 14:00.
    cfg = settings(tmp_path, slack, "  rules:\n    block_end: {minutes_before: 15}\n")
    conn = connect()
    assert notify.check(conn, cfg, now=at("2025-08-14T13:44")) == []
    sent = notify.check(conn, cfg, now=at("2025-08-14T13:50"))
    assert rules_of(sent) == [("block_end", "2025-08-14T09:00:00Z")]
    assert sent[0].title == "Claude 5-hour block ends in 10 min"
    assert "began at 09:00 ends at 14:00" in sent[0].message and "6 responses" in sent[0].message
    assert notify.check(conn, cfg, now=at("2025-08-14T14:00")) == []


def test_a_dry_run_sends_and_records_nothing(busy_shop, slack, tmp_path):
    cfg = settings(tmp_path, slack)
    conn = connect()
    now = at("2025-08-15T23:30")
    would = notify.check(conn, cfg, now=now, dry_run=True)
    assert rules_of(would) == [("health_warning", SESSION_B), ("context", SESSION_B)]
    assert all(n.deliveries == [] for n in would) and slack.requests == []
    assert rules_of(notify.check(conn, cfg, now=now)) == rules_of(would)


def test_with_no_channel_nothing_is_evaluated_or_recorded(busy_shop, tmp_path, slack):
    bare = config.Config()
    now = at("2025-08-15T23:30")
    assert notify.check(connect(), bare, now=now) == []
    assert len(notify.check(connect(), bare, now=now, dry_run=True)) == 2
    with pytest.raises(BadInput, match="no notification channel is set up"):
        notify.send_test(bare)
    # Nothing was recorded: once a channel is set up, both alerts go out at once.
    assert len(notify.check(connect(), settings(tmp_path, slack), now=now)) == 2


def test_scan_never_notifies_but_notify_check_does(fixture_logs, cli, tmp_path, monkeypatch):
    claude_turn(fixture_logs.claude, time.time() - 60, 1)
    on_path(monkeypatch, tmp_path / "bin")
    log = fake_program(tmp_path / "bin", "notify-send")
    path = tmp_path / "config.yaml"
    path.write_text("notifications:\n  channels:\n    desktop: {}\n", encoding="utf-8")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(path))

    assert cli("scan").code == 0
    assert calls(log) == []

    r = cli("notify", "check", "--json")
    assert r.code == 0, r.err
    assert [n["rule"] for n in r.json()] == ["health_warning", "context"]
    assert [c["argv"][2] for c in calls(log)] == [n["title"] for n in r.json()]
    # A second process within the cooldown sends nothing: the cooldown lives in the store.
    again = cli("notify", "check", "--json")
    assert again.code == 0 and again.json() == []
    assert len(calls(log)) == 2


def test_notify_check_without_a_channel_says_how_to_set_one_up(store, cli):
    r = cli("notify", "check")
    assert r.code == 1 and r.out == ""
    assert r.err.strip().count("\n") == 0 and "notifications.channels" in r.err and "--dry-run" in r.err
    dry = cli("notify", "check", "--dry-run", "--json", "--no-scan")
    assert dry.code == 0 and dry.json() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("notifications:\n  channels:\n    slak: {webhook_url: 'https://hooks.slack.com/x'}\n",
         "unknown key 'notifications.channels.slak' (did you mean 'notifications.channels.slack'?)"),
        ("notifications:\n  channels:\n    email: {host: h, sender: a@b.c, to: [d@e.f], password: hunter2}\n",
         "unknown key 'notifications.channels.email.password' "
         "(did you mean 'notifications.channels.email.password_env'?)"),
        ("notifications:\n  channels:\n    slack: {}\n",
         "notifications.channels.slack must have one of webhook_url and webhook_url_env"),
        ("notifications:\n  channels:\n    discord: {webhook_url: 'discord.com/api/webhooks/1'}\n",
         "notifications.channels.discord must have webhook_url starting with https://, "
         "got 'discord.com/api/webhooks/1'"),
        ("notifications:\n  channels:\n    email: {host: smtp.example.com}\n",
         "notifications.channels.email must have sender and to"),
        ("notifications:\n  channels:\n    email: {host: h, sender: a@b.c, to: d@e.f}\n",
         "notifications.channels.email.to must be a list, got 'd@e.f'"),
        ("notifications:\n  channels:\n    email: {host: h, sender: a, to: [b], security: tls}\n",
         "notifications.channels.email.security must be one of starttls, ssl, none, got 'tls'"),
        ("notifications:\n  quiet_hours: 22-07\n",
         "notifications.quiet_hours must be a mapping or null, got '22-07'"),
        ("notifications:\n  channels:\n    desktop:\n",
         "notifications.channels.desktop must be a mapping, got null"),
        ("notifications:\n  quiet_hours: {start: '22:00'}\n", "notifications.quiet_hours.end is required"),
        ("notifications:\n  quiet_hours: {start: '10pm', end: '07:00'}\n",
         "notifications.quiet_hours must have start as a 24-hour time like 22:00, got '10pm'"),
        ("notifications:\n  rules:\n    context: {percnt: 90}\n",
         "unknown key 'notifications.rules.context.percnt' (did you mean 'notifications.rules.context.percent'?)"),
        ("notifications:\n  rules:\n    daily_budget: {usd: lots}\n",
         "notifications.rules.daily_budget.usd must be a number or null, got 'lots'"),
        ("notifications:\n  cooldown_minutes: 0\n", "notifications.cooldown_minutes must be a number > 0, got 0"),
    ],
)
def test_config_mistakes_are_one_line_naming_the_key(text: str, message: str, tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert str(caught.value) == f"{path}: {message}"


def test_the_documented_example_is_a_valid_config(tmp_path: Path):
    docs = Path(__file__).resolve().parents[1] / "docs" / "notifications.md"
    path = tmp_path / "config.yaml"
    path.write_text(re.search(r"```yaml\n(.*?)```", docs.read_text(encoding="utf-8"), re.S)[1], encoding="utf-8")
    loaded = config.load(path)
    assert loaded.notifications.quiet_hours == QuietHours(start="22:00", end="07:00")
    assert loaded.notifications.rules.daily_budget.usd == 20
    assert notify.enabled_channels(loaded) == list(notify.CHANNELS)


def test_a_config_mistake_stops_notify_with_one_line(cli, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("notifications:\n  quiet_hours: {start: '22:00', ende: '07:00'}\n", encoding="utf-8")
    r = cli("--config", str(path), "notify", "test")
    assert r.code == 1 and r.out == ""
    assert r.err == (f"error: {path}: unknown key 'notifications.quiet_hours.ende' "
                     "(did you mean 'notifications.quiet_hours.end'?)\n")
