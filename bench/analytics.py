"""``llm-session analytics --days 365`` over a year of heavy use, against a 1 s target.

A year of a team-lead's worth of sessions (20,000 sessions, a million billed
responses, 200,000 messages) is written straight into a store in a temporary
``LLM_SESSION_DATA_DIR`` with a few ``INSERT ... SELECT`` statements over a
recursive counter: no logs, so generating it takes seconds, not the minutes a scan
of the equivalent gigabytes would. The shape is what the report's cost depends on:

* sessions start in working hours (08:00-20:00, fewer at weekends), last 5 minutes
  to 3 hours, and have 50 responses each, some from sub-agents;
* Claude Code 60 %, Codex 30 %, Gemini 10 %; five models; 60 projects, a few busy;
* a Claude session running now, so the current 5-hour block has a burn rate;
* prompts and answers, tool errors in one session in ten, API errors in one in
  twenty-five (a third of them about a usage limit).

Then it times ``llm-session analytics --days 365 --json`` as a user runs it (a new
process, which first looks for new log lines: none here) and ``analytics.report``
in-process, and reports each against the 1 s target. Run with ``make bench`` or
``.venv/bin/python bench/analytics.py [--runs 5]``. A missed target is reported,
not an error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from llm_session_manager.core import config
from llm_session_manager.core.models import AnalyticsReport
from llm_session_manager.services import analytics
from llm_session_manager.store import DB_NAME, connect, write_transaction
from llm_session_manager.store.bulk import bulk_load

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results-analytics.json"
TARGET_S = 1.0
DAY = 86400

# h(i) is a deterministic hash of i: the data is the same on every run.
_HASH = "((({i}) * 2654435761 + 40503) % 4294967296)"

_SESSIONS = f"""
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :sessions),
h(i, x, y) AS (SELECT i, {_HASH.format(i="i")}, {_HASH.format(i="i + 7919")} FROM n),
t(i, x, y, day, started) AS (
    SELECT i, x, y, i * :days / :sessions,
           :first_day + (i * :days / :sessions) * {DAY} + 8 * 3600 + x % (12 * 3600)
    FROM h
    -- weekends (two days in seven) keep one session in three
    WHERE (i * :days / :sessions) % 7 < 5 OR x % 3 = 0
)
INSERT INTO sessions (id, provider, cwd, project, title, model, git_branch, version, started_at, last_activity,
                      context_ts, context_tokens, context_window)
SELECT printf('%08x-%04x-4%03x-8%03x-%012x', x, i % 65536, y % 4096, x % 4096, i * 7919 + y % 1000003),
       CASE WHEN x % 10 < 6 THEN 'claude-code' WHEN x % 10 < 9 THEN 'codex' ELSE 'gemini' END,
       '/home/dev/' || p.name, p.name, 'Session ' || i || ': fix the failing build', m.model, 'main', '1.0.0',
       started, started + 300 + y % 10500, started + 300 + y % 10500,
       CASE WHEN x % 10 < 6 THEN 20000 + y % 180000 ELSE 10000 + y % 250000 END,
       CASE WHEN x % 10 BETWEEN 6 AND 8 THEN 272000 END
FROM t
JOIN (SELECT 0 AS k, 'claude-opus-4-5-20251101' AS model UNION ALL SELECT 1, 'claude-sonnet-4-5-20250929'
      UNION ALL SELECT 2, 'claude-haiku-4-5-20251001' UNION ALL SELECT 3, 'gpt-5-codex'
      UNION ALL SELECT 4, 'gemini-2.5-pro') m
  ON m.k = CASE WHEN x % 10 < 6 THEN x / 10 % 3 WHEN x % 10 < 9 THEN 3 ELSE 4 END
-- a few busy projects: the square of a uniform number favours small ones
JOIN (WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 59)
      SELECT j, 'project-' || char(97 + j % 26) || (j / 26) AS name FROM k) p
  ON p.j = (y % 1000) * (y % 1000) * 60 / 1000000
"""

# The Claude session of the moment: it began 70 minutes ago and answered 10 minutes ago.
_NOW_SESSION = """
INSERT INTO sessions (id, provider, cwd, project, title, model, started_at, last_activity, context_ts,
                      context_tokens, context_window)
VALUES ('0badcafe-0000-4000-8000-000000000001', 'claude-code', '/home/dev/project-a0', 'project-a0',
        'Right now', 'claude-sonnet-4-5-20250929', :now - 4200, :now - 600, :now - 600, 90000, NULL)
"""

_USAGE = f"""
WITH s(k, id, model, started, span) AS (
    SELECT row_number() OVER (ORDER BY started_at) - 1, id, model, started_at, last_activity - started_at
    FROM sessions
),
n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < (SELECT count(*) FROM s) * :per),
u(i, r, input, output, cache_write, cache_read) AS (
    SELECT i, i % :per, {_HASH.format(i="i")} % 40 + 1, 60 + {_HASH.format(i="i + 13")} % 1800,
           {_HASH.format(i="i + 29")} % 5000, (i % :per) * 3000 + {_HASH.format(i="i + 31")} % 20000
    FROM n
)
INSERT INTO usage (dedup_key, session_id, ts, model, input_tokens, output_tokens, cache_creation_tokens,
                   cache_read_tokens, cost_usd, priced, exact, sidechain)
SELECT 'msg_' || s.id || '_' || u.r, s.id, s.started + s.span * u.r / (:per - 1),
       CASE WHEN u.r % 10 = 9 AND s.model LIKE 'claude%' THEN 'claude-haiku-4-5-20251001' ELSE s.model END,
       u.input, u.output, u.cache_write, u.cache_read,
       (u.input * 3.0 + u.output * 15.0 + u.cache_write * 3.75 + u.cache_read * 0.3) / 1e6, 1, 1, u.r % 10 = 9
FROM u JOIN s ON s.k = u.i / :per
"""

# Usage rows went in session by session, so a rowid names the session (k) and the
# response in it (r): prompts and answers at every tenth response, a tool error in
# one session in ten, an API error in one in twenty-five (a usage limit in one in 75).
_MESSAGES = """
WITH u AS (SELECT dedup_key, session_id, ts, (rowid - 1) / :per AS k, (rowid - 1) % :per AS r FROM usage),
kinds(kind, role, text) AS (VALUES
    ('prompt', 'user', 'Please look at the failing test in the checkout module and fix the rounding.'),
    ('text', 'assistant', 'The discount was applied before tax; I moved it after and updated the test.'),
    ('tool_error', 'user', 'Error: file has not been read yet. Read it first before writing to it.'),
    ('api_error', 'assistant',
     'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'),
    ('limit', 'assistant', 'Claude AI usage limit reached|1767225600'))
INSERT INTO messages (key, session_id, ts, role, kind, text)
SELECT u.dedup_key || ':' || kinds.kind, u.session_id, u.ts, kinds.role,
       CASE kinds.kind WHEN 'limit' THEN 'api_error' ELSE kinds.kind END, kinds.text
FROM u JOIN kinds
  ON (kinds.kind IN ('prompt', 'text') AND u.r % 10 = 0)
  OR (kinds.kind = 'tool_error' AND u.r = 7 AND u.k % 10 = 3)
  OR (kinds.kind = 'api_error' AND u.r = 33 AND u.k % 25 = 4 AND u.k % 75 <> 4)
  OR (kinds.kind = 'limit' AND u.r = 33 AND u.k % 75 = 4)
"""


def generate(data_dir: Path, *, sessions: int, per_session: int, days: int, now: float) -> dict:
    """Write the store; return what is in it."""
    conn = connect(data_dir / DB_NAME)
    today_midnight = time.mktime(time.localtime(now)[:3] + (0, 0, 0, 0, 0, -1))
    first_day = today_midnight - (days - 1) * DAY
    with bulk_load(conn, enabled=True):
        with write_transaction(conn):
            # Weekends keep a third of their sessions: ask for more so that ``sessions`` remain.
            wanted = round(sessions * 21 / 17)
            conn.execute(_SESSIONS, {"sessions": wanted, "days": days, "first_day": first_day})
            conn.execute(_NOW_SESSION, {"now": now})
            conn.execute(_USAGE, {"per": per_session})
            conn.execute(_MESSAGES, {"per": per_session})
    counts = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("sessions", "usage", "messages")
    }
    counts["mb"] = round((data_dir / DB_NAME).stat().st_size / 1e6, 1)
    conn.close()
    return counts


class Timing(NamedTuple):
    wall: list[float]  # seconds, one per run
    cpu: list[float]  # user + system seconds of the same runs: what a quiet machine would wait


def time_cli(data_dir: Path, home: Path, runs: int, extra: list[str]) -> Timing:
    """``llm-session analytics --days 365 --json`` in a fresh process, ``runs`` times."""
    script = Path(sys.executable).parent / "llm-session"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "llm_session_manager"]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local/share"), LLM_SESSION_DATA_DIR=str(data_dir), TZ="UTC")
    wall, cpu = [], []
    for _ in range(runs + 1):  # the first run warms the page cache and is not counted
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([*cmd, "analytics", "--days", "365", "--json", *extra], env=env,
                              capture_output=True, text=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"llm-session analytics failed: {proc.stderr.strip()}")
        json.loads(proc.stdout)  # one JSON document, or this raises
    return Timing(wall[1:], cpu[1:])


def time_in_process(data_dir: Path, runs: int) -> tuple[Timing, AnalyticsReport]:
    conn = connect(data_dir / DB_NAME)
    cfg = config.Config()
    wall, cpu = [], []
    for _ in range(runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        report = analytics.report(conn, cfg, days=365)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    conn.close()
    return Timing(wall[1:], cpu[1:]), report


def summary(t: Timing) -> dict:
    return {"runs": t.wall, "cpu": t.cpu, "median_s": statistics.median(t.wall), "best_s": min(t.wall),
            "median_cpu_s": statistics.median(t.cpu)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--per-session", type=int, default=50, help="responses per session")
    args = parser.parse_args()
    os.environ["TZ"] = "UTC"  # the subprocesses run in UTC too
    time.tzset()
    now = time.time()
    with tempfile.TemporaryDirectory(prefix="llm-session-bench-analytics-") as tmp:
        data_dir, home = Path(tmp) / "data", Path(tmp) / "home"
        home.mkdir()
        print(f"generating a year: {args.sessions:,} sessions x {args.per_session} responses ...", flush=True)
        start = time.perf_counter()
        store = generate(data_dir, sessions=args.sessions, per_session=args.per_session, days=365, now=now)
        generate_s = time.perf_counter() - start
        print(f"  {store['sessions']:,} sessions, {store['usage']:,} responses, {store['messages']:,} messages, "
              f"{store['mb']} MB in {generate_s:.1f} s", flush=True)
        print("timing ...", flush=True)
        cli = time_cli(data_dir, home, args.runs, [])
        cli_no_scan = time_cli(data_dir, home, args.runs, ["--no-scan"])
        inproc, report = time_in_process(data_dir, args.runs)

    rows = [
        ("llm-session analytics --days 365 --json", cli),
        ("  the same with --no-scan", cli_no_scan),
        ("analytics.report(days=365), in-process", inproc),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"\n{'':42}{'median s':>10}{'best s':>8}{'cpu s':>8}{'vs 1 s':>8}")
    for name, t in rows:
        median = statistics.median(t.wall)
        print(f"{name:42}{median:>10.3f}{min(t.wall):>8.3f}{statistics.median(t.cpu):>8.3f}"
              f"{median / TARGET_S:>7.2f}x")
    ok = statistics.median(cli.wall) < TARGET_S
    print(f"\n  {'PASS' if ok else 'FAIL'}  analytics over a year in a new process < {TARGET_S:g} s (median wall time)")
    if load is not None and load > 0.5 * (os.cpu_count() or 1):
        print(f"  (load average {load:.1f} on {os.cpu_count()} CPUs: wall times are inflated; "
              "'cpu s' is what the command itself used)")
    t = report.totals
    print(f"\nreport: {t.total_tokens:,} tokens, ${t.cost_usd:,.2f}, {report.sessions.count:,} sessions, "
          f"{report.limit_hits.sessions:,} limit hits, {report.limit_hits.api_errors:,} API errors, "
          f"active Claude block: {'yes' if report.claude_block else 'no'}")

    RESULTS.write_text(json.dumps({
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": load},
        "store": {**store, "generate_s": round(generate_s, 2)},
        "target_s": TARGET_S,
        "cli": summary(cli),
        "cli_no_scan": summary(cli_no_scan),
        "in_process": summary(inproc),
        "target": "PASS" if ok else "FAIL",
    }, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
