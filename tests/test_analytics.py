"""``llm-session analytics``: the numbers agree with ``usage`` and ``list``, add up, and
the window, the limits and the Claude block are what the logs say.

Most tests read the shared fixture logs (Claude Code and Codex, scanned for real by
the ``store`` fixture); the others add Claude Code transcripts written line by line
as the app writes them (``write_session`` in test_blocks.py).
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from test_blocks import Response, write_session

FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "total_tokens")
ALL = "3650"  # the widest window: every fixture day is in it
LIMITED = "8c4e1f20-3b5a-4c6d-9e7f-0a1b2c3d4e5f"


def analytics(cli, *args: str, env: dict[str, str] | None = None) -> dict:
    r = cli("analytics", "--json", *args, env=env)
    assert r.code == 0, r.err
    return r.json()


def usage(cli, *args: str, env: dict[str, str] | None = None) -> dict:
    r = cli("usage", "--json", *args, env=env)
    assert r.code == 0, r.err
    return r.json()


def tokens(row: dict) -> tuple[int, ...]:
    return tuple(row[f] for f in FIELDS)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_the_daily_trend_is_the_usage_report_by_day(cli, store):
    report = analytics(cli, "--days", ALL)
    by_day = usage(cli, "--by", "day", "--since", report["since"])
    assert len(report["daily"]) == int(ALL)
    dates = [d["date"] for d in report["daily"]]
    assert dates[-1] == report["until"] and dates == sorted(dates)
    busy = [d for d in report["daily"] if d["total_tokens"]]
    assert [d["date"] for d in busy] == [r["key"] for r in by_day["rows"]] == [
        "2025-08-14", "2025-08-15", "2025-09-12", "2026-02-23", "2026-03-02"]
    for day, row in zip(busy, by_day["rows"], strict=True):
        assert tokens(day) == tokens(row)
        assert day["cost_usd"] == pytest.approx(row["cost_usd"], abs=1e-5)
    assert tokens(report["totals"]) == tokens(by_day["totals"])
    assert report["totals"]["cost_usd"] == pytest.approx(by_day["totals"]["cost_usd"], abs=1e-5)
    # Sessions billed each day: the shop's two Claude sessions one a day, Codex's two on 2026-02-23.
    assert [d["sessions"] for d in busy] == [1, 1, 1, 2, 1]


def test_a_narrower_window_leaves_the_older_days_out(cli, store):
    until = date.fromisoformat(analytics(cli, "--days", "1")["until"])
    days = (until - date(2026, 2, 23)).days + 1  # a window that opens on 2026-02-23
    report = analytics(cli, "--days", str(days))
    assert report["since"] == "2026-02-23"
    assert tokens(report["totals"]) == tokens(usage(cli, "--since", "2026-02-23")["totals"])
    assert [p["key"] for p in report["by_provider"]] == ["codex"]  # the Claude fixtures are from 2025
    assert report["sessions"]["count"] == 3  # two on 2026-02-23, one on 2026-03-02


def test_projects_models_and_providers_each_add_up_to_the_total(cli, store):
    report = analytics(cli, "--days", ALL)
    billed = usage(cli, "--by", "session")["rows"]
    for split in ("by_project", "by_model", "by_provider"):
        rows = report[split]
        for field in FIELDS:
            assert sum(r[field] for r in rows) == report["totals"][field], (split, field)
        assert sum(r["cost_usd"] for r in rows) == pytest.approx(report["totals"]["cost_usd"], abs=1e-5)
        costs = [r["cost_usd"] for r in rows]
        assert costs == sorted(costs, reverse=True), split
    for split in ("by_project", "by_provider"):
        assert sum(r["sessions"] for r in report[split]) == len(billed)  # each billed session once
    by_model = {r["key"]: r for r in usage(cli, "--by", "model")["rows"]}
    assert {r["key"]: tokens(r) for r in report["by_model"]} == {k: tokens(r) for k, r in by_model.items()}
    by_project = {r["key"]: tokens(r) for r in usage(cli, "--by", "project")["rows"]}
    assert {r["key"]: tokens(r) for r in report["by_project"]} == by_project


def test_top_n_keeps_the_dearest_and_folds_the_rest_into_other(cli, store):
    report = analytics(cli, "--days", ALL, "--top", "1")
    projects = report["by_project"]
    assert [p["key"] for p in projects] == ["acme-api", "(other)"]  # shop and tool are the rest
    assert projects[1]["sessions"] == 3
    for field in FIELDS:
        assert sum(p[field] for p in projects) == report["totals"][field]
    dearest = max(usage(cli, "--by", "session")["rows"], key=lambda r: r["cost_usd"])
    assert [s["id"] for s in report["top_sessions"]] == [dearest["key"]]
    assert report["top_sessions"][0]["total_tokens"] == dearest["total_tokens"]
    assert report["top_sessions"][0]["title"] == "Summarize the migration plan in docs/migration.md"
    assert len(report["most_active_projects"]) == 1
    assert len(report["by_model"]) == len(usage(cli, "--by", "model")["rows"])  # models are never cut


def test_session_health_and_duration_are_what_list_shows(cli, store):
    report = analytics(cli, "--days", ALL)
    listed = cli("list", "--json").json()
    statuses = [s["health"]["status"] for s in listed]
    stats = report["sessions"]
    assert stats["count"] == len(listed) == 6
    assert (stats["healthy"], stats["warning"], stats["critical"]) == tuple(
        statuses.count(k) for k in ("healthy", "warning", "critical"))
    assert stats["healthy_share"] == pytest.approx(statuses.count("healthy") / len(listed), abs=1e-4)

    def seconds(s: dict) -> float:
        return (datetime.fromisoformat(s["last_activity"]) - datetime.fromisoformat(s["started_at"])).total_seconds()

    assert stats["average_duration_s"] == pytest.approx(statistics.fmean(map(seconds, listed)), abs=1)
    assert stats["median_duration_s"] == pytest.approx(statistics.median(map(seconds, listed)), abs=1)


def test_a_session_begun_before_the_window_is_judged_on_its_whole_life(cli, store, fixture_logs, tmp_path):
    # Five responses on 2026-04-01, one on 2026-04-02 and an API error: 1 error in 6 responses
    # gives the errors component 33.3, so the score is 40 (context) + 0.2 * 33.3 = 46.7 (it ran
    # over a day and is long idle); counted over the window's one response it would be 40.
    write_session(fixture_logs.claude, LIMITED, [
        *(Response(f"2026-04-01T1{n}:00:00.000Z", 10, 100) for n in range(5)),
        Response("2026-04-02T10:00:00.000Z", 10, 100),
    ], api_error=("2026-04-02T10:05:00.000Z", "API Error: 500 Internal server error"))
    config = tmp_path / "config.yaml"
    config.write_text("health_thresholds:\n  healthy: 45\n")
    env = {"LLM_SESSION_CONFIG": str(config)}
    until = date.fromisoformat(analytics(cli, "--days", "1", env=env)["until"])
    report = analytics(cli, "--days", str((until - date(2026, 4, 2)).days + 1), env=env)
    listed = [s for s in cli("list", "--json", env=env).json() if s["last_activity"] >= "2026-04-02"]
    assert [s["id"] for s in listed if s["provider"] == "claude-code"] == [LIMITED]
    assert next(s for s in listed if s["id"] == LIMITED)["health"]["status"] == "healthy"
    assert report["sessions"]["healthy"] == sum(s["health"]["status"] == "healthy" for s in listed)
    assert report["totals"]["total_tokens"] == tokens(usage(cli, "--since", "2026-04-02")["totals"])[-1]


def test_most_active_projects_count_the_days_they_were_worked_on(cli, store):
    active = {p["project"]: p for p in analytics(cli, "--days", ALL)["most_active_projects"]}
    assert list(active) == ["acme-api", "shop", "tool"]
    # acme-api: 2026-02-23 and 2026-03-02; shop: 2025-08-14 and 2025-08-15; tool: 2025-09-12.
    assert [(p["active_days"], p["sessions"]) for p in active.values()] == [(2, 3), (2, 2), (1, 1)]
    assert active["shop"]["responses"] == 12  # the twelve responses of the fixture README's table


def test_a_context_filled_to_the_warning_mark_is_a_limit_hit_even_after_compaction(cli, store, fixture_logs,
                                                                                   tmp_path):
    # 5 fresh + 170,000 cache write = 170,005 of claude-sonnet-4-5's 200,000: 85.0 %. The next
    # response, after a compaction, holds 20,000: the session's fill now is 10 %. The API then
    # refuses a request: "Claude AI usage limit reached|<reset time>" is the text ccusage reads
    # the limit's reset time from.
    write_session(fixture_logs.claude, LIMITED, [
        Response("2026-06-01T10:00:00.000Z", 5, 400, written=170_000),
        Response("2026-06-01T10:20:00.000Z", 5, 300, read=20_000),
    ], api_error=("2026-06-01T10:30:00.000Z", "Claude AI usage limit reached|1780311600"))
    hits = analytics(cli, "--days", ALL)["limit_hits"]
    session = next(s for s in cli("list", "--json").json() if s["id"] == LIMITED)
    assert session["context"]["percent"] == 10.0
    assert hits["context_percent"] == 85.0 and hits["sessions"] == 1
    assert hits["top"] == [{"session_id": LIMITED, "project": "app", "context_used": 170_005,
                            "context_limit": session["context"]["limit"], "context_percent": 85.0}]
    # The fixture's 529 "Overloaded" error, and this one about the usage limit.
    assert (hits["api_errors"], hits["limit_errors"], hits["sessions_with_api_errors"]) == (2, 1, 2)

    config = tmp_path / "config.yaml"
    config.write_text("recommendations:\n  context_percent: 90\n")
    stricter = analytics(cli, "--days", ALL, env={"LLM_SESSION_CONFIG": str(config)})["limit_hits"]
    assert stricter["context_percent"] == 90.0 and stricter["sessions"] == 0 and stricter["top"] == []


def test_a_session_past_local_midnight_is_split_between_days_as_usage_splits_it(cli, store, fixture_logs):
    # In India (UTC+5:30) 18:20 UTC is 23:50 on the 10th and 18:40 UTC is 00:10 on the 11th.
    write_session(fixture_logs.claude, LIMITED, [
        Response("2026-05-10T18:20:00.000Z", 100, 1000),
        Response("2026-05-10T18:40:00.000Z", 200, 2000),
    ])
    india = {"TZ": "Asia/Kolkata"}
    report = analytics(cli, "--days", ALL, env=india)
    days = {d["date"]: d for d in report["daily"] if d["total_tokens"]}
    assert (days["2026-05-10"]["total_tokens"], days["2026-05-11"]["total_tokens"]) == (1100, 2200)
    assert days["2026-05-10"]["sessions"] == days["2026-05-11"]["sessions"] == 1
    by_day = usage(cli, "--by", "day", "--since", report["since"], env=india)["rows"]
    assert {d: tokens(r) for d, r in days.items()} == {r["key"]: tokens(r) for r in by_day}
    assert tokens(report["totals"]) == tokens(usage(cli, env=india)["totals"])


def test_the_claude_block_running_now_is_in_the_report(cli, store, fixture_logs):
    now = time.time()
    first, last = now - 40 * 60, now - 10 * 60
    write_session(fixture_logs.claude, LIMITED, [
        Response(iso(first), 10, 290, written=2000),  # 2,300 tokens
        Response(iso(last), 20, 680, read=3000),  # 3,700 tokens
    ])
    block = analytics(cli)["claude_block"]
    start = first - first % 3600  # the UTC hour of the first response
    assert datetime.fromisoformat(block["start"]).timestamp() == start
    assert datetime.fromisoformat(block["end"]).timestamp() == start + 5 * 3600
    assert block["active"] and block["responses"] == 2 and block["total_tokens"] == 6000
    # 6,000 tokens in the 30 minutes between the two responses; 1,000 of them input and output.
    assert block["burn_rate"]["tokens_per_minute"] == pytest.approx(200, rel=1e-3)
    assert block["burn_rate"]["tokens_per_minute_for_indicator"] == pytest.approx(1000 / 30, rel=1e-3)
    left = block["projection"]["remaining_minutes"]
    assert abs(left - (start + 5 * 3600 - now) / 60) <= 1.5
    assert block["projection"]["total_tokens"] == pytest.approx(6000 + 200 * left, abs=200)
    assert cli("blocks", "--active", "--json").json()[0]["start"] == block["start"]


@pytest.mark.parametrize("args, message", [
    (("--days", "0"), "--days must be a whole number from 1 to 3650, got 0"),
    (("--days", "thirty"), "--days must be a whole number from 1 to 3650, got 'thirty'"),
    (("--days", "3651"), "--days must be a whole number from 1 to 3650, got 3651"),
    (("--days", "7.5"), "--days must be a whole number from 1 to 3650, got '7.5'"),
    (("--top", "0"), "--top must be a whole number from 1 to 1000, got 0"),
])
def test_a_bad_window_or_top_is_one_line(cli, args, message):
    r = cli("analytics", *args, "--json")
    assert r.code == 1 and r.out == ""
    assert r.err == f"error: {message}\n"


def test_json_is_one_document_even_for_an_empty_store(cli):
    r = cli("analytics", "--json")
    assert r.code == 0, r.err
    report = json.loads(r.out)  # the whole of stdout: one document and nothing else
    assert report["days"] == 30 and len(report["daily"]) == 30
    assert report["totals"]["total_tokens"] == 0 and report["sessions"]["count"] == 0
    assert report["sessions"]["healthy_share"] == 0.0 and report["claude_block"] is None
    assert report["by_project"] == report["top_sessions"] == report["most_active_projects"] == []
    first, last = (date.fromisoformat(report[k]) for k in ("since", "until"))
    assert last - first == timedelta(days=29)


def test_the_terminal_view_draws_the_trend_and_the_rankings(cli, store):
    r = cli("analytics", "--days", ALL, env={"COLUMNS": "100"})
    assert r.code == 0, r.err
    trend = next(line for line in r.out.splitlines() if line.startswith("Tokens/day"))
    assert set(trend.split("  ")[1].strip()) <= set("▁▂▃▄▅▆▇█ ") and "█" in trend
    for heading in ("Cost by project", "Cost by model", "Cost by provider", "Top sessions",
                    "Most active projects", "Limits", "Claude 5-hour block"):
        assert heading in r.out
    assert "acme-api" in r.out and "gpt-5.3-codex" in r.out and "$0.63" in r.out
