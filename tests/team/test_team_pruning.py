"""``team serve`` prunes what the team database no longer needs when it starts (and hourly): expired
and signed-out sign-ins, audit entries past ``team_server.audit_retention_days``, stale failed
sign-in counters; live sign-ins and recent audit entries stay (docs/team.md#pruning)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from team_fixtures import TeamServer, database_url, enroll, postgres  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow


def test_serve_prunes_ended_sign_ins_and_audit_entries_past_their_retention(
        database_url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_session_manager.team import db

    config = tmp_path / "config.yaml"
    config.write_text("team_server:\n  audit_retention_days: 30\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    with db.connect(database_url) as conn:
        db.migrate(conn)
    enroll(database_url, "ann", "member")
    with psycopg.connect(database_url) as conn:
        (ann,) = conn.execute("SELECT id FROM users WHERE name = 'ann'").fetchone()
        for secret, expires, ended in ((b"live", "1 hour", None), (b"expired", "-1 hour", None),
                                       (b"signed-out", "1 hour", "-1 minute")):
            conn.execute("INSERT INTO web_sessions (user_id, sha256, expires_at, ended_at) VALUES "
                         "(%s, %s, now() + %s::interval, now() + %s::interval)", (ann, secret, expires, ended))
        for age in ("40 days", "20 days"):
            conn.execute("INSERT INTO audit_log (at, actor_id, actor, action, resource) VALUES "
                         "(now() - %s::interval, %s, 'ann', 'login', '')", (age, ann))
        conn.execute("INSERT INTO login_failures (key, failures, last_at) VALUES "
                     "('user:ann', 3, now() - interval '1 day'), ('ip:10.0.0.9', 2, now())")

    def left() -> tuple[object, ...]:
        with psycopg.connect(database_url) as conn:
            return (sorted(bytes(r[0]) for r in conn.execute("SELECT sha256 FROM web_sessions")),
                    [r[0] for r in conn.execute("SELECT (now() - at) < interval '30 days' FROM audit_log")],
                    [r[0] for r in conn.execute("SELECT key FROM login_failures")])

    pruned = ([b"live"], [True], ["ip:10.0.0.9"])
    assert left() != pruned
    server = TeamServer(database_url)
    try:
        deadline = time.monotonic() + 30
        while left() != pruned:
            assert time.monotonic() < deadline, f"not pruned within 30 s: {left()}"
            time.sleep(0.2)
    finally:
        server.stop()
