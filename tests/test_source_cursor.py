"""The Cursor source, told through the state.vscdb files built from tests/fixtures/cursor."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from llm_session_manager.core.encoding import count_o200k
from llm_session_manager.sources.cursor import SOURCE, user_data_dir

FIXTURES = Path(__file__).parent / "fixtures" / "cursor"
GLOBAL = json.loads((FIXTURES / "global.json").read_text())
_spec = importlib.util.spec_from_file_location("cursor_fixture_build", FIXTURES / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

AGENT = "0b6f3c1e-5a2d-4e8f-9c71-2d4a6b8e1f35"  # Sept 2025: Cursor's own token counts
AUTO = "5e1d9a7c-3b42-4f6e-a8d1-7c2e9b4f0a63"  # March 2026: counts written as 0/0
INLINE = "c7a4e2f9-1d3b-4a8c-b5e6-0f9d2c1b8a74"  # Nov 2024: bubbles inline in the composer
TAB = "3b8e5f2a-9c1d-4e7b-a6f0-2d5c8e1b4a39"  # 2023: the chat panel, in a workspace DB
API_WS, NOTES_WS = "6a3f1c9e2b7d4085f1e3a2c4b6d8e0f1", "f0e1d2c3b4a5968778695a4b3c2d1e0f"


def bubble(composer: str, bubble_id: str) -> dict:
    return GLOBAL["cursorDiskKV"][f"bubbleId:{composer}:{bubble_id}"]


def headers(composer: str) -> list[str]:
    return [h["bubbleId"] for h in GLOBAL["cursorDiskKV"][f"composerData:{composer}"]["fullConversationHeadersOnly"]]


def shown(b: dict) -> int:
    """o200k tokens of what the chat shows of a bubble: its text and its tool call's arguments."""
    tool = b.get("toolFormerData") or {}
    return count_o200k(b.get("text") or b.get("rawText") or "") + count_o200k(tool.get("params", ""))


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    return build.build(tmp_path / "Cursor")


@pytest.fixture
def global_db(user_dir: Path) -> Path:
    return user_dir / "globalStorage" / "state.vscdb"


@contextmanager
def cursor_holding(db: Path, *statements: list):
    """Another process (Cursor) that ran ``[sql, params]`` statements and keeps its
    connection, and any transaction they opened, until the block ends."""
    script = (
        "import json, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "for sql, params in json.loads(sys.argv[2]):\n"
        "    conn.execute(sql, params)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    plan = json.dumps([[s[0], s[1] if len(s) > 1 else []] for s in statements])
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(db), plan], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)


def parse(path: Path):
    return SOURCE.parse(path, b"", None)


def parse_again(path: Path, state: bytes | None):
    """A later read, with the state the previous one returned (as ingest keeps it)."""
    return SOURCE.parse(path, b"", state)


def cursor_writes(db: Path, *rows: list) -> None:
    """Cursor saving ``[key, value]`` rows as VS Code's storage does: ``INSERT`` into a
    table whose key is ``UNIQUE ON CONFLICT REPLACE``, so a rewritten row is a new row."""
    conn = sqlite3.connect(db)
    for key, value in rows:
        conn.execute("INSERT INTO cursorDiskKV VALUES (?, ?)", (key, json.dumps(value, separators=(",", ":"))))
    conn.commit()
    conn.close()


def rollback_journal(db: Path) -> None:
    """Switch ``db`` out of WAL: then a writer's lock shuts readers out, as in older setups."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


def by_session(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(r.session_id, []).append(r)
    return out


# --- where Cursor keeps its data ------------------------------------------------------


def test_cursor_data_lives_in_electrons_app_data_dir_on_each_os(tmp_path):
    home = tmp_path
    assert user_data_dir({}, home, "linux") == home / ".config" / "Cursor"
    assert user_data_dir({"XDG_CONFIG_HOME": "/xdg"}, home, "linux") == Path("/xdg/Cursor")
    assert user_data_dir({}, home, "darwin") == home / "Library" / "Application Support" / "Cursor"
    assert user_data_dir({"APPDATA": "C:/Users/dev/AppData/Roaming"}, home, "win32") == Path(
        "C:/Users/dev/AppData/Roaming/Cursor"
    )
    assert SOURCE.default_roots({"XDG_CONFIG_HOME": str(tmp_path / "cfg")}, home) == [tmp_path / "cfg" / "Cursor"]


def test_the_global_database_comes_first_then_each_workspaces(user_dir):
    found = [str(user_dir / "globalStorage" / "state.vscdb")] + [
        str(user_dir / "workspaceStorage" / ws / "state.vscdb") for ws in (API_WS, NOTES_WS)
    ]
    assert list(SOURCE.discover(user_dir.parent)) == found
    assert list(SOURCE.discover(user_dir)) == found  # a configured path may name User/ itself
    assert list(SOURCE.discover(user_dir.parent / "nope")) == []


# --- the global database: composers and their bubbles ------------------------------------


def test_a_turn_with_cursors_own_token_counts_is_billed_exactly(global_db):
    rows = by_session(parse(global_db).usage)[f"cursor:{AGENT}"]
    first, second = headers(AGENT)[0], headers(AGENT)[6]
    # one row per turn, keyed by its prompt; the counts sit on each turn's last bubble
    assert [(r.dedup_key, r.input_tokens, r.output_tokens, r.exact) for r in rows] == [
        (f"cursor:{AGENT}:{first}", 18432, 946, True),
        (f"cursor:{AGENT}:{second}", 21057, 188, True),
    ]
    # the composer's model (these bubbles name none); the answer's time, from timingInfo
    assert {r.model for r in rows} == {"claude-4-sonnet"}
    assert [r.ts for r in rows] == [1757412090.0, 1757412320.0]
    # what the turn's request put in the window: its input; Cursor logs no cache tokens
    assert [(r.context_tokens, r.cache_read_tokens, r.cache_creation_tokens) for r in rows] == [
        (18432, 0, 0), (21057, 0, 0),
    ]


def test_a_bubble_cut_from_the_conversation_is_not_billed(global_db):
    # the orphan bubble (999 in / 99 out) is stored but no header lists it any more
    usage = parse(global_db).usage
    assert all(r.input_tokens != 999 for r in usage)
    assert sum(r.input_tokens for r in usage if r.session_id == f"cursor:{AGENT}") == 18432 + 21057


def test_a_turn_cursor_recorded_as_zero_is_estimated_from_what_the_chat_shows(global_db):
    rows = by_session(parse(global_db).usage)[f"cursor:{AUTO}"]
    u1, a1, u2, t0, t1, a2 = (bubble(AUTO, b) for b in headers(AUTO))
    # input: the conversation so far, prompt included; output: answers and tool-call arguments
    assert [(r.input_tokens, r.output_tokens, r.exact) for r in rows] == [
        (shown(u1), shown(a1), False),
        (shown(u1) + shown(a1) + shown(u2), shown(t0) + shown(t1) + shown(a2), False),
    ]
    # the model that answered, not the "default" (Auto) the prompt was sent with
    assert {r.model for r in rows} == {"gpt-5"}
    assert rows[1].context_tokens == rows[1].input_tokens


def test_a_2024_composer_with_its_conversation_inline_is_read(global_db):
    (row,) = by_session(parse(global_db).usage)[f"cursor:{INLINE}"]
    prompt, answer = GLOBAL["cursorDiskKV"][f"composerData:{INLINE}"]["conversation"]
    assert (row.input_tokens, row.output_tokens) == (shown(prompt), shown(answer))
    assert row.model == "cursor-auto"  # neither the composer nor its bubbles name a model
    assert row.ts == 1731664800.0  # undated bubbles take the composer's creation time


def test_each_composer_is_placed_in_the_folder_its_workspace_has_open(global_db):
    batch = parse(global_db)
    assert {sid: s.cwd for sid, s in batch.sessions.items()} == {
        f"cursor:{AGENT}": "/home/dev/acme-api",  # listed by that workspace's composer.composerData
        f"cursor:{AUTO}": "/home/dev/acme-web",  # composer.composerHeaders in the global ItemTable
        f"cursor:{INLINE}": "/home/dev/notes app",  # workspace.json's file URI, %20 decoded
    }


def test_an_empty_composer_makes_no_session_and_a_broken_one_is_counted_malformed(global_db):
    batch = parse(global_db)
    assert "cursor:d2e8b1c4-6f3a-4b9d-a7e5-3c1f0e2d4b86" not in batch.sessions  # opened, never used
    assert batch.malformed == 1  # composerData:e9c3… is cut short


def test_a_session_has_its_title_branch_model_and_time_span(global_db):
    sessions = parse(global_db).sessions
    agent, auto = sessions[f"cursor:{AGENT}"], sessions[f"cursor:{AUTO}"]
    assert (agent.title, agent.git_branch, agent.model) == (
        "Retry failed webhook deliveries", "feature/webhook-retries", "claude-4-sonnet",
    )
    assert (agent.started_at, agent.last_activity) == (1757412000.0, 1757412330.0)
    # no name yet: the first prompt stands in
    assert auto.title == "Why does the login form submit twice when I press Enter?"


def test_prompts_and_answers_are_kept_but_not_tool_steps_or_secrets(global_db):
    messages = [m for m in parse(global_db).messages if m.session_id == f"cursor:{AGENT}"]
    assert [(m.role, m.kind) for m in messages] == [
        ("user", "prompt"), ("assistant", "text"), ("assistant", "text"),
        ("user", "prompt"), ("assistant", "text"),
    ]
    assert messages[3].text == "Run the webhook tests."  # this bubble is stored as a BLOB
    assert messages[0].key == f"cursor:{AGENT}:{headers(AGENT)[0]}"
    everything = json.dumps([list(m) for m in parse(global_db).messages])
    assert "canary-not-a-real-token" not in everything  # cursorAuth/* is never selected


def test_tool_calls_and_attached_files_name_the_files_a_session_touched(global_db):
    refs = {(r.session_id.split(":")[1][:8], r.path, r.action) for r in parse(global_db).file_refs}
    assert refs == {
        ("0b6f3c1e", "/home/dev/acme-api/src/webhooks/deliver.py", "read"),  # attached, and read_file
        ("0b6f3c1e", "/home/dev/acme-api/src/webhooks/deliver.py", "edit"),  # edit_file_v2
        ("5e1d9a7c", "/home/dev/acme-web/src/components", "search"),  # rg in a terminal step
        ("5e1d9a7c", "/home/dev/acme-web/src/components/LoginForm.tsx", "edit"),
        ("c7a4e2f9", "/home/dev/notes app/src/notes/list.ts", "read"),  # relevantFiles
    }


# --- workspace databases: the pre-composer chat panel ----------------------------------


def test_a_chat_panel_tab_is_a_session_of_its_workspace_with_estimated_answers(user_dir):
    batch = parse(user_dir / "workspaceStorage" / NOTES_WS / "state.vscdb")
    (session,) = batch.sessions.values()
    assert (session.id, session.cwd, session.title) == (f"cursor:{TAB}", "/home/dev/notes app", "Regex for ISO dates")
    tab = json.loads((FIXTURES / "workspaces" / NOTES_WS / "state.json").read_text())
    question, answer = tab["ItemTable"]["workbench.panel.aichat.view.aichat.chatdata"]["tabs"][0]["bubbles"]
    (row,) = batch.usage
    assert (row.input_tokens, row.output_tokens, row.model, row.exact) == (
        count_o200k(question["text"]), count_o200k(answer["rawText"]), "gpt-4", False,
    )
    assert row.ts == 1700000000.0  # the tab's lastSendTime: its bubbles carry no time
    assert [m.role for m in batch.messages] == ["user", "assistant"]


def test_a_workspace_without_chat_tabs_adds_nothing(user_dir):
    batch = parse(user_dir / "workspaceStorage" / API_WS / "state.vscdb")
    assert (batch.sessions, batch.usage, batch.malformed) == ({}, [], 0)


# --- a database Cursor is using -------------------------------------------------------------


def test_cursor_mid_write_neither_blocks_nor_breaks_a_read(global_db):
    before = parse(global_db)
    step = "99999999-0000-4000-8000-000000000000"
    composer = copy.deepcopy(GLOBAL["cursorDiskKV"][f"composerData:{AGENT}"])
    composer["fullConversationHeadersOnly"].append({"bubbleId": step, "type": 2})
    value = {"type": 2, "bubbleId": step, "text": "half done", "tokenCount": {"inputTokens": 5, "outputTokens": 5}}
    writes = [
        ["INSERT INTO cursorDiskKV VALUES (?, ?)", [f"bubbleId:{AGENT}:{step}", json.dumps(value)]],
        ["INSERT INTO cursorDiskKV VALUES (?, ?)", [f"composerData:{AGENT}", json.dumps(composer)]],
    ]
    with cursor_holding(global_db, ["BEGIN IMMEDIATE"], *writes):
        started = time.monotonic()
        during = parse(global_db)
        took = time.monotonic() - started
    assert took < 2.0  # WAL: the reader does not wait for the writer (nor time out)
    # the last committed state, without the step Cursor has not committed
    counts = [(r.dedup_key, r.input_tokens, r.output_tokens) for r in during.usage]
    assert counts == [(r.dedup_key, r.input_tokens, r.output_tokens) for r in before.usage]
    assert during.malformed == before.malformed == 1


def test_a_database_locked_by_a_writer_is_left_for_the_next_scan_not_counted_malformed(global_db):
    rollback_journal(global_db)
    with cursor_holding(global_db, ["BEGIN EXCLUSIVE"]):
        started = time.monotonic()
        with pytest.raises(OSError, match="Cursor's database is locked; read again next scan"):
            parse(global_db)
        took = time.monotonic() - started
    assert took < 2.0  # a short busy timeout, not a hang
    assert len(parse(global_db).usage) == 5  # free again: read in full


def test_a_damaged_database_is_counted_malformed(tmp_path):
    bad = tmp_path / "User" / "globalStorage" / "state.vscdb"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"this is not an SQLite database" * 100)
    batch = parse(bad)
    assert (batch.usage, batch.malformed) == ([], 1)


# --- reading again: only what Cursor wrote since ---------------------------------------------


def test_a_reread_takes_only_the_composers_cursor_wrote_to_since(global_db):
    first = parse(global_db)
    assert parse_again(global_db, first.state).sessions == {}  # nothing written: nothing read

    # Cursor fills in the counts of the AUTO composer's first turn: one bubble row, rewritten
    reply = dict(bubble(AUTO, headers(AUTO)[1]), tokenCount={"inputTokens": 9120, "outputTokens": 260})
    cursor_writes(global_db, [f"bubbleId:{AUTO}:{headers(AUTO)[1]}", reply])
    second = parse_again(global_db, first.state)
    assert set(second.sessions) == {f"cursor:{AUTO}"}
    # the composer is read whole: both its turns, the first now exact
    assert next((r.input_tokens, r.exact) for r in second.usage) == (9120, True)
    assert len(second.usage) == 2
    assert second.malformed == 0  # the broken composer was counted once, by the first read

    # then the user renames the AGENT composer: its composerData row is rewritten
    renamed = dict(GLOBAL["cursorDiskKV"][f"composerData:{AGENT}"], name="Webhook retries")
    cursor_writes(global_db, [f"composerData:{AGENT}", renamed])
    third = parse_again(global_db, second.state)
    assert set(third.sessions) == {f"cursor:{AGENT}"}
    assert parse_again(global_db, third.state).sessions == {}


def test_when_cursor_reuses_the_newest_rowid_everything_is_read_again(global_db):
    first = parse(global_db)
    # the newest row (the broken composer) deleted and another written: it gets the same
    # rowid, so "rows after the last one read" would miss it; the key at that rowid tells
    conn = sqlite3.connect(global_db)
    conn.execute("DELETE FROM cursorDiskKV WHERE key = (SELECT key FROM cursorDiskKV ORDER BY rowid DESC LIMIT 1)")
    conn.execute("INSERT INTO cursorDiskKV VALUES ('checkpointId:x', '{}')")
    conn.commit()
    conn.close()
    again = parse_again(global_db, first.state)
    assert set(again.sessions) == set(first.sessions)


def test_a_workspace_whose_chat_tabs_did_not_change_is_not_read_again(user_dir):
    db = user_dir / "workspaceStorage" / NOTES_WS / "state.vscdb"
    first = parse(db)
    conn = sqlite3.connect(db)  # Cursor saving the workspace's UI state
    conn.execute("INSERT INTO ItemTable VALUES ('workbench.sideBar.width', '300')")
    conn.commit()
    assert parse_again(db, first.state).usage == []
    conn.execute(  # and then the chat tabs, unchanged but written again
        "INSERT INTO ItemTable SELECT key, value FROM ItemTable WHERE key = ?",
        ("workbench.panel.aichat.view.aichat.chatdata",),
    )
    conn.commit()
    conn.close()
    assert [r.dedup_key for r in parse_again(db, first.state).usage] == [r.dedup_key for r in first.usage]


# --- the real CLI --------------------------------------------------------------------------------


@pytest.fixture
def cursor_home(sandbox_home: Path) -> Path:
    """The fixture where Cursor writes it on Linux: ``$XDG_CONFIG_HOME/Cursor``."""
    return build.build(sandbox_home / ".config" / "Cursor")


def test_the_cli_lists_cursor_sessions_and_their_usage_by_day(cursor_home, cli):
    scan = cli("scan", "--json")
    assert scan.code == 0, scan.err
    # 3 databases; the broken composer; 4 sessions with new data
    assert (scan.json()["files"], scan.json()["malformed"], scan.json()["sessions"]) == (3, 1, 4)

    listed = {s["id"]: s for s in cli("list", "--json", "--provider", "cursor").json()}
    assert set(listed) == {f"cursor:{x}" for x in (AGENT, AUTO, INLINE, TAB)}
    agent = listed[f"cursor:{AGENT}"]
    assert (agent["project"], agent["tokens"]["source"]) == ("acme-api", "exact")
    assert (agent["tokens"]["input"], agent["tokens"]["output"]) == (18432 + 21057, 946 + 188)
    assert listed[f"cursor:{AUTO}"]["tokens"]["source"] == "estimated"
    assert listed[f"cursor:{TAB}"]["project"] == "notes app"

    days = {r["key"]: r for r in cli("usage", "--by", "day", "--json", "--provider", "cursor").json()["rows"]}
    assert sorted(days) == ["2023-11-14", "2024-11-15", "2025-09-09", "2026-03-12"]
    assert (days["2025-09-09"]["input_tokens"], days["2025-09-09"]["output_tokens"]) == (39489, 1134)
    u1, a1, u2, t0, t1, a2 = (bubble(AUTO, b) for b in headers(AUTO))
    assert days["2026-03-12"]["input_tokens"] == 2 * shown(u1) + shown(a1) + shown(u2)
    assert days["2026-03-12"]["output_tokens"] == shown(a1) + shown(t0) + shown(t1) + shown(a2)


def test_rescanning_adds_nothing_and_a_turn_committed_to_the_wal_is_noticed(cursor_home, cli):
    assert cli("scan", "--json").code == 0
    assert cli("scan", "--json").json()["records"] == 0

    db = cursor_home / "globalStorage" / "state.vscdb"
    before = db.stat()
    composer = copy.deepcopy(GLOBAL["cursorDiskKV"][f"composerData:{AGENT}"])
    prompt, answer = "77777777-0000-4000-8000-000000000001", "77777777-0000-4000-8000-000000000002"
    composer["fullConversationHeadersOnly"] += [{"bubbleId": prompt, "type": 1}, {"bubbleId": answer, "type": 2}]
    rows = [
        [f"bubbleId:{AGENT}:{prompt}", {"_v": 2, "type": 1, "bubbleId": prompt, "text": "Also log each retry."}],
        [f"bubbleId:{AGENT}:{answer}", {"_v": 2, "type": 2, "bubbleId": answer, "text": "Each retry is now logged.",
                                        "timingInfo": {"clientEndTime": 1757412600000},
                                        "tokenCount": {"inputTokens": 23000, "outputTokens": 120}}],
        [f"composerData:{AGENT}", composer],
    ]
    writes = [["INSERT INTO cursorDiskKV VALUES (?, ?)", [k, json.dumps(v, separators=(",", ":"))]] for k, v in rows]
    # Cursor keeps running: its commits land in state.vscdb-wal, the main file is untouched
    with cursor_holding(db, ["PRAGMA wal_autocheckpoint=0"], *writes):
        assert (db.stat().st_size, db.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        scan = cli("scan", "--json").json()
    assert scan["records"] == 3  # the new turn's usage row and its two messages
    agent = next(s for s in cli("list", "--json", "--provider", "cursor").json() if s["id"] == f"cursor:{AGENT}")
    assert (agent["tokens"]["input"], agent["tokens"]["output"]) == (39489 + 23000, 1134 + 120)


def test_a_turn_first_estimated_is_replaced_not_added_to_when_its_counts_arrive(cursor_home, cli):
    assert cli("scan", "--json").code == 0
    reply = dict(bubble(AUTO, headers(AUTO)[1]), tokenCount={"inputTokens": 9120, "outputTokens": 260})
    with cursor_holding(
        cursor_home / "globalStorage" / "state.vscdb",
        ["INSERT INTO cursorDiskKV VALUES (?, ?)", [f"bubbleId:{AUTO}:{headers(AUTO)[1]}", json.dumps(reply)]],
    ):
        assert cli("scan", "--json").code == 0
    days = {r["key"]: r for r in cli("usage", "--by", "day", "--json", "--provider", "cursor").json()["rows"]}
    u1, a1, u2, t0, t1, a2 = (bubble(AUTO, b) for b in headers(AUTO))
    # turn 1 now bills Cursor's 9120/260 in place of its estimate; turn 2 is still estimated
    assert days["2026-03-12"]["input_tokens"] == 9120 + shown(u1) + shown(a1) + shown(u2)
    assert days["2026-03-12"]["output_tokens"] == 260 + shown(t0) + shown(t1) + shown(a2)


def test_a_configured_cursor_directory_is_scanned(tmp_path, cli):
    user = build.build(tmp_path / "elsewhere" / "Cursor")
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  cursor:\n    paths: [{user}]\n")
    scan = cli("scan", "--json", env={"LLM_SESSION_CONFIG": str(config)}).json()
    assert (scan["files"], scan["sessions"]) == (3, 4)


def test_a_disabled_cursor_source_is_not_read(cursor_home, tmp_path, cli):
    config = tmp_path / "config.yaml"
    config.write_text("sources:\n  cursor:\n    enabled: false\n")
    assert cli("scan", "--json", env={"LLM_SESSION_CONFIG": str(config)}).json()["files"] == 0


def test_a_scan_while_cursor_holds_a_lock_warns_and_the_next_scan_reads_it(cursor_home, cli):
    shutil.rmtree(cursor_home / "workspaceStorage")  # only the global database, which gets locked
    db = cursor_home / "globalStorage" / "state.vscdb"
    rollback_journal(db)
    with cursor_holding(db, ["BEGIN EXCLUSIVE"]):
        locked = cli("scan", "--json")
    assert locked.code == 0, locked.err
    assert (locked.json()["records"], locked.json()["malformed"]) == (0, 0)
    assert f"warning: cannot read {db}: Cursor's database is locked; read again next scan" in locked.err.splitlines()

    # the file did not change, yet it is read: a locked file's stat is not remembered
    freed = cli("scan", "--json").json()
    assert (freed["files_read"], freed["sessions"], freed["malformed"], freed["warnings"]) == (1, 3, 1, [])
    assert cli("scan", "--json").json()["files_read"] == 0


def test_a_damaged_database_is_counted_once_not_retried_every_scan(sandbox_home, cli):
    db = sandbox_home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not an SQLite database" * 100)
    first = cli("scan", "--json").json()
    assert (first["files"], first["malformed"], first["warnings"]) == (1, 1, [])
    again = cli("scan", "--json").json()
    assert (again["files_read"], again["malformed"]) == (0, 0)


def test_after_the_first_scans_an_idle_cursor_costs_no_read(cursor_home, cli):
    assert cli("scan", "--json").json()["records"] > 0
    # Reading a WAL database leaves an empty -wal behind (SQLite's, not ours to delete);
    # its new mtime makes the next scan look again, and find nothing new.
    assert cli("scan", "--json").json()["records"] == 0
    assert cli("scan", "--json").json()["files_read"] == 0
