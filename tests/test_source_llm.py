"""The ``llm`` CLI source, told through logs.db files built from tests/fixtures/llm."""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llm_session_manager.core.encoding import count_o200k
from llm_session_manager.sources.llm_cli import SOURCE, user_dir

FIXTURES = Path(__file__).parent / "fixtures" / "llm"
_spec = importlib.util.spec_from_file_location("llm_fixture_build", FIXTURES / "build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

OPENAI, ANTHROPIC = "01jwxe8c2n6z7rj3m9k4t5v6w7", "01jwxgk4d8e9f0g1h2j3k4m5n6"
GEMINI, LOCAL = "01jx0a1b2c3d4e5f6g7h8j9k0m", "01jx2m3n4p5q6r7s8t9v0w1x2y"


@pytest.fixture(autouse=True)
def no_llm_user_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox home is not enough if the developer's LLM_USER_PATH points elsewhere."""
    monkeypatch.delenv("LLM_USER_PATH", raising=False)


@pytest.fixture
def logs_db(tmp_path: Path) -> Path:
    return build.current(tmp_path / "io.datasette.llm")


def parse(path: Path):
    return SOURCE.parse(path, b"", None)


def parse_again(path: Path, state: bytes | None):
    """A later read, with the state the previous one returned (as ingest keeps it)."""
    return SOURCE.parse(path, b"", state)


def log_response(db: Path, rid: str, conversation: str, when: str, prompt: str, answer: str, tokens=(None, None)):
    """``llm -c`` logging one more response to ``conversation``, as ``Response.log_to_db`` does."""
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO responses (id, model, prompt, response, conversation_id, duration_ms, datetime_utc,"
        " input_tokens, output_tokens) VALUES (?, 'orca-mini-3b-gguf2-q4_0', ?, ?, ?, 800, ?, ?, ?)",
        (rid, prompt, answer, conversation, when, *tokens),
    )
    conn.commit()
    conn.close()


def response(db: Path, rid: str) -> dict:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM responses WHERE id = ?", (rid,)).fetchone())
    finally:
        conn.close()


def counts(rows) -> list[tuple]:
    """(input, cache writes, cache reads, output, exact) of each row."""
    return [(r.input_tokens, r.cache_creation_tokens, r.cache_read_tokens, r.output_tokens, r.exact) for r in rows]


def in_session(batch, conversation: str) -> list:
    return [r for r in batch.usage if r.session_id == f"llm:{conversation}"]


@contextmanager
def llm_writing(db: Path, *statements: str):
    """Another process that ran ``statements`` and keeps its transaction open until the block ends."""
    script = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "for sql in sys.argv[2:]:\n"
        "    conn.execute(sql)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(db), *statements], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)


# --- where llm keeps logs.db ------------------------------------------------------------


def test_llm_user_path_wins_else_clicks_app_dir_for_the_os(tmp_path):
    home = tmp_path
    assert user_dir({"LLM_USER_PATH": "/srv/llm"}, home, "linux") == Path("/srv/llm")
    assert user_dir({}, home, "linux") == home / ".config" / "io.datasette.llm"
    assert user_dir({"XDG_CONFIG_HOME": "/xdg"}, home, "linux") == Path("/xdg/io.datasette.llm")
    assert user_dir({}, home, "darwin") == home / "Library" / "Application Support" / "io.datasette.llm"
    assert user_dir({"APPDATA": "C:/Users/dev/AppData/Roaming"}, home, "win32") == Path(
        "C:/Users/dev/AppData/Roaming/io.datasette.llm"
    )


def test_logs_db_is_the_one_file_read(logs_db, tmp_path):
    assert list(SOURCE.discover(logs_db.parent)) == [str(logs_db)]
    assert list(SOURCE.discover(tmp_path / "nope")) == []


# --- what a response bills ----------------------------------------------------------------


def test_openai_cached_prompt_tokens_are_taken_out_of_input(logs_db):
    rows = in_session(parse(logs_db), OPENAI)
    # the second prompt: 1460 input of which 1024 cached (prompt_tokens_details)
    assert counts(rows) == [(16, 0, 0, 27, True), (1460 - 1024, 0, 1024, 31, True)]
    assert {r.model for r in rows} == {"gpt-4o-mini-2024-07-18"}  # resolved_model over the alias
    assert rows[1].context_tokens == 1460


def test_anthropic_cache_reads_and_writes_come_beside_the_input(logs_db):
    rows = in_session(parse(logs_db), ANTHROPIC)
    assert counts(rows) == [(21, 2314, 0, 318, True), (12, 0, 2314, 146, True)]
    assert {r.model for r in rows} == {"anthropic/claude-3-5-sonnet-latest"}
    assert [r.context_tokens for r in rows] == [21 + 2314, 12 + 2314]


def test_gemini_cached_content_is_taken_out_of_input(logs_db):
    assert counts(in_session(parse(logs_db), GEMINI)) == [(4210 - 4096, 0, 4096, 25, True)]


def test_a_plugin_that_reports_no_usage_is_estimated_from_the_conversation_so_far(logs_db):
    rows = in_session(parse(logs_db), LOCAL)
    first = response(logs_db, "01jx2m3n4r8s9t0v1w2x3y4z5a")
    second = response(logs_db, "01jx2m5c6d7e8f9g0h1j2k3m4n")
    tok = count_o200k
    assert counts(rows) == [
        (tok(first["prompt"]), 0, 0, tok(first["response"]), False),
        # llm -c re-sends the first exchange; the system prompt goes with the request
        (tok(first["prompt"]) + tok(first["response"]) + tok(second["system"]) + tok(second["prompt"]),
         0, 0, tok(second["response"]), False),
    ]


def test_each_response_is_one_row_dated_by_datetime_utc(logs_db):
    usage = parse(logs_db).usage
    assert len(usage) == len({r.dedup_key for r in usage}) == 7
    first = next(r for r in usage if r.dedup_key == "llm:01jwxe8c2q3a4b5c6d7e8f9g0h")
    assert first.ts == datetime(2025, 6, 3, 9, 15, 50, 114271, tzinfo=UTC).timestamp()
    assert all(r.cost_usd is None for r in usage)  # llm logs no cost: priced at ingest


def test_a_database_from_before_token_columns_is_read_and_estimated(tmp_path):
    old = build.old(tmp_path / "io.datasette.llm")
    batch = parse(old)
    assert [(r.model, r.exact) for r in batch.usage] == [("gpt-3.5-turbo", False)] * 2
    # no zone written: UTC, as llm meant it
    assert batch.usage[0].ts == datetime(2023, 8, 17, 20, 53, 58, 202525, tzinfo=UTC).timestamp()
    assert batch.malformed == 0


def test_one_session_per_conversation_with_its_prompts_and_answers(logs_db):
    batch = parse(logs_db)
    assert {sid: s.title for sid, s in batch.sessions.items()} == {
        f"llm:{OPENAI}": "Explain what a WAL checkpoint does in SQLite",
        f"llm:{ANTHROPIC}": "Review this migration for locking problems",
        f"llm:{GEMINI}": "Summarise the release notes in three bullets",
        f"llm:{LOCAL}": "Name three uses for a bloom filter",
    }
    openai = batch.sessions[f"llm:{OPENAI}"]
    assert (openai.provider, openai.cwd, openai.model) == ("llm", None, "gpt-4o-mini-2024-07-18")
    assert openai.last_activity - openai.started_at == pytest.approx(51.768659)
    messages = [m for m in batch.messages if m.session_id == f"llm:{GEMINI}"]
    assert [(m.key, m.role, m.kind) for m in messages] == [
        ("llm:01jx0a1b2e5f6g7h8j9k0m1n2p:prompt", "user", "prompt"),
        ("llm:01jx0a1b2e5f6g7h8j9k0m1n2p:response", "assistant", "text"),
    ]
    assert messages[1].text.splitlines()[1] == "- Plugins can log token usage"


# --- a database llm is writing, or a broken one -------------------------------------------------


def test_a_logs_db_locked_by_llm_mid_write_is_left_for_the_next_scan(logs_db):
    with llm_writing(logs_db, "BEGIN EXCLUSIVE"):
        started = time.monotonic()
        with pytest.raises(OSError, match="llm's database is locked; read again next scan"):
            parse(logs_db)
        took = time.monotonic() - started
    assert took < 2.0  # a short busy timeout, not a hang
    assert len(parse(logs_db).usage) == 7  # once llm has finished


def test_a_damaged_logs_db_is_counted_malformed(tmp_path):
    bad = tmp_path / "logs.db"
    bad.write_bytes(b"not a database" * 200)
    assert (parse(bad).usage, parse(bad).malformed) == ([], 1)


# --- reading again: only the responses logged since ----------------------------------------


def test_a_reread_takes_only_the_responses_logged_since(logs_db):
    first = parse(logs_db)
    nothing = parse_again(logs_db, first.state)
    assert (nothing.usage, nothing.messages, nothing.sessions) == ([], [], {})

    log_response(logs_db, "01jx2n9a0b1c2d3e4f5g6h7j8k", LOCAL, "2025-06-05T11:02:40.500000+00:00",
                 "And a fourth?", "Cache admission filters.", tokens=(88, 6))
    second = parse_again(logs_db, first.state)
    assert [(r.dedup_key, r.input_tokens, r.output_tokens, r.exact) for r in second.usage] == [
        ("llm:01jx2n9a0b1c2d3e4f5g6h7j8k", 88, 6, True)
    ]
    assert [m.key for m in second.messages] == [
        "llm:01jx2n9a0b1c2d3e4f5g6h7j8k:prompt", "llm:01jx2n9a0b1c2d3e4f5g6h7j8k:response",
    ]
    assert parse_again(logs_db, second.state).usage == []


@pytest.mark.parametrize("conversation", [LOCAL, OPENAI], ids=["estimated-before", "exact-before"])
def test_responses_without_usage_logged_later_are_estimated_as_a_full_read_would(logs_db, conversation):
    # LOCAL's history was counted by the first read and kept in its state; OPENAI's was
    # never needed (every response had usage), so it is looked up when the estimate asks
    state = parse(logs_db).state
    rows = []
    for i, when in enumerate(("2025-06-06T08:00:00.000001+00:00", "2025-06-06T08:05:00.000001+00:00")):
        log_response(logs_db, f"01jx3a0b1c2d3e4f5g6h7j8k9{i}", conversation, when,
                     f"Question {i} about it.", f"Answer {i}, at some length.")
        batch = parse_again(logs_db, state)
        rows += batch.usage
        state = batch.state
    full = {r.dedup_key: r for r in parse(logs_db).usage}
    assert rows == [full[r.dedup_key] for r in rows] and len(rows) == 2
    assert rows[1].input_tokens > rows[0].input_tokens > count_o200k("Question 0 about it.")  # history in it


def test_a_responses_table_rebuilt_by_a_migration_is_read_again_whole(logs_db):
    # llm's migrations rebuild tables (sqlite-utils transform: copy, drop, rename); the
    # copy numbers rows afresh, so "rows after the newest one read" means nothing any more
    first = parse(logs_db)
    conn = sqlite3.connect(logs_db)
    conn.executescript(
        "CREATE TABLE responses_new AS SELECT * FROM responses ORDER BY id DESC;"
        "DROP TABLE responses; ALTER TABLE responses_new RENAME TO responses;"
    )
    conn.close()
    again = parse_again(logs_db, first.state)
    assert sorted(r.dedup_key for r in again.usage) == sorted(r.dedup_key for r in first.usage)


# --- the real CLI ------------------------------------------------------------------------------------


@pytest.fixture
def llm_home(sandbox_home: Path) -> Path:
    """logs.db where llm writes it on Linux: ``$XDG_CONFIG_HOME/io.datasette.llm``."""
    return build.current(sandbox_home / ".config" / "io.datasette.llm")


def test_the_cli_lists_llm_conversations_and_their_usage_by_day(llm_home, cli):
    scan = cli("scan", "--json")
    assert scan.code == 0, scan.err
    assert (scan.json()["files"], scan.json()["sessions"], scan.json()["malformed"]) == (1, 4, 0)
    listed = {s["id"]: s for s in cli("list", "--json", "--provider", "llm").json()}
    assert set(listed) == {f"llm:{c}" for c in (OPENAI, ANTHROPIC, GEMINI, LOCAL)}
    assert listed[f"llm:{ANTHROPIC}"]["tokens"]["source"] == "exact"
    assert listed[f"llm:{LOCAL}"]["tokens"]["source"] == "estimated"

    days = {r["key"]: r for r in cli("usage", "--by", "day", "--json", "--provider", "llm").json()["rows"]}
    assert sorted(days) == ["2025-06-03", "2025-06-04", "2025-06-05"]
    june3 = days["2025-06-03"]  # the OpenAI and the Anthropic conversation
    assert (june3["input_tokens"], june3["output_tokens"]) == (16 + 436 + 21 + 12, 27 + 31 + 318 + 146)
    assert (june3["cache_creation_tokens"], june3["cache_read_tokens"]) == (2314, 1024 + 2314)

    models = {r["key"]: r for r in cli("usage", "--by", "model", "--json", "--provider", "llm").json()["rows"]}
    assert models["gpt-4o-mini-2024-07-18"]["cost_usd"] > 0  # known to the price table
    assert models["anthropic/claude-3-5-sonnet-latest"]["cost_usd"] > 0
    assert models["orca-mini-3b-gguf2-q4_0"]["cost_usd"] == 0  # a local model


def test_rescanning_adds_nothing_and_a_new_response_is_picked_up(llm_home, cli):
    assert cli("scan", "--json").code == 0
    assert cli("scan", "--json").json()["records"] == 0
    conn = sqlite3.connect(llm_home)  # `llm -c "…"` continuing the OpenAI conversation
    conn.execute(
        "INSERT INTO responses (id, model, prompt, response, conversation_id, duration_ms, datetime_utc,"
        " input_tokens, output_tokens, resolved_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("01jwxf0a1b2c3d4e5f6g7h8j9k", "gpt-4o-mini", "Can I force one?", "Yes: PRAGMA wal_checkpoint(TRUNCATE).",
         OPENAI, 990, "2025-06-03T09:20:12.000001+00:00", 1530, 12, "gpt-4o-mini-2024-07-18"),
    )
    conn.commit()
    conn.close()
    assert cli("scan", "--json").json()["records"] == 3  # its usage row, prompt and answer
    openai = next(s for s in cli("list", "--json", "--provider", "llm").json() if s["id"] == f"llm:{OPENAI}")
    assert openai["tokens"]["input"] + openai["tokens"]["cache_read"] == 16 + 1460 + 1530


def test_a_scan_while_llm_holds_a_lock_warns_and_the_next_scan_reads_it(llm_home, cli):
    with llm_writing(llm_home, "BEGIN EXCLUSIVE"):
        locked = cli("scan", "--json")
    assert locked.code == 0, locked.err
    assert (locked.json()["records"], locked.json()["malformed"]) == (0, 0)
    assert f"warning: cannot read {llm_home}: llm's database is locked; read again next scan" in locked.err.splitlines()
    freed = cli("scan", "--json").json()  # unchanged, but not remembered as read
    assert (freed["files_read"], freed["sessions"], freed["warnings"]) == (1, 4, [])
    assert cli("scan", "--json").json()["files_read"] == 0


def test_a_damaged_logs_db_is_counted_once_not_retried_every_scan(sandbox_home, cli):
    db = sandbox_home / ".config" / "io.datasette.llm" / "logs.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"not a database" * 200)
    assert (cli("scan", "--json").json()["malformed"], cli("scan", "--json").json()["files_read"]) == (1, 0)


def test_llm_user_path_points_the_scan_elsewhere(tmp_path, cli):
    build.current(tmp_path / "llm-data")
    scan = cli("scan", "--json", env={"LLM_USER_PATH": str(tmp_path / "llm-data")})
    assert (scan.json()["files"], scan.json()["sessions"]) == (1, 4)
