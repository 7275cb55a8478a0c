"""memorize on real fixture sessions, and recall --import-to into the assistant's context file."""

from __future__ import annotations

import time

import pytest
from conftest import FIXTURES

from llm_session_manager import ingest
from llm_session_manager.core import config
from llm_session_manager.core.errors import BadInput
from llm_session_manager.services import memory
from llm_session_manager.services.memory import extract
from llm_session_manager.store import connect, write_transaction

ENV = {"CLAUDE_CONFIG_DIR": str(FIXTURES / "claude-code"), "CODEX_HOME": str(FIXTURES / "codex" / "home")}
SLIDING = "019c8a1a-77c4-7e90-8b12-3c4d5e6f7a81"  # codex: user asks for a sliding window
COUPON = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"  # claude: double coupon discount
STACKED = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # claude: summary, compaction, files


@pytest.fixture
def conn(sandbox_home):
    c = connect()
    ingest.scan(c, config.load(), env=ENV, home=sandbox_home)
    return c


def by_tag(found):
    out = {}
    for m in found:
        out.setdefault(m.tags[0], []).append(m.text)
    return out


def test_a_codex_session_yields_its_requirements_decisions_and_files(conn):
    found = memory.memorize(conn, config.load(), SLIDING[:8])
    tags = by_tag(found)
    assert "Use a sliding-window limiter instead of the token bucket" in tags["requirement"]
    assert any("at most 5 attempts per minute per IP" in t for t in tags["requirement"])
    assert "Switched `limit` to a sliding window over the last 60 seconds." in tags["decision"]
    assert tags["files"] == ["Files that mattered: src/auth/ratelimit.py (written)."]
    assert all(m.session_id == SLIDING and m.project == "acme-api" and m.source == "memorize" for m in found)
    keys = {r[0] for r in conn.execute("SELECT message_key FROM memories WHERE message_key IS NOT NULL")}
    assert keys <= {r[0] for r in conn.execute("SELECT key FROM messages WHERE session_id = ?", (SLIDING,))}
    assert not any("I'll read" in m.text for m in found)  # plans are not knowledge


def test_a_claude_session_yields_the_fix_its_summary_and_the_edited_files(conn):
    fix = by_tag(memory.memorize(conn, config.load(), COUPON))
    assert any(t.startswith("Fixed: the coupon was applied twice") for t in fix["fact"])
    assert fix["files"] == ["Files that mattered: src/cart/total.ts (edited); src/cart/totals.ts (read)."]
    assert not any("API Error" in t or "tool_use_error" in t for ts in fix.values() for t in ts)
    stacked = by_tag(memory.memorize(conn, config.load(), STACKED))
    assert stacked["summary"] == ["Fix double coupon discount in cart total"]  # not "Conversation compacted"
    assert any("coupon.test.ts covers stacked coupons" in t for t in stacked["fact"])


def test_memorizing_twice_adds_nothing(conn):
    assert memory.memorize(conn, config.load(), SLIDING)
    assert memory.memorize(conn, config.load(), SLIDING) == []
    # The other session repeats the first prompt: it is not stored again.
    again = memory.memorize(conn, config.load(), "019c8a10")
    assert not any(m.text.startswith("Add rate limiting") for m in again)


def test_secrets_in_a_session_never_reach_memory(conn):
    secret = "hunter2-Very-Secret-9x"
    with write_transaction(conn):
        conn.execute(
            "INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES (?, ?, ?, 'user', 'prompt', ?)",
            ("k-secret", SLIDING, time.time(), f"Always connect with DB_PASSWORD={secret} in staging."),
        )
    found = memory.memorize(conn, config.load(), SLIDING)
    assert any("Always connect with DB_PASSWORD=[REDACTED" in m.text for m in found)
    assert secret not in "".join(r[0] for r in conn.execute("SELECT text FROM memories"))


def test_memorize_cli_prints_the_new_memories(cli):
    r = cli("memorize", SLIDING[:8], "--json", env=ENV)
    assert r.code == 0, r.err
    assert {m["source"] for m in r.json()} == {"memorize"}
    assert cli("memorize", SLIDING[:8], "--json", env=ENV).json() == []


def test_heuristics_split_sentences_and_skip_chatter():
    msgs = [
        extract.Message("1", "user", "prompt", "Fix the flaky test.\n- Never mock the database\n- ok"),
        extract.Message("2", "assistant", "text", "Let me check the config. The root cause was a stale "
                        "lock file in /tmp. I'll use filelock for this. Sure!"),
        extract.Message("3", "assistant", "api_error", "API Error: 500 must retry"),
    ]
    got = [(c.tag, c.text) for c in extract.candidates(msgs, [], None)]
    assert got == [
        ("requirement", "Never mock the database"),
        ("fact", "The root cause was a stale lock file in /tmp."),
        ("decision", "I'll use filelock for this."),
    ]


# --- recall --import-to --------------------------------------------------------


def _session_in(conn, cwd, provider="claude-code", sid="11111111-2222-4333-8444-555555555555"):
    with write_transaction(conn):
        conn.execute("INSERT INTO sessions (id, provider, cwd, project, started_at, last_activity) "
                     "VALUES (?, ?, ?, 'proj', 0, 0)", (sid, provider, str(cwd)))
    return sid


def test_import_to_writes_a_marked_section_and_keeps_the_users_text(cli, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    user_text = "# My project\n\nHand-written rules stay.\n"
    (project / "CLAUDE.md").write_text(user_text)
    conn = connect()
    sid = _session_in(conn, project)
    codex = _session_in(conn, project, "codex", "22222222-2222-4333-8444-555555555555")
    conn.close()
    cli("remember", "Run database migrations with alembic upgrade head", "--project", "proj")

    r = cli("recall", "database migrations", "--import-to", sid[:8], "--no-scan", "--json")
    assert r.code == 0, r.err
    text = (project / "CLAUDE.md").read_text()
    assert text.startswith(user_text)
    assert text.count(memory.context_files.START) == 1 and memory.context_files.END in text
    assert "alembic upgrade head" in text

    (project / "CLAUDE.md").write_text(text + "\nMore of my own notes.\n")
    cli("remember", "Never edit generated migration files by hand", "--project", "proj")
    assert cli("recall", "migration files", "--import-to", sid, "--no-scan").code == 0
    again = (project / "CLAUDE.md").read_text()
    assert again.startswith(user_text) and again.endswith("\nMore of my own notes.\n")
    assert again.count(memory.context_files.START) == 1
    assert "Never edit generated migration files" in again

    assert cli("recall", "alembic", "--import-to", codex, "--no-scan").code == 0
    assert "alembic" in (project / "AGENTS.md").read_text()
    links = connect().execute("SELECT session_id, path FROM memory_imports").fetchall()
    assert (sid, str(project / "CLAUDE.md")) in links and (codex, str(project / "AGENTS.md")) in links


def test_import_to_a_session_whose_directory_is_gone_is_a_clear_error(conn, tmp_path):
    sid = _session_in(conn, tmp_path / "gone")
    with pytest.raises(BadInput, match="does not exist"):
        memory.import_to_session(conn, config.load(), sid, [])


INVENTORY = FIXTURES / "claude-code-memorize"


def test_memorize_keeps_what_was_learned_and_drops_what_the_harness_injected(sandbox_home):
    """Three real-shaped sessions: CLAUDE.md, the compaction prompt, command echoes and
    narration are not memories; each fix, decision and requirement is, once."""
    c = connect()
    ingest.scan(c, config.load(), env={"CLAUDE_CONFIG_DIR": str(INVENTORY), "CODEX_HOME": str(sandbox_home / "none")},
                home=sandbox_home)
    sids = [r[0] for r in c.execute("SELECT id FROM sessions ORDER BY started_at")]
    assert len(sids) == 3
    stored = [m for sid in sids for m in memory.memorize(c, config.load(), sid)]
    texts = [m.text for m in stored]
    kept = {
        "Fix it, and make sure the fix uses a row lock rather than a retry loop.",
        ("The bug was that reserve_stock read the count and wrote it back in two statements, "
         "so two shipments could both pass the check."),
        "Fixed: reserve_stock now takes a row lock with SELECT ... FOR UPDATE before decrementing the count.",
        "Alerts must go to the #inventory Slack channel, not email.",
        "I'll use the existing SlackNotifier in inventory/notify.py for the alert.",
        "Switched the quantity column from REAL to INTEGER in migrations/004_quantity.sql.",
        "Always keep migrations reversible.",
        "Stock quantities must never be stored as floats.",
        "Stock quantities must never be stored as floats; use integers.",  # says more: not a duplicate
    }
    assert kept <= set(texts)
    assert len(texts) == len(set(texts))
    assert not [t for t in texts if "reserve_stock` now takes a row lock" in t]  # the same fix, other punctuation
    injected = ("claudeMd", "make check` before committing", "vendor/", "TodoWrite", "NEVER mention",
                "continued from a previous", "Primary Request", "Set model", "/model", "Caveat")
    assert not [t for t in texts if any(word in t for word in injected)]
    narration = ("let me", "Perfect", "tests pass now", "Good,")
    assert not [t for t in texts if any(word.lower() in t.lower() for word in narration)]
    assert sum(t.startswith("Files that mattered:") for t in texts) == 3  # one per session, each its own
    assert len(stored) <= 14  # 30 before harness text, narration and near-duplicates were dropped


@pytest.mark.parametrize("said", [
    "Now let me check the test file to understand the expected behavior.",
    "Perfect! Now I understand the issue.",
    "Good, now let me update the documentation in README.md.",
    "I can see the issue now - the function doesn't handle None.",
    "Now the implementation is complete.",
    "The build now passes with the fix in place.",
    "Let me update the todo list to track progress.",
    "Here's what I changed in src/api.py:",
])
def test_an_assistant_narrating_its_steps_is_not_memorized(said):
    assert extract.candidates([extract.Message("k", "assistant", "text", said)], [], None) == []


@pytest.mark.parametrize("said", [
    "The bug is in src/parser.py where the regex is greedy.",
    "Based on my analysis, the root cause is a race condition in the cache.",
    "Switched the retry policy to exponential backoff in src/http.py.",
])
def test_what_an_assistant_found_or_decided_is(said):
    assert [c.text for c in extract.candidates([extract.Message("k", "assistant", "text", said)], [], None)] == [said]
