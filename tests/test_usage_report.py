"""``usage`` reports: what a status line asks every few seconds, so it must stay
exact while it reads the store's quarter-hour sums instead of every response."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
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
        Response(datetime.fromtimestamp(first + n * 1200, UTC).isoformat().replace("+00:00", "Z"),
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


def raw_sums(zone: str, key) -> dict[str, list]:
    """Every stored response summed per ``key(local datetime, row)``, straight from the ``usage`` table."""
    from llm_session_manager.store import connect

    conn = connect()
    sums: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    for ts, model, *values in conn.execute(
        "SELECT ts, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd FROM usage"
    ):
        acc = sums[key(datetime.fromtimestamp(ts, ZoneInfo(zone)), model)]
        for n, v in enumerate(values):
            acc[n] += v
    conn.close()
    return dict(sums)


def as_sums(rows: list[dict]) -> dict[str, list]:
    return {r["key"]: [r["input_tokens"], r["output_tokens"], r["cache_creation_tokens"], r["cache_read_tokens"],
                       r["cost_usd"]] for r in rows}


def same(a: dict[str, list], b: dict[str, list]) -> bool:
    return a.keys() == b.keys() and all(
        a[k][:4] == b[k][:4] and a[k][4] == pytest.approx(b[k][4], abs=1e-5) for k in a)


CALENDAR = {
    "day": lambda at: at.strftime("%Y-%m-%d"),
    "week": lambda at: (at.date() - timedelta(days=at.weekday())).isoformat(),
    "month": lambda at: at.strftime("%Y-%m"),
}


@pytest.mark.parametrize("zone", [
    "Pacific/Chatham",  # UTC+12:45, and +13:45 in summer
    "Australia/Lord_Howe",  # summer time moves clocks by 30 minutes
    "America/Santiago",  # midnight skipped in September
    "Asia/Kolkata",
    "UTC",
])
def test_days_weeks_and_months_in_any_zone_equal_the_sum_of_every_response(cli, fixture_logs, zone):
    """Reports read quarter-hour sums; in every zone in use they must equal the responses summed one by one."""
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2024-09-06T20:00:00Z", hours=60))
    write_session(fixture_logs.claude, OTHER, every_20_minutes("2024-10-05T13:10:00Z", 40, model="claude-opus-4-1"))
    for by, key in CALENDAR.items():
        rows = usage(cli, "--by", by, "--timezone", zone)["rows"]
        assert same(as_sums(rows), raw_sums(zone, lambda at, _, key=key: key(at))), (by, zone)
        assert [r["key"] for r in rows] == sorted(r["key"] for r in rows)
        assert rows == usage(cli, "--by", by, env={"TZ": zone})["rows"]  # the same as TZ says


def test_a_summer_time_of_three_days_still_moves_the_days_it_lasts(cli, fixture_logs):
    """Days are summed by SQLite with the UTC offset looked up weekly; a POSIX ``TZ`` whose summer
    time starts and ends between two looks (10 to 13 April, an hour ahead) still has each response
    on its local day: a day holding one that is not is summed again quarter by quarter."""
    responses = every_20_minutes("2025-04-08T20:00:00Z", hours=120)
    write_session(fixture_logs.claude, SESSION, responses)
    summer = (datetime(2025, 4, 10, 2, tzinfo=UTC), datetime(2025, 4, 13, 1, tzinfo=UTC))
    expected: dict[str, int] = defaultdict(int)
    for r in responses:
        at = datetime.fromisoformat(r.ts.replace("Z", "+00:00"))
        expected[(at + timedelta(hours=1) if summer[0] <= at < summer[1] else at).strftime("%Y-%m-%d")] += \
            r.fresh + r.output + r.read
    april = ("--since", "2025-04-01", "--until", "2025-04-30")
    rows = usage(cli, "--by", "day", *april, env={"TZ": "XST0XDT,J100,J103"})["rows"]
    assert {r["key"]: r["total_tokens"] for r in rows} == expected


def test_a_response_dated_centuries_ahead_still_lands_on_its_day(cli, fixture_logs):
    """A log written by a clock gone wrong puts centuries between a report's first and last
    day: every day, that one included, still holds exactly its responses."""
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T21:00:00Z", hours=2)
                  + every_20_minutes("2399-12-31T23:00:00Z", hours=2))
    for zone in ("UTC", "Europe/Berlin"):
        rows = usage(cli, "--by", "day", "--timezone", zone)["rows"]
        assert same(as_sums(rows), raw_sums(zone, lambda at, _: CALENDAR["day"](at)))


def test_a_zone_whose_days_began_off_the_quarter_hour_is_still_exact(cli, fixture_logs):
    """Liberia kept UTC-0:44:30 until 1972: its midnights fall inside a quarter hour, and a
    response at 00:44:50 UTC (00:00:20 there) shares its quarter with the day before."""
    write_session(fixture_logs.claude, SESSION, every_20_minutes("1971-03-01T00:04:50Z", hours=30))
    rows = usage(cli, "--by", "day", "--timezone", "Africa/Monrovia")["rows"]
    assert len(rows) >= 2
    assert same(as_sums(rows), raw_sums("Africa/Monrovia", lambda at, _: CALENDAR["day"](at)))


def test_weeks_are_keyed_by_their_monday(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T21:00:00Z", hours=30))  # Sat to Mon
    rows = usage(cli, "--by", "week", "--since", "2025-08-01", "--until", "2025-08-31",
                 "--timezone", "Europe/Berlin")["rows"]
    assert [r["key"] for r in rows] == ["2025-08-11", "2025-08-18"]
    assert all(datetime.fromisoformat(r["key"]).weekday() == 0 for r in rows)


def test_usage_takes_the_relative_times_list_takes(cli, fixture_logs):
    now = datetime.now(UTC)
    recent = [Response((now - timedelta(hours=h)).isoformat().replace("+00:00", "Z"), fresh=h + 1, output=1)
              for h in (1, 30, 24 * 6, 24 * 8)]  # an hour, a day and a bit, six and eight days ago
    write_session(fixture_logs.claude, SESSION, recent)
    week = usage(cli, "--since", "7d", "--by", "session")["rows"]
    assert [r["input_tokens"] for r in week if r["key"] == SESSION] == [2 + 31 + 24 * 6 + 1]
    day = usage(cli, "--since", "1d", "--by", "session")["rows"]
    assert [r["input_tokens"] for r in day if r["key"] == SESSION] == [2]
    before = usage(cli, "--until", "2d", "--since", "30d", "--by", "session")["rows"]
    assert [r["input_tokens"] for r in before if r["key"] == SESSION] == [24 * 6 + 1 + 24 * 8 + 1]
    listed = cli("list", "--since", "7d", "--json").json()
    assert SESSION in {s["id"] for s in listed}
    r = cli("usage", "--since", "7 days")
    assert r.code == 1 and r.err.startswith("error: --since must be a date like 2025-01-31, an ISO time or an age")


def test_breakdown_splits_each_row_by_model_and_adds_up(cli, store, fixture_logs):
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T09:00:00Z", hours=3))
    write_session(fixture_logs.claude, OTHER, every_20_minutes("2025-08-16T10:00:00Z", 2, model="claude-opus-4-1"))
    for by in ("day", "week", "month", "session", "project", "provider", "model"):
        plain = usage(cli, "--by", by)
        split = usage(cli, "--by", by, "--breakdown")
        assert all("models" not in r for r in plain["rows"])
        assert [{k: v for k, v in r.items() if k not in ("models", "cost_usd")} for r in split["rows"]] == [
            {k: v for k, v in r.items() if k != "cost_usd"} for r in plain["rows"]], by
        assert [r["cost_usd"] for r in split["rows"]] == pytest.approx([r["cost_usd"] for r in plain["rows"]], abs=2e-6)
        for r in split["rows"]:
            assert r["models"] and [m["cost_usd"] for m in r["models"]] == sorted(
                (m["cost_usd"] for m in r["models"]), reverse=True)
            for field in FIELDS:
                assert sum(m[field] for m in r["models"]) == r[field], (by, r["key"], field)
    day = {r["key"]: r for r in usage(cli, "--by", "day", "--breakdown")["rows"]}["2025-08-16"]
    assert {m["model"] for m in day["models"]} >= {"claude-sonnet-4-5-20250929", "claude-opus-4-1"}
    assert list(day["models"][0]) == ["model", *FIELDS, "cost_usd", "cost_complete"]


def test_a_project_filter_keeps_only_that_projects_usage(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T09:00:00Z", hours=3), cwd="/w/shop")
    write_session(fixture_logs.claude, OTHER, every_20_minutes("2025-08-16T10:00:00Z", 2), cwd="/w/blog")
    projects = {r["key"]: r for r in usage(cli, "--by", "project")["rows"]}
    for by in ("day", "week", "month", "model", "provider", "session"):
        shop = usage(cli, "--by", by, "--project", "shop")
        assert shop["totals"]["total_tokens"] == projects["shop"]["total_tokens"], by
    assert [r["key"] for r in usage(cli, "--by", "session", "--project", "blog")["rows"]] == [OTHER]


def test_a_project_report_names_only_that_projects_models_without_a_price(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T09:00:00Z", 1, model="claude-quill-1"),
                  cwd="/w/shop")
    write_session(fixture_logs.claude, OTHER, every_20_minutes("2025-08-16T10:00:00Z", 1, model="claude-inkwell-2"),
                  cwd="/w/blog")
    everything = usage(cli, "--by", "day")
    assert everything["unpriced_models"] == ["claude-inkwell-2", "claude-quill-1"]
    for by in ("day", "model", "session"):
        shop = cli("usage", "--by", by, "--project", "shop", "--json")
        assert shop.json()["unpriced_models"] == ["claude-quill-1"], by
        assert "claude-inkwell-2" not in shop.err, by


def test_an_unknown_time_zone_is_one_clear_line(cli):
    r = cli("usage", "--timezone", "Mars/Olympus_Mons")
    assert r.code == 1 and r.out == ""
    assert r.err == "error: unknown time zone 'Mars/Olympus_Mons': give an IANA name like Europe/Berlin or UTC\n"


def test_a_time_without_an_offset_is_read_in_the_asked_for_zone(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, every_20_minutes("2025-08-16T00:00:00Z", hours=12))
    kolkata = usage(cli, "--since", "2025-08-16T09:00", "--timezone", "Asia/Kolkata", "--by", "session")
    utc = usage(cli, "--since", "2025-08-16T03:30:00Z", "--by", "session")
    assert kolkata == utc and kolkata["totals"]["total_tokens"] > 0
    assert usage(cli, "--since", "2025-08-16T03:30", "--by", "session", env={"TZ": "UTC"}) == utc
