"""Budget alerts from the team server: a member passing the daily budget is told once, by webhook and email.

A real ``team serve`` on a real PostgreSQL, configured (``team_alerts:``) with a webhook on a
loopback HTTP server of the test's and an SMTP server (aiosmtpd) on loopback.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from aiosmtpd.controller import Controller
from team_fixtures import TeamServer, database_url, enroll, postgres  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        Hook.received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def receivers() -> Iterator[tuple[str, Inbox, Controller]]:
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    Hook.received = []
    yield f"http://127.0.0.1:{hook.server_address[1]}/hook", inbox, smtp
    smtp.stop()
    hook.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _push(url: str, token: str, key: str, cost: float) -> None:
    now = time.time()
    body = {"client_id": "alice-laptop", "sessions": [["s1", "claude-code", "web", None, None, "m", now - 60, now]],
            "usage": [[key, "s1", "claude-code", now - 30, "m", 1000, 10, 0, 0, 0, cost, 1, True, False]]}
    request = urllib.request.Request(f"{url}/api/push", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 200


def test_passing_the_daily_budget_is_told_once_by_webhook_and_email(
        database_url, receivers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_session_manager.team import db

    hook, inbox, smtp = receivers
    config = tmp_path / "config.yaml"
    config.write_text(f"team_alerts:\n  daily_budget_usd: 1.0\n  webhook_url: {hook}\n  smtp_host: 127.0.0.1\n"
                      f"  smtp_port: {smtp.port}\n  mail_to: [ops@example.com]\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    with db.connect(database_url) as conn:
        db.migrate(conn)
    (token,) = enroll(database_url, "alice", "member", "laptop")
    server = TeamServer(database_url)
    try:
        _push(server.url, token, "r1", 0.6)
        assert Hook.received == [] and inbox.messages == []  # $0.60 of $1.00: nothing to tell
        _push(server.url, token, "r2", 0.6)
        today = time.strftime("%Y-%m-%d", time.gmtime())
        assert Hook.received == [{"kind": "budget", "user": "alice", "period": "day", "starting": today,
                                  "spent_usd": 1.2, "budget_usd": 1.0, "key": f"budget:day:alice:{today}"}]
        assert len(inbox.messages) == 1
        assert b"alice passed the daily budget: $1.20 of $1.00" in inbox.messages[0]
        _push(server.url, token, "r3", 0.6)  # still over: already told
        _push(server.url, token, "r2", 0.6)  # and a replay of a response already stored
        assert len(Hook.received) == 1 and len(inbox.messages) == 1
    finally:
        server.stop()


def _push_session(url: str, token: str, *health: object, at: float | None = None) -> None:
    """One push of session s1, with ``health`` (status, score, used, limit, percent, source) after its
    first eight fields, or none at all, as a client from before health was pushed sends it."""
    at = time.time() if at is None else at
    body = {"client_id": "alice-laptop", "sessions": [["s1", "claude-code", "web", None, "Fix login", "m",
                                                        at - 600, at, *health]]}
    request = urllib.request.Request(f"{url}/api/push", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 200


def test_a_session_turning_critical_is_told_once_per_turn(
        database_url, receivers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_session_manager.team import db

    hook, inbox, smtp = receivers
    config = tmp_path / "config.yaml"
    config.write_text(f"team_alerts:\n  webhook_url: {hook}\n  smtp_host: 127.0.0.1\n  smtp_port: {smtp.port}\n"
                      "  mail_to: [ops@example.com]\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    with db.connect(database_url) as conn:
        db.migrate(conn)
    (token,) = enroll(database_url, "alice", "member", "laptop")
    critical = ("critical", 31.5, 190_000, 200_000, 95.0, "exact")
    server = TeamServer(database_url)
    try:
        _push_session(server.url, token, "warning", 55.0, 120_000, 200_000, 60.0, "exact")
        _push_session(server.url, token, *critical, at=time.time() - 86_400)  # critical, but idle for a day
        assert Hook.received == []
        _push_session(server.url, token, *critical)
        told = {"kind": "critical", "user": "alice", "session": "s1", "project": "web", "title": "Fix login",
                "devices": ["laptop"], "health_score": 31.5, "context_percent": 95.0, "key": "critical:alice:s1"}
        assert Hook.received == [told]
        _push_session(server.url, token, *critical)  # still critical: told already
        _push_session(server.url, token)  # a client from before health was pushed: accepted, changes nothing
        assert len(Hook.received) == 1
        _push_session(server.url, token, "healthy", 88.0, 20_000, 200_000, 10.0, "exact")  # compacted: recovered
        _push_session(server.url, token, *critical)  # and critical again: a new turn
        assert Hook.received == [told, told]
        assert len(inbox.messages) == 2
        mail = email.message_from_bytes(inbox.messages[0], policy=email.policy.default)
        assert mail["subject"] == "alice's session 'Fix login' turned critical (health 31.5/100, context 95 % full)"
    finally:
        server.stop()
