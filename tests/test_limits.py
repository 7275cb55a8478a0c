"""``llm-session limits``: official plan meters first, estimates labelled as such.

Codex writes its meter into its rollout logs (``token_count`` events'
``rate_limits.primary`` / ``secondary``, as the fixtures under
tests/fixtures/codex/ hold them); Claude Code hands it to the status line
(tests/test_statusline.py).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import apsw
import pytest
from conftest import append_codex_turn


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def append_rate_limits(log: Path, ts: float, five: float, week: float, five_reset: float, week_reset: float,
                       *, seconds_to_reset: bool = False) -> None:
    """A ``token_count`` event carrying only Codex's meter, as Codex writes one (``info`` may be null)."""
    def window(used: float, minutes: int, reset: float) -> dict:
        if seconds_to_reset:  # older releases: seconds from the line's time
            return {"used_percent": used, "window_minutes": minutes, "resets_in_seconds": int(reset - ts)}
        return {"used_percent": used, "window_minutes": minutes, "resets_at": int(reset)}

    line = {"timestamp": iso(ts), "type": "event_msg", "payload": {
        "type": "token_count", "info": None,
        "rate_limits": {"limit_id": "codex", "limit_name": None,
                        "primary": window(five, 300, five_reset), "secondary": window(week, 10080, week_reset),
                        "credits": {"has_credits": False, "unlimited": False, "balance": None}, "plan_type": None}}}
    with log.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")


def codex(report: dict) -> dict:
    (found,) = [a for a in report["assistants"] if a["provider"] == "codex"]
    return found


def readings(window: str) -> list[tuple]:
    import os

    conn = apsw.Connection(str(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"))
    return [tuple(r) for r in conn.execute(
        "SELECT used_percent, observed_at, seen_at FROM limit_readings WHERE provider = 'codex' AND window_name = ? "
        "ORDER BY observed_at", (window,))]


def test_codex_meter_in_its_logs_is_stored_as_official_readings_one_row_per_change(cli, fixture_logs):
    assert cli("scan").code == 0
    # The fixtures' rollouts repeat each value over several events: one row per change.
    week = readings("seven_day")
    assert [r[0] for r in week] == [3.0] and week[0][2] > week[0][1]
    assert [r[0] for r in readings("five_hour")][:3] == [8.0, 9.0, 10.0]
    # Those windows reset long ago: nothing official now, and nothing made up.
    five, seven = codex(cli("limits", "--json", "--no-scan").json())["windows"]
    assert five["used_percent"] is None and five["sources"]["used_percent"] == "unknown"
    assert seven["sources"]["resets_at"] == "unknown"


def test_a_fresh_codex_reading_is_shown_with_its_age_and_reset(cli, fixture_logs):
    now = time.time()
    append_codex_turn(fixture_logs.recent, iso(now - 120), 40_000, 2_000)
    append_rate_limits(fixture_logs.recent, now - 60, 12.5, 40.0, now + 3 * 3600, now + 2 * 86400,
                       seconds_to_reset=True)
    report = cli("limits", "--json").json()
    five, week = codex(report)["windows"]
    assert (five["used_percent"], five["sources"]["used_percent"], five["sources"]["resets_at"]) == \
        (12.5, "official", "official")
    assert 50 <= five["age_seconds"] < 180
    assert five["resets_in_seconds"] == pytest.approx(3 * 3600, abs=120)
    assert five["tokens"] == 42_000 and five["sources"]["tokens"] == "exact"  # the turn just appended
    assert week["used_percent"] == 40.0

    human = cli("limits", "--no-scan")
    assert human.code == 0 and "codex" in human.out and "12% used [official]" in human.out
    assert "read 1m ago" in human.out or "read 2m ago" in human.out


def test_weekly_pacing_from_the_rise_of_the_official_readings(cli, fixture_logs):
    """40 % two hours ago, 50 % now: 5 %/h, so the rest lasts 10 h, long before the reset in 3 days."""
    now = time.time()
    reset = now + 3 * 86400
    append_rate_limits(fixture_logs.recent, now - 2 * 3600, 10.0, 40.0, now + 3600, reset)
    append_rate_limits(fixture_logs.recent, now - 60, 30.0, 50.0, now + 3600, reset)
    pacing = codex(cli("limits", "--json").json())["weekly_pacing"]
    assert pacing["source"] == "estimated" and pacing["basis"] == "official readings of the last day"
    assert pacing["percent_per_hour"] == pytest.approx(10 / (2 * 3600 - 60) * 3600, rel=1e-3)
    runs_out = datetime.fromisoformat(pacing["runs_out_at"].replace("Z", "+00:00")).timestamp()
    assert runs_out == pytest.approx(now + 50 / pacing["percent_per_hour"] * 3600, abs=5)
    assert pacing["runs_out_before_reset"] is True

    human = cli("limits", "--no-scan").out
    assert "runs out before it resets" in human


def test_a_slow_week_lasts_until_its_reset(cli, fixture_logs):
    """6 % used a day into the week: 0.25 %/h on average, 94 % left lasts 376 h, after the reset."""
    now = time.time()
    reset = now + 6 * 86400
    append_rate_limits(fixture_logs.recent, now - 30, 1.0, 6.0, now + 3600, reset)
    pacing = codex(cli("limits", "--json").json())["weekly_pacing"]
    assert pacing["basis"] == "average since the window began"
    assert pacing["percent_per_hour"] == pytest.approx(0.25, abs=0.01)
    assert pacing["runs_out_before_reset"] is False


def test_without_any_meter_claude_s_5_hour_window_ends_where_its_usage_block_ends(cli, fixture_logs):
    log = next(fixture_logs.claude.rglob("9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6.jsonl"))
    lines = []
    for text in log.read_text().splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            continue  # the fixture keeps a line cut off mid-write, as a crash leaves
    line = next(x for x in reversed(lines) if x.get("type") == "assistant" and x["message"].get("usage"))
    line["message"]["id"], line["requestId"] = "msg_01LimitsNow", "req_011LimitsNow"
    line["timestamp"] = iso(time.time() - 600)
    with log.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
    (claude,) = [a for a in cli("limits", "--json").json()["assistants"] if a["provider"] == "claude-code"]
    five, week = claude["windows"]
    assert five["sources"] == {"used_percent": "unknown", "resets_at": "estimated", "tokens": "exact",
                               "cost_usd": "exact"}
    assert 0 < five["resets_in_seconds"] <= 5 * 3600 and five["tokens"] > 0 and five["cost_usd"] > 0
    assert week["sources"]["resets_at"] == "unknown" and week["used_percent"] is None
    assert claude["weekly_pacing"]["source"] == "unknown"


def test_a_nearly_spent_meter_and_a_week_running_out_early_are_notified(cli, fixture_logs, tmp_path):
    now = time.time()
    reset = now + 3 * 86400
    append_rate_limits(fixture_logs.recent, now - 2 * 3600, 50.0, 40.0, now + 3600, reset)
    append_rate_limits(fixture_logs.recent, now - 60, 85.0, 50.0, now + 3600, reset)
    config = tmp_path / "config.yaml"
    config.write_text("notifications:\n  channels:\n    terminal: {}\n")
    r = cli("notify", "check", "--dry-run", "--json", env={"LLM_SESSION_CONFIG": str(config)})
    assert r.code == 0, r.err
    sent = [n for n in r.json() if n["rule"] == "plan_limit"]
    assert [n["title"] for n in sent] == ["codex 5-hour limit 85% used",
                                         "codex weekly limit runs out before it resets"]

    config.write_text("notifications:\n  channels:\n    terminal: {}\n  rules:\n    plan_limit: {percent: 90, pacing: false}\n")
    r = cli("notify", "check", "--dry-run", "--json", "--no-scan", env={"LLM_SESSION_CONFIG": str(config)})
    assert [n for n in r.json() if n["rule"] == "plan_limit"] == []
