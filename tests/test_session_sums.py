"""``list``, ``recommend`` and ``usage --by session|project`` read usage summed per
session (``usage_sessions``), kept up to date as logs grow: it must always equal
the sums of the responses themselves."""

from __future__ import annotations

import json

import msgspec
from test_blocks import Response, write_session

from llm_session_manager.store import connect, repricing

SESSION = "0b7e64c2-5a1d-4c8e-9f3a-6d2b1e8c7a90"
OTHER = "3c9d1f0e-7b2a-4e6d-8c5b-1a0f9e8d7c6b"
RAW = """
SELECT session_id, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens),
       round(sum(cost_usd), 9), count(*), min(exact)
FROM usage GROUP BY session_id ORDER BY session_id
"""
KEPT = """
SELECT session_id, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
       round(cost_usd, 9), responses, exact
FROM usage_sessions ORDER BY session_id
"""


def responses(start_hour: int, n: int, output: int = 10) -> list[Response]:
    return [Response(f"2025-08-16T{start_hour + i // 4:02d}:{i % 4 * 15 + 1:02d}:00Z", i + 1, output * (i + 1), read=100)
            for i in range(n)]


def assert_sums_exact(cli) -> None:
    """What the reports show per session and per project equals the responses' own sums."""
    by_session = cli("usage", "--by", "session", "--json", "--no-scan").json()
    by_project = cli("usage", "--by", "project", "--json", "--no-scan").json()
    listed = cli("list", "--json", "--no-scan").json()
    conn = connect()
    try:
        raw = conn.execute(RAW).fetchall()
        assert conn.execute(KEPT).fetchall() == raw
        shown = {r["key"]: (r["input_tokens"], r["output_tokens"], r["cache_creation_tokens"], r["cache_read_tokens"])
                 for r in by_session["rows"]}
        assert shown == {row[0]: tuple(row[1:5]) for row in raw}
        assert {s["id"]: (s["tokens"]["input"], s["tokens"]["output"], s["cost_usd"]) for s in listed} == {
            row[0]: (row[1], row[2], round(row[5], 6)) for row in raw}
        projects = conn.execute("SELECT coalesce(s.project, '(none)'), sum(u.output_tokens) FROM usage u "
                                "JOIN sessions s ON s.id = u.session_id GROUP BY 1").fetchall()
        assert {r["key"]: r["output_tokens"] for r in by_project["rows"]} == dict(projects)
    finally:
        conn.close()


def test_sums_follow_logs_that_grow_scan_after_scan(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, responses(9, 3))
    assert cli("scan", "--json").code == 0
    assert_sums_exact(cli)
    write_session(fixture_logs.claude, SESSION, responses(9, 6))  # three more responses
    write_session(fixture_logs.claude, OTHER, responses(11, 2), cwd="/home/dev/other")
    assert cli("scan", "--json").code == 0
    assert_sums_exact(cli)
    conn = connect()
    assert conn.execute("SELECT count(*) FROM usage_sessions_dirty").fetchone()[0] == 0
    conn.close()


def test_a_response_moved_to_another_session_leaves_the_first_sum(cli, fixture_logs):
    """A resumed session copies earlier responses into its own log; a fuller copy of a
    response there wins, and moves the response (and its tokens) to that session."""
    path = write_session(fixture_logs.claude, SESSION, responses(9, 3))
    assert cli("scan", "--json").code == 0
    assert_sums_exact(cli)
    copy = json.loads(path.read_text().splitlines()[-1])
    copy["sessionId"], copy["message"]["usage"]["output_tokens"] = OTHER, 500
    write_session(fixture_logs.claude, OTHER, responses(12, 1), cwd="/home/dev/other")
    with (path.parent / f"{OTHER}.jsonl").open("a") as f:
        f.write(json.dumps(copy) + "\n")
    assert cli("scan", "--json").code == 0
    assert_sums_exact(cli)
    conn = connect()
    owner = conn.execute("SELECT session_id, output_tokens FROM usage WHERE output_tokens = 500").fetchall()
    conn.close()
    assert owner == [(OTHER, 500)]
    first = {r["key"]: r["output_tokens"] for r in cli("usage", "--by", "session", "--json").json()["rows"]}
    assert first[SESSION] == 10 + 20  # the third response left it


def test_repricing_is_reflected_in_the_sums(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, responses(9, 4))
    assert cli("scan", "--json").code == 0
    assert_sums_exact(cli)
    mine = "SELECT cost_usd FROM usage_sessions WHERE session_id = ?"
    conn = connect()
    before = conn.execute(mine, (SESSION,)).fetchone()[0]
    conn.execute("UPDATE usage SET cost_usd = 0 WHERE priced = 1")  # as an older price table had them
    assert repricing.reprice(conn) >= 4
    conn.close()
    assert_sums_exact(cli)
    conn = connect()
    assert conn.execute(mine, (SESSION,)).fetchone()[0] == before > 0
    conn.close()


def test_recommend_without_an_id_gives_the_advice_of_every_session_listed(cli, fixture_logs):
    """recommend builds only the sessions active in the last day (and running ones);
    its advice is what the rules say over every session."""
    from datetime import UTC, datetime, timedelta

    from llm_session_manager.core import config
    from llm_session_manager.services import recommend, sessions

    recent = (datetime.now(UTC) - timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    write_session(fixture_logs.claude, SESSION, responses(9, 2))  # last August: history
    write_session(fixture_logs.claude, OTHER, [Response(recent, 5, 50, read=190_000)], cwd="/home/dev/other")
    r = cli("recommend", "--json")
    assert r.code == 0, r.err
    conn = connect()
    every = sessions.list_sessions(conn, config.load())
    conn.close()
    assert len(every) > 2
    assert r.json() == msgspec.to_builtins(recommend.for_sessions(every, config.load()))
    assert {rec["session_id"] for rec in r.json()} == {OTHER}
