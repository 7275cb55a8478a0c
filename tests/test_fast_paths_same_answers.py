"""The faster ways reports are computed give the answers the plain definitions give.

* A first ``usage`` parses Claude Code logs for sessions and usage only
  (``parse_usage``): the sessions (titles, models), usage, parser state and
  malformed count are those of the whole parse, line for line.
* The "working since" clock walks back from a session's last timestamp a window
  at a time: it lands where the definition (the latest timestamp after a gap
  longer than the pause) puts it, gaps of exactly the pause included.
* ``usage --by session`` over all time reads ``usage_sessions`` one row each: the
  rows, their order and the totals are those of the responses themselves.
* ``list`` reads each session's clock and error count from ``session_facts``,
  kept up to date from the writers' marks: after appends, a response moved to
  another session, a deleted log, a re-scan from nothing and a changed pause,
  they are those of the responses and messages themselves, and the listing is
  byte for byte the one a store that worked everything out again gives; a store
  from before them fills them on its first listing.
"""

from __future__ import annotations

import json
from pathlib import Path

from test_blocks import Response, write_session

from llm_session_manager import demo_logs
from llm_session_manager.services import working
from llm_session_manager.sources.claude_code import SOURCE as CLAUDE
from llm_session_manager.store import connect, session_sums

FIXTURES = Path(__file__).parent / "fixtures"
PAUSE_S = 4 * 3600.0  # health.stopped_after_s with the default 30 idle minutes

# The definition ``working.since`` replaced: every timestamp of a session, the gap
# before each, and the latest one after a gap longer than the pause.
BY_DEFINITION = """
WITH times(session_id, ts) AS (
    SELECT session_id, ts FROM usage UNION SELECT session_id, ts FROM messages
),
gaps AS (
    SELECT session_id, ts, ts - lag(ts) OVER (PARTITION BY session_id ORDER BY ts) AS gap FROM times
)
SELECT session_id, max(ts) FROM gaps WHERE gap IS NULL OR gap > :pause GROUP BY session_id
"""


def _claude_logs(tmp_path: Path) -> list[Path]:
    """Every Claude Code fixture transcript, and a generated history with sub-agents,
    resumed sessions, summaries, compactions and API errors."""
    generated = tmp_path / "generated"
    demo_logs.write_corpus(generated, 3 << 20, files=40, seed=5)
    found = [p for d in ("claude-code", "claude-code-memorize", "claude-code-prices")
             for p in (FIXTURES / d).rglob("*.jsonl")]
    return sorted(found) + sorted(generated.rglob("*.jsonl"))


def test_a_usage_only_parse_of_claude_code_logs_keeps_sessions_usage_and_state(tmp_path):
    logs = _claude_logs(tmp_path)
    assert len(logs) > 40
    kept_messages = 0
    for path in logs:
        data = path.read_bytes()
        for start, state in ((0, None), (len(data) // 2, b"1755000000.0")):  # from the start, and resumed
            start = data.find(b"\n", start) + 1 if start else 0
            whole = CLAUDE.parse(path, data[start:], state)
            usage_only = CLAUDE.parse_usage(path, data[start:], state)
            assert usage_only.sessions == whole.sessions, path
            assert usage_only.usage == whole.usage, path
            assert (usage_only.state, usage_only.malformed, usage_only.skipped) == \
                   (whole.state, whole.malformed, whole.skipped), path
            assert usage_only.messages == [] and usage_only.file_refs == []
            kept_messages += len(whole.messages)
    assert kept_messages > 500  # the logs hold a conversation the usage-only parse left out


def test_the_working_clock_starts_after_the_last_gap_longer_than_the_pause(cli, fixture_logs):
    hour = 3600
    base = 1_755_000_000  # 2025-08-12T12:00:00Z
    shapes = {  # seconds after base of each response; a prompt is written at the same instant
        "a1000000-0000-4000-8000-000000000000": [0, hour, 5 * hour, 6 * hour],  # a 4 h gap: not a stop
        "a2000000-0000-4000-8000-000000000000": [0, hour, 5 * hour + 1, 6 * hour],  # just over: a stop
        "a3000000-0000-4000-8000-000000000000": [0, 3 * hour, 6 * hour, 9 * hour, 12 * hour],  # never stopped
        "a4000000-0000-4000-8000-000000000000": [0, 30 * 86400, 30 * 86400 + 600, 60 * 86400],  # picked up, twice
        "a5000000-0000-4000-8000-000000000000": [0],
    }
    for sid, offsets in shapes.items():
        stamps = [f"{_utc(base + s)}" for s in offsets]
        write_session(fixture_logs.claude, sid, [Response(ts, 10, 20) for ts in stamps], cwd=f"/home/dev/{sid[:2]}")
    assert cli("scan", "--json").code == 0
    conn = connect()
    try:
        spans = {sid: (first, last) for sid, first, last in
                 conn.execute("SELECT id, started_at, last_activity FROM sessions")}
        walked = working.since(conn, spans, pause_s=PAUSE_S, shortest_s=0.0)
        defined = dict(conn.execute(BY_DEFINITION, {"pause": PAUSE_S}).fetchall())
    finally:
        conn.close()
    assert len(spans) > len(shapes)  # the fixture sessions too
    assert walked == {sid: max(start, spans[sid][0]) for sid, start in defined.items()}
    assert walked["a1000000-0000-4000-8000-000000000000"] == base
    assert walked["a2000000-0000-4000-8000-000000000000"] == base + 5 * hour + 1
    assert walked["a4000000-0000-4000-8000-000000000000"] == base + 60 * 86400


def _utc(t: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def test_usage_by_session_rows_order_and_totals_are_the_responses_own(cli, store):
    shown = cli("usage", "--by", "session", "--json", "--no-scan").json()
    only_claude = cli("usage", "--by", "session", "--provider", "claude-code", "--json", "--no-scan").json()
    conn = connect()
    try:
        raw = conn.execute("""
            SELECT u.session_id, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens),
                   sum(cache_read_tokens), sum(cost_usd), sum(priced = 2), s.provider, min(u.exact)
            FROM usage u JOIN sessions s ON s.id = u.session_id GROUP BY u.session_id""").fetchall()
    finally:
        conn.close()
    for report, rows in ((shown, raw), (only_claude, [r for r in raw if r[7] == "claude-code"])):
        expected = sorted(({"key": sid, "input_tokens": i, "output_tokens": o, "cache_creation_tokens": cc,
                            "cache_read_tokens": cr, "total_tokens": i + o + cc + cr,
                            "cost_usd": None if unpriced and not cost else round(cost, 6),
                            "cost_complete": not unpriced,
                            "provenance": {"tokens": "exact" if exact else "estimated",
                                           "cost_usd": "unknown" if unpriced else "exact" if exact else "estimated"}}
                           for sid, i, o, cc, cr, cost, unpriced, _, exact in rows),
                          key=lambda r: (-r["total_tokens"], r["key"]))
        assert len(expected) > 1
        assert [{**r, "cost_usd": r["cost_usd"] and round(r["cost_usd"], 5)} for r in report["rows"]] == \
               [{**r, "cost_usd": r["cost_usd"] and round(r["cost_usd"], 5)} for r in expected]
        totals = report["totals"]
        for field in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "total_tokens"):
            assert totals[field] == sum(r[field] for r in expected)
        assert totals["cost_complete"] == all(r["cost_complete"] for r in expected)
    assert json.dumps(shown) != json.dumps(only_claude)  # the fixtures hold Codex sessions too


# What ``session_facts`` keeps, by its definition: the stretch as above (None for
# a session without responses or messages) and the error messages of each session.
FACTS_BY_DEFINITION = f"""
WITH stretch(session_id, since) AS ({BY_DEFINITION}),
errors(session_id, n) AS (
    SELECT session_id, count(*) FROM messages WHERE kind IN ('api_error', 'tool_error') GROUP BY session_id
)
SELECT s.id, st.since, coalesce(e.n, 0) FROM sessions s
LEFT JOIN stretch st ON st.session_id = s.id LEFT JOIN errors e ON e.session_id = s.id
"""
FIRST, SECOND = "b1000000-0000-4000-8000-000000000000", "b2000000-0000-4000-8000-000000000000"


def _kept_and_defined(pause_s: float = PAUSE_S) -> tuple[dict, dict]:
    conn = connect()
    try:
        session_sums.refresh(conn, pause_s)
        kept = {sid: (since, errors) for sid, since, errors in
                conn.execute("SELECT session_id, stretch_from, errors FROM session_facts")}
        defined = {sid: (since, errors) for sid, since, errors in
                   conn.execute(FACTS_BY_DEFINITION, {"pause": pause_s})}
    finally:
        conn.close()
    return kept, defined


def _listed_again_from_nothing(cli) -> str:
    """``list --json`` once the store has forgotten every kept figure (as a new version of the
    sums would make it), so that it works each out again from the rows."""
    conn = connect()
    try:
        conn.execute("DELETE FROM session_facts; UPDATE meta SET value = 0 "
                     "WHERE key IN ('usage_sessions_version', 'session_facts_version')")
    finally:
        conn.close()
    return cli("list", "--json", "--no-scan").out


def test_the_kept_clock_and_errors_follow_every_change_to_the_rows(cli, fixture_logs, use_config):
    def step(*, pause_s: float = PAUSE_S) -> dict:
        assert cli("scan", "--json").code == 0
        listed = cli("list", "--json", "--no-scan")
        assert listed.code == 0, listed.err
        kept, defined = _kept_and_defined(pause_s)
        assert kept == defined
        assert _listed_again_from_nothing(cli) == listed.out  # the sessions are months old: now changes nothing
        return {s["id"]: s for s in listed.json()}

    hour = 3600
    base = 1_755_000_000  # 2025-08-12T12:00:00Z
    refused = (_utc(base + 2 * hour), "API Error: 529 overloaded")
    first = write_session(fixture_logs.claude, FIRST, [Response(_utc(base + s), 10, 20) for s in (0, hour)],
                          api_error=refused)
    listed = step()
    assert listed[FIRST]["working_since"] == _utc(base) and listed[FIRST]["health"]["components"]["errors"] < 100
    # Appended (the log written again whole, as it grows): after a pause of five hours, more work.
    write_session(fixture_logs.claude, FIRST,
                  [Response(_utc(base + s), 10, 20) for s in (0, hour, 7 * hour, 8 * hour, 10 * hour)],
                  api_error=refused)
    listed = step()
    assert listed[FIRST]["working_since"] == _utc(base + 7 * hour)
    # Back after five hours, a prompt typed and not yet answered: a message, no response.
    prompt = json.loads(next(line for line in first.read_text().splitlines() if '"type":"user"' in line))
    prompt.update(uuid="b1000000-u-later", parentUuid=None, timestamp=_utc(base + 15 * hour))
    with first.open("a") as f:
        f.write(json.dumps(prompt, separators=(",", ":")) + "\n")
    listed = step()
    assert listed[FIRST]["working_since"] == _utc(base + 15 * hour)
    # A resumed session's log holds a fuller copy of the first one's last response: it moves there.
    copy = json.loads([line for line in first.read_text().splitlines() if '"assistant"' in line][-2])
    copy["sessionId"], copy["message"]["usage"]["output_tokens"] = SECOND, 500
    second = write_session(fixture_logs.claude, SECOND, [Response(_utc(base + 30 * hour), 10, 20)],
                           cwd="/home/dev/other")
    with second.open("a") as f:
        f.write(json.dumps(copy) + "\n")
    step()
    # A deleted log: the store keeps what it read from it.
    second.unlink()
    step()
    # A longer pause (40 idle minutes: 5 h 20 min) walks every session again: neither
    # five-hour break is a stop now, and the first session has worked since its start.
    use_config("recommendations:\n  idle_minutes: 40\n")
    listed = step(pause_s=320 * 60.0)
    assert listed[FIRST]["working_since"] == _utc(base)


def test_a_first_scan_and_a_scan_after_it_keep_the_same_facts_as_the_rows(cli, tmp_path, monkeypatch):
    claude = tmp_path / "claude"
    demo_logs.write_corpus(claude, 2 << 20, files=30, seed=7)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "no-codex"))
    assert cli("scan", "--json").code == 0
    kept, defined = _kept_and_defined()
    assert kept == defined and sum(errors for _, errors in kept.values()) > 0
    demo_logs.write_corpus(claude, 3 << 20, files=30, seed=7)  # every log written again, larger
    assert cli("scan", "--json").code == 0
    kept, defined = _kept_and_defined()
    assert kept == defined


def test_a_store_from_before_the_kept_facts_fills_them_on_its_first_listing(cli, store):
    listed = cli("list", "--json", "--no-scan")
    assert listed.code == 0, listed.err
    conn = connect()
    try:  # the store as version 13 left it
        conn.execute("DROP TABLE session_facts; DROP TABLE session_facts_dirty; "
                     "DELETE FROM meta WHERE key IN ('session_facts_pause', 'session_facts_version'); "
                     "PRAGMA user_version = 13")
    finally:
        conn.close()
    again = cli("list", "--json", "--no-scan")
    assert again.code == 0, again.err
    assert again.out == listed.out
    kept, defined = _kept_and_defined()
    assert kept == defined and len(kept) > 1
