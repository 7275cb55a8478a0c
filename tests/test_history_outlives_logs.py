"""History that outlives the logs (issue 12, item 5): Claude Code deletes a
transcript after ``cleanupPeriodDays``; what the store read from it stays, and
``list`` and ``show`` say the log is gone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from llm_session_manager.services import history
from llm_session_manager.store import connect

SESSION = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"


def _transcript(claude: Path) -> Path:
    return next(claude.rglob(f"{SESSION}.jsonl"))


def _views(cli) -> dict:
    """What a user sees of the session: its listing, its report, the day's usage, a search hit."""
    listed = cli("list", "--json")
    shown = cli("show", SESSION, "--json")
    usage = cli("usage", "--by", "session", "--json")
    for r in (listed, shown, usage):
        assert r.code == 0, r.err
    conn = connect(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db")
    try:
        found = history.search(conn, '"discount is applied twice"')
    finally:
        conn.close()
    return {
        "list": next(s for s in listed.json() if s["id"] == SESSION),
        "show": shown.json(),
        "usage": next(row for row in usage.json()["rows"] if row["key"] == SESSION),
        "search": [m.session_id for m in found.matches],
    }


def test_a_deleted_transcript_s_session_stays_in_list_show_usage_and_search(fixture_logs, cli):
    assert cli("scan").code == 0
    before = _views(cli)
    assert before["search"] == [SESSION]
    assert "log_gone" not in before["list"] and "log_gone" not in before["show"]

    _transcript(fixture_logs.claude).unlink()  # Claude Code's cleanup
    assert cli("scan").code == 0
    after = _views(cli)

    assert after["search"] == before["search"]
    assert after["usage"] == before["usage"]
    assert after["list"].pop("log_gone") is True
    assert after["show"].pop("log_gone") is True
    assert after["list"] == before["list"]
    assert after["show"] == before["show"]


def test_list_and_show_mark_a_session_whose_log_is_gone(fixture_logs, cli):
    assert cli("scan").code == 0
    _transcript(fixture_logs.claude).unlink()
    assert cli("scan").code == 0
    assert "log gone" in cli("show", SESSION).out
    listed = cli("list", env={"COLUMNS": "200"}).out
    line = next(line for line in listed.splitlines() if SESSION[:6] in line)
    assert "gone" in line


def test_a_log_that_comes_back_is_no_longer_gone(fixture_logs, cli, tmp_path):
    assert cli("scan").code == 0
    log = _transcript(fixture_logs.claude)
    kept = tmp_path / "kept.jsonl"
    shutil.move(log, kept)
    assert cli("scan").code == 0
    shutil.move(kept, log)  # restored from a backup
    assert cli("scan").code == 0
    listed = next(s for s in cli("list", "--json").json() if s["id"] == SESSION)
    assert "log_gone" not in listed


def test_a_session_spanning_two_logs_is_gone_only_when_both_are(fixture_logs, cli):
    """A session's sub-agents write their own transcripts: the session's log is
    gone only when none of its files is left."""
    assert cli("scan").code == 0
    parent = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
    main = next(fixture_logs.claude.rglob(f"{parent}.jsonl"))
    main.unlink()
    assert cli("scan").code == 0
    sessions = {s["id"]: s for s in cli("list", "--json").json()}
    assert "log_gone" not in sessions[parent]
    shutil.rmtree(main.with_suffix(""))  # its subagents/ directory
    assert cli("scan").code == 0
    assert cli("show", parent, "--json").json()["log_gone"] is True


def test_a_store_scanned_before_v17_knows_its_claude_transcripts_sessions(fixture_logs, cli):
    """The upgrade learns which session each Claude Code transcript held from its
    name, so a transcript deleted after the upgrade is noticed without reading it again."""
    assert cli("scan").code == 0
    conn = connect(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db")
    conn.execute("DELETE FROM session_logs; PRAGMA user_version = 16")  # as a v16 store left it
    conn.close()
    assert cli("scan").code == 0  # migrates, reads nothing new
    _transcript(fixture_logs.claude).unlink()
    assert cli("scan").code == 0
    assert cli("show", SESSION, "--json").json()["log_gone"] is True
