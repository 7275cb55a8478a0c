"""Searching past conversations (issue 13, item 1): `llm-session search` and
`show ID --message N` over a store scanned from the Claude Code, Codex and Gemini
CLI fixtures, through the real CLI; and the full-text index under it (migration
019) on real SQLite files, from an existing v17 store on.

The read-only stories share one store (``searched``); those that change the store
or the logs make their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import apsw
import pytest
from conftest import FIXTURES

from llm_session_manager.services import history
from llm_session_manager.store import SCHEMA_VERSION, connect
from llm_session_manager.store.bulk import bulk_load

CLAUDE_A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"  # shop: the coupon applied twice
GEMINI_NOTES = "6a6a6a6a"  # notes-app: a search command


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llm_session_manager", *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """One store scanned from three assistants' fixture logs, and a way to run the CLI on it."""
    root = tmp_path_factory.mktemp("search")
    shutil.copytree(FIXTURES / "claude-code", root / "claude")
    shutil.copytree(FIXTURES / "codex" / "home", root / "codex")
    shutil.copytree(FIXTURES / "gemini" / "home", root / "gemini")
    (root / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("LLM_SESSION_CONFIG", "NO_COLOR", "FORCE_COLOR")}
    env.update(HOME=str(root / "home"), LLM_SESSION_DATA_DIR=str(root / "data"), CLAUDE_CONFIG_DIR=str(root / "claude"),
               CODEX_HOME=str(root / "codex"), GEMINI_CLI_HOME=str(root / "gemini"), XDG_CONFIG_HOME=str(root / "cfg"),
               TZ="UTC", COLUMNS="200")
    scan = _run(env, "scan", "--json")
    assert scan.returncode == 0, scan.stderr

    def search(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return _run({**env, **(extra or {})}, "search", *args, "--no-scan")

    def found(*args: str) -> list[dict]:
        r = search(*args, "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["matches"]

    return SimpleNamespace(env=env, db=root / "data" / "sessions.db", search=search, found=found,
                           run=lambda *a: _run(env, *a), scan=json.loads(scan.stdout))


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_a_scan_counts_each_message_once_not_the_index_s_writes(searched):
    conn = apsw.Connection(str(searched.db))
    try:
        stored = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("usage", "messages", "file_refs"))
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] > 40
    finally:
        conn.close()
    assert searched.scan["records"] == stored


def _highlighted(match: dict) -> list[str]:
    return [match["snippet"][a:b].lower() for a, b in match["highlights"]]


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_a_word_finds_its_other_forms_in_every_assistant_s_messages(searched):
    coupon = searched.found("applying coupons")  # stemmed: "applied", "coupon" match
    assert coupon and coupon[0]["session_id"] == CLAUDE_A and coupon[0]["provider"] == "claude-code"
    assert "coupon was applied twice" in coupon[0]["snippet"]
    assert set(_highlighted(coupon[0])) == {"coupon", "applied"}
    limiter = searched.found("limiters")
    assert {m["provider"] for m in limiter} == {"codex"}
    gemini = searched.found('"case-insensitive" search')
    assert {m["provider"] for m in gemini} == {"gemini"} and all(m["session_id"].startswith(GEMINI_NOTES) for m in gemini)
    for m in coupon + limiter + gemini:
        assert m["message"] >= 1 and m["ts"] and m["score"] is not None and 0 < m["score"] <= 1


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_a_hit_leads_to_its_message_in_place(searched):
    hit = searched.found("regression test stacked")[0]
    shown = searched.run("show", hit["session_id"][:8], "--message", str(hit["message"]), "--json", "--no-scan")
    assert shown.returncode == 0, shown.stderr
    place = json.loads(shown.stdout)
    assert place["session_id"] == hit["session_id"] and place["message"] == hit["message"]
    asked = next(m for m in place["messages"] if m["message"] == hit["message"])
    assert asked["text"] == "Also add a regression test for stacked coupons." and asked["ts"] == hit["ts"]
    assert [m["message"] for m in place["messages"]] == list(range(max(1, hit["message"] - 2),
                                                                   min(place["total"], hit["message"] + 2) + 1))
    beyond = searched.run("show", hit["session_id"], "--message", str(place["total"] + 1), "--no-scan")
    assert beyond.returncode == 1 and beyond.stderr.strip() == (
        f"error: --message must be a whole number from 1 to {place['total']}, got {place['total'] + 1}")


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_filters_narrow_the_matches(searched):
    everything = searched.found("summary")
    assert {m["provider"] for m in everything} == {"codex", "gemini"}
    assert {m["provider"] for m in searched.found("summary", "--provider", "gemini")} == {"gemini"}
    assert {m["project"] for m in searched.found("summary", "--project", "notes-app")} == {"notes-app"}
    assert {m["role"] for m in searched.found("summary", "--role", "system")} == {"system"}
    assert {m["role"] for m in searched.found("summarize", "--role", "user")} == {"user"}
    assert {m["kind"] for m in searched.found("exist", "--role", "tool")} == {"tool_error"}
    answers = searched.found("exist", "--role", "assistant")  # "an existing limiter"
    assert answers and {m["role"] for m in answers} == {"assistant"}
    only = searched.found("coupon", "--in", CLAUDE_A[:8])
    assert only and {m["session_id"] for m in only} == {CLAUDE_A}
    assert len(searched.found("coupon")) > len(only)
    assert searched.found("coupon", "--since", "2099-01-01") == []
    assert len(searched.found("coupon", "--limit", "1")) == 1


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_newest_first_or_best_first(searched):
    newest = searched.found("coupon", "--sort", "newest")
    assert [m["ts"] for m in newest] == sorted((m["ts"] for m in newest), reverse=True)
    assert all(m["score"] is None for m in newest)
    best = searched.found("coupon")
    assert [m["score"] for m in best] == sorted((m["score"] for m in best), reverse=True)
    assert 0.9 < best[0]["score"] <= 1.0  # 1.0: first by words and by meaning
    assert sorted(m["message"] for m in best) == sorted(m["message"] for m in newest)


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_what_a_user_may_type_never_crashes_the_search(searched):
    for query in ('NEAR(coupon', '"unbalanced coupon', "coupon AND OR NOT", "coupon:", "(coupon)", "^coupon*", "col:x"):
        r = searched.search(query, "--json")
        assert r.returncode == 0, (query, r.stderr)
    # an unclosed quote runs to the end: a phrase
    assert json.loads(searched.search('"applied twice', "--json").stdout)["matches"]
    for query, message in (("", "error: the query must not be empty"),
                           ("   ", "error: the query must not be empty"),
                           ("!!! ...", "error: the query has no word to search for: '!!! ...'")):
        r = searched.search(query)
        assert r.returncode == 1 and r.stderr.strip() == message
    r = searched.search("coupon", "--limit", "0")
    assert r.returncode == 1 and r.stderr.strip() == "error: --limit must be a whole number from 1 to 200, got 0"


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_a_terminal_shows_matched_words_bold_and_in_colour_unless_no_color(searched):
    coloured = searched.search("applyCoupon", extra={"FORCE_COLOR": "1"})
    assert coloured.returncode == 0
    assert "\x1b[1;33mapplyCoupon\x1b[0m" in coloured.stdout
    plain = searched.search("applyCoupon", extra={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[1mapplyCoupon\x1b[0m" in plain.stdout and "33m" not in plain.stdout
    piped = searched.search("applyCoupon")
    assert "\x1b" not in piped.stdout and "applyCoupon" in piped.stdout


# --- secrets ---------------------------------------------------------------------

GITHUB = "ghp_" + "Zq8" * 12  # the shape of a GitHub token, 36 characters after the prefix


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_a_snippet_never_shows_a_secret_stored_before_ingest_redacted(searched, tmp_path: Path):
    db = tmp_path / "sessions.db"
    shutil.copy(searched.db, db)
    conn = apsw.Connection(str(db))
    conn.execute("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES ('raw', ?, 1.8e9, 'user', "
                 "'prompt', ?)", (CLAUDE_A, f"push with GITHUB_TOKEN={GITHUB} to the wombat repo"))
    conn.close()
    conn = connect(db)
    try:
        hit = history.search(conn, "wombat").matches
        assert len(hit) == 1 and GITHUB not in hit[0].snippet and GITHUB[4:16] not in hit[0].snippet
        assert "[REDACTED:github-token]" in hit[0].snippet
        # found by the secret itself in the index, but no match is left to show: not a hit
        assert history.search(conn, GITHUB).matches == []
    finally:
        conn.close()


# --- the index: migration 019, kept in step --------------------------------------


@pytest.mark.slow  # the CLI in subprocesses, for the shared store
def test_a_v17_store_gets_its_messages_indexed_on_upgrade(searched, tmp_path: Path):
    db = tmp_path / "sessions.db"
    shutil.copy(searched.db, db)
    conn = apsw.Connection(str(db))  # as version 17 left it: no index, no triggers
    conn.execute("DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_delete; DROP TRIGGER messages_fts_update;"
                 "DROP TABLE messages_fts; PRAGMA user_version = 17")
    conn.close()
    conn = connect(db)
    try:
        assert conn.execute("PRAGMA user_version").get == SCHEMA_VERSION
        assert {m.session_id for m in history.search(conn, "discount twice").matches} == {CLAUDE_A}
        assert conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)") is not None
    finally:
        conn.close()


def test_the_index_follows_every_write_to_messages(tmp_path: Path):
    conn = connect(tmp_path / "sessions.db")
    try:
        conn.execute("INSERT INTO sessions (id, provider) VALUES ('s1', 'claude-code')")
        conn.execute("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES "
                     "('k1', 's1', 1, 'user', 'prompt', 'the flamingo migration'), "
                     "('k2', 's1', 2, 'assistant', 'text', 'flamingo done')")
        conn.execute("INSERT OR IGNORE INTO messages (key, session_id, ts, role, kind, text) VALUES "
                     "('k1', 's1', 1, 'user', 'prompt', 'a copy, ignored')")
        assert len(history.search(conn, "flamingo").matches) == 2
        assert history.search(conn, "copy").matches == []
        conn.execute("UPDATE messages SET text = 'the pelican migration' WHERE key = 'k1'")  # as the scrub rewrites
        assert [m.message for m in history.search(conn, "flamingo").matches] == [2]
        assert [m.message for m in history.search(conn, "pelican").matches] == [1]
        conn.execute("DELETE FROM messages WHERE key = 'k2'")
        assert history.search(conn, "flamingo").matches == []
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


_TRIGGERS = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'messages_fts_%'"


def test_a_first_big_load_indexes_its_messages_once_at_its_end(tmp_path: Path):
    conn = connect(tmp_path / "sessions.db")
    try:
        conn.execute("INSERT INTO sessions (id, provider) VALUES ('s1', 'codex')")
        with bulk_load(conn, enabled=True):
            assert conn.execute(_TRIGGERS).get == 0  # not row by row
            conn.executemany("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES (?, 's1', ?, 'user',"
                             " 'prompt', ?)", [(f"k{i}", float(i), f"heron number {i}") for i in range(50)])
        assert conn.execute(_TRIGGERS).get == 3
        assert len(history.search(conn, "heron", limit=100).matches) == 50
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


def test_a_session_whose_transcript_was_deleted_is_still_found(fixture_logs, cli):
    assert cli("scan").code == 0
    before = cli("search", "discount applied twice", "--json").json()["matches"]
    assert before and {m["session_id"] for m in before} == {CLAUDE_A}
    next(fixture_logs.claude.rglob(f"{CLAUDE_A}.jsonl")).unlink()  # Claude Code's cleanupPeriodDays
    after = cli("search", "discount applied twice", "--json")
    assert after.code == 0, after.err
    assert after.json()["matches"] == before
