"""Conversation reaches the team server only for the projects that opted in
(``team.push_messages``), redacted, each line once however often it is pushed."""

from __future__ import annotations

import os
from pathlib import Path

import apsw
import psycopg
import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

SHOP = {"9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6", "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"}  # project "shop"
SECRET = "sk-ant-api03-" + "Q" * 93 + "AA"


def test_only_the_opted_in_projects_conversation_is_pushed_redacted_and_once(
        team_server, database_url, cli, fixture_logs, use_config) -> None:
    token, = enroll(database_url, "ann", "member", "laptop")
    assert cli("team", "join", team_server.url, "--token", token).code == 0
    assert cli("team", "push", "--json").json()["messages"] == 0  # the default: no project's conversation

    use_config("team:\n  push_messages: [shop]\n")
    assert cli("scan").code == 0
    # A line an older store kept before today's rules would catch its secret.
    with apsw.Connection(str(Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db")) as store:
        store.execute("INSERT INTO messages (key, session_id, ts, role, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
                      ("old-line", "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6", 1755162000.0, "user", "prompt",
                       f"use ANTHROPIC_API_KEY={SECRET} for this"))
        local = store.execute("SELECT count(*) FROM messages m JOIN sessions s ON s.id = m.session_id "
                              "WHERE s.project = 'shop'").fetchone()[0]
    pushed = cli("team", "push", "--json", "--no-scan")
    assert pushed.code == 0, pushed.err
    assert pushed.json()["messages"] == local > 1 and pushed.json()["file_refs"] > 0

    with psycopg.connect(database_url) as conn:
        sessions = {s for (s,) in conn.execute("SELECT DISTINCT session_id FROM messages")}
        old = conn.execute("SELECT text FROM messages WHERE key = 'old-line'").fetchone()[0]
        count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert sessions <= SHOP and sessions
    assert SECRET not in old and "[REDACTED" in old and "ANTHROPIC_API_KEY" in old
    assert count == local

    again = cli("team", "push", "--json", "--no-scan").json()
    assert again["messages"] == 0 and again["file_refs"] == 0
