""""Running for N h" counts from the session's current stretch of work.

Claude Code's resumed session (fixture session B) repeats its predecessor's
lines with their old timestamps, and a session picked up again keeps its first
day: neither is "running" since then. A session that stopped long ago is idle,
never also running.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # resumed from A: A's lines of the day before come first


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _append_turns(log: Path, times: list[datetime]) -> None:
    """Responses in the session's own shape (a copy of its last assistant line), at ``times``."""
    template = json.loads([x for x in log.read_text().splitlines() if '"type":"assistant"' in x][-1])
    with log.open("a") as f:
        for n, t in enumerate(times):
            line = json.loads(json.dumps(template))
            line.update(uuid=f"c0000000-0000-4000-8000-{n:012d}", requestId=f"req_today_{n}", timestamp=_iso(t))
            line["message"].update(id=f"msg_today_{n}")
            f.write(json.dumps(line, separators=(",", ":")) + "\n")


def _recommendations(cli, session: str) -> list[dict]:
    r = cli("recommend", session, "--json")
    assert r.code == 0, r.err
    return r.json()


def test_a_session_that_ended_long_ago_is_idle_and_never_also_running(store, cli):
    recs = _recommendations(cli, CLAUDE_B)
    assert [r["rule"] for r in recs] == ["archive"]  # idle for over archive_after_days: archive it, not "running"
    shown = next(s for s in cli("list", "--json", "--no-scan").json() if s["id"] == CLAUDE_B)
    # Its own work began when it was resumed, not at its predecessor's first line.
    assert shown["started_at"] == "2025-08-14T09:00:20Z" and shown["working_since"] == "2025-08-15T10:12:00Z"
    assert shown["health"]["components"]["duration"] == 100.0


def test_a_session_picked_up_again_today_runs_since_today_not_since_its_first_day(fixture_logs, cli):
    now = datetime.now(UTC)
    log = next(fixture_logs.claude.glob(f"projects/*/{CLAUDE_B}.jsonl"))
    _append_turns(log, [now - timedelta(minutes=m) for m in (20, 10, 1)])
    recs = _recommendations(cli, CLAUDE_B)
    assert not [r for r in recs if r["rule"] in ("duration", "idle")], recs  # not "running for 7000 h"
    shown = next(s for s in cli("list", "--json", "--no-scan").json() if s["id"] == CLAUDE_B)
    first_today = (now - timedelta(minutes=20)).replace(microsecond=0)
    assert shown["working_since"] == first_today.isoformat().replace("+00:00", "Z")


def test_a_session_at_work_for_five_hours_without_a_pause_is_told_so(fixture_logs, cli):
    now = datetime.now(UTC)
    log = next(fixture_logs.claude.glob(f"projects/*/{CLAUDE_B}.jsonl"))
    _append_turns(log, [now - timedelta(minutes=m) for m in range(300, -1, -20)])  # every 20 min for 5 h
    [running] = [r for r in _recommendations(cli, CLAUDE_B) if r["rule"] == "duration"]
    assert running["message"].startswith("running for 5.0 h (over 4 h)")


def test_pauses_to_read_a_diff_are_part_of_the_run(cli, tmp_path):
    # The demo's long session: turns up to 54 minutes apart over 4.8 hours, still going.
    r = cli("demo", "--dir", str(tmp_path / "demo"), "--json")
    assert r.code == 0, r.err
    [running] = [x for x in r.json()["recommendations"] if x["rule"] == "duration"]
    assert running["message"].startswith("running for 4.")
