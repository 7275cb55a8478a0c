"""``usage`` reports: what a status line asks every few seconds, so it must stay
exact while it reads the store's quarter-hour sums instead of every response."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from test_blocks import Response, write_session

SESSION = "0b7e64c2-5a1d-4c8e-9f3a-6d2b1e8c7a90"
OTHER = "3c9d1f0e-7b2a-4e6d-8c5b-1a0f9e8d7c6b"
FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "total_tokens")


def usage(cli, *args: str, env: dict[str, str] | None = None) -> dict:
    r = cli("usage", *args, "--json", env=env)
    assert r.code == 0, r.err
    return r.json()


def every_20_minutes(start: str, hours: int, model: str = "claude-sonnet-4-5-20250929") -> list[Response]:
    first = datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp()
    return [
        Response(datetime.fromtimestamp(first + n * 1200, timezone.utc).isoformat().replace("+00:00", "Z"),
                 fresh=n + 1, output=10 * (n + 1), read=100, model=model)
        for n in range(hours * 3)
    ]


def by_local(responses: list[Response], zone: str, fmt: str) -> dict[str, int]:
    """What each local day (or month) holds, counted response by response."""
    totals: dict[str, int] = defaultdict(int)
    for r in responses:
        at = datetime.fromisoformat(r.ts.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
        totals[at.strftime(fmt)] += r.fresh + r.output + r.read
    return dict(totals)


@pytest.mark.parametrize("zone, start", [
    ("America/Santiago", "2024-09-07T22:00:00Z"),  # clocks jump from 24:00 to 01:00: that midnight never happens
    ("Europe/Berlin", "2024-10-26T18:00:00Z"),  # clocks fall back: a 25-hour day
    ("Asia/Kathmandu", "2024-12-31T12:00:00Z"),  # UTC+5:45, across a month's end
])
def test_days_and_months_follow_local_time_across_clock_changes(cli, fixture_logs, zone, start):
    responses = every_20_minutes(start, hours=30)
    write_session(fixture_logs.claude, SESSION, responses)
    tz = {"TZ": zone}
    for by, fmt in (("day", "%Y-%m-%d"), ("month", "%Y-%m")):
        rows = usage(cli, "--by", by, "--since", "2024-09-01", "--until", "2025-01-31", env=tz)["rows"]
        assert {r["key"]: r["total_tokens"] for r in rows} == by_local(responses, zone, fmt), by


def test_every_grouping_adds_up_to_the_same_totals(cli, store, fixture_logs):
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T09:00:00Z", hours=3))
    write_session(fixture_logs.claude, OTHER, every_20_minutes("2025-08-16T10:00:00Z", 2, model="claude-opus-4-1"))
    totals = {by: usage(cli, "--by", by)["totals"] for by in ("day", "month", "session", "model", "project", "provider")}
    assert len({tuple(t[f] for f in FIELDS) for t in totals.values()}) == 1, totals
    assert len({round(t["cost_usd"], 4) for t in totals.values()}) == 1, totals
    for args in (("--provider", "codex"), ("--since", "2025-08-15", "--until", "2025-08-16")):
        day, session = usage(cli, "--by", "day", *args)["totals"], usage(cli, "--by", "session", *args)["totals"]
        assert [day[f] for f in FIELDS] == [session[f] for f in FIELDS] and day["total_tokens"] > 0, args
        assert day["cost_usd"] == pytest.approx(session["cost_usd"], abs=1e-5)


def test_a_response_logged_after_a_report_is_in_the_next_one(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T09:00:00Z", hours=1))
    before = usage(cli, "--by", "day")
    assert usage(cli, "--by", "day") == before  # nothing new: the same answer
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T09:00:00Z", hours=2))
    after = usage(cli, "--by", "model", "--no-scan")
    assert after["totals"] == before["totals"]  # --no-scan reports the store as it is
    days = [{r["key"]: r["total_tokens"] for r in report["rows"]} for report in (before, usage(cli, "--by", "day"))]
    added = sum(r.fresh + r.output + r.read for r in every_20_minutes("2025-08-16T09:00:00Z", hours=2)[3:])
    assert days[1] == {**days[0], "2025-08-16": days[0]["2025-08-16"] + added}


def test_a_fuller_copy_logged_in_the_next_quarter_hour_moves_the_response(cli, fixture_logs, sandbox_home):
    """Claude Code writes a streamed response once per content block; the last copy,
    with the final output count, may land in the next quarter hour."""
    import json

    from llm_session_manager.store import connect

    path = write_session(fixture_logs.claude, SESSION, [Response("2025-08-16T09:14:59.800Z", 7, 10, read=100)])
    day = {r["key"]: r["total_tokens"] for r in usage(cli, "--by", "day")["rows"]}
    assert day["2025-08-16"] == 7 + 10 + 100
    line = json.loads(path.read_text().splitlines()[-1])
    line["timestamp"], line["message"]["usage"]["output_tokens"] = "2025-08-16T09:15:00.300Z", 50
    with path.open("a") as f:
        f.write(json.dumps(line) + "\n")
    day = {r["key"]: r["total_tokens"] for r in usage(cli, "--by", "day")["rows"]}
    assert day["2025-08-16"] == 7 + 50 + 100  # counted once, in full

    # What was brought up to date quarter by quarter equals the sums made afresh.
    conn = connect()
    kept = conn.execute("SELECT * FROM usage_quarters ORDER BY 1, 2, 3").fetchall()
    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'usage_version'")
    conn.close()
    usage(cli, "--by", "day", "--no-scan")
    conn = connect()
    assert conn.execute("SELECT * FROM usage_quarters ORDER BY 1, 2, 3").fetchall() == kept
