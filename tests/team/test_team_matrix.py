"""The access matrix: every route of the team server × role × grant × way of signing in, against
a real server on a real PostgreSQL (docs/team.md, "Grants").

Ann (a member) owns three sessions: ``s-none`` shared with nobody, ``s-read`` shared read-only
and ``s-write`` shared read-write with bob (a member) and vic (a viewer). Root (an admin), bob and
vic each try every route on each of them, with no credentials, a made-up token, a revoked token,
their sign-in cookie without and with its CSRF token, and their device token. The routes come from
the app itself (built with every chat platform on): a route added without a line in ``CASES``, or in
``SIGNED`` for the chat bots' routes (a platform's signature is their authentication, not a sign-in;
tests/test_chat_bots.py and tests/team/test_team_chat.py test them), fails the test.

Each test has a server and a database of its own, made as it needs them: a handoff, a grant or a
sign-out in one test is not seen by another, whatever order or worker they run in.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from team_fixtures import Cluster, TeamServer, enroll, postgres  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

ROLES = {"admin": "root", "member": "bob", "viewer": "vic"}
GRANTS = ("none", "read", "write")
AUTHS = ("none", "bad-token", "revoked-token", "cookie-no-csrf", "cookie-csrf", "token")
TOKENS = {"s-none": 1000, "s-read": 200, "s-write": 30}  # each session's tokens, told apart in sums
DISCORD_KEY = "a" * 64  # any well-formed public key: no request here is signed with it
CHAT_CONFIG = ("chat:\n  slack: {signing_secret_env: MATRIX_SLACK_SECRET}\n"
               f"  discord: {{public_key: '{DISCORD_KEY}'}}\n  teams: {{secret_env: MATRIX_TEAMS_SECRET}}\n")


class Answer(NamedTuple):
    status: int
    body: object
    headers: dict[str, str]


class Client:
    """One keep-alive HTTP connection to the server: hundreds of requests without a handshake each."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)

    def call(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None,
             form: dict[str, str] | None = None) -> Answer:
        sent = dict(headers or {})
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=sent)
        r = self.conn.getresponse()
        raw = r.read()
        text = (r.getheader("content-type") or "").startswith("text/plain")  # /metrics: Prometheus text
        return Answer(r.status, raw.decode() if text else json.loads(raw) if raw else None,
                      {k.lower(): v for k, v in r.getheaders()})


class Person(NamedTuple):
    name: str
    token: str
    revoked: str
    cookie: str
    csrf: str


class Team(NamedTuple):
    url: str
    client: Client
    people: dict[str, Person]  # by name: root, ann, bob, vic, cy


def _sign_in(client: Client, token: str) -> tuple[str, str]:
    """A new sign-in session (by device token): its cookie header and CSRF token."""
    r = client.call("POST", "/auth/login", form={"token": token})
    assert r.status == 200, r
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and cookie.startswith("lsm_session=")
    return cookie.split(";", 1)[0], r.body["csrf_token"]  # type: ignore[index]


@pytest.fixture
def team(postgres: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    """Ann's three sessions (with a personal and a team memory) shared as the module says, on a server
    of this test's own with every chat platform on."""
    from llm_session_manager.team import admin, db

    url = postgres.database()
    with db.connect(url) as conn:
        db.migrate(conn)
    tokens = {name: enroll(url, name, role, "pc", "old-pc") for name, role in
              (("root", "admin"), ("ann", "member"), ("bob", "member"), ("vic", "viewer"), ("cy", "member"))}
    with db.connect(url) as conn:
        for name in tokens:
            admin.revoke_tokens(conn, name, "old-pc")
    config = tmp_path / "config.yaml"
    config.write_text(CHAT_CONFIG, encoding="utf-8")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    monkeypatch.setenv("MATRIX_SLACK_SECRET", secrets.token_hex(16))
    monkeypatch.setenv("MATRIX_TEAMS_SECRET", base64.b64encode(secrets.token_bytes(32)).decode())
    server = TeamServer(url)
    client = Client(server.url)
    people = {}
    for name, (token, revoked) in tokens.items():
        cookie, csrf = _sign_in(client, token)
        people[name] = Person(name, token, revoked, cookie, csrf)
    ann = {"Authorization": f"Bearer {people['ann'].token}"}
    batch = {"client_id": "ann-pc", "sessions": [[sid, "claude-code", f"p-{sid}", "/w", sid, "m", 1.0e9, 1.0e9 + 60]
                                                for sid in TOKENS],
             "usage": [[f"k-{sid}", sid, "claude-code", 1.0e9, "m", n, 0, 0, 0, 0, 0.0, 0, True, False]
                       for sid, n in TOKENS.items()]}
    assert client.call("POST", "/api/push", batch, ann).status == 200
    memories = {"client_id": "ann-pc", "memories": [
        {"id": f"m-{scope}", "scope": scope, "text": f"deploys need the {scope} key", "project": "p-s-none",
         "session_id": "s-none", "tags": [], "created_at": 1.0e9, "embedder": "e", "vector": [1.0, 0.0]}
        for scope in ("personal", "team")]}
    assert client.call("POST", "/api/push/memories", memories, ann).status == 200
    for sid, level in (("s-read", "read"), ("s-write", "write")):
        for grantee in ("bob", "vic"):
            r = client.call("POST", "/api/grants", {"user": grantee, "session": sid, "access": level}, ann)
            assert r.status == 201, r
    yield Team(server.url, client, people)
    client.conn.close()
    server.stop()


class Case(NamedTuple):
    """How to call one route on ann's session ``sid`` and what the access rule answers."""

    call: Callable[[Team, str, dict[str, str]], Answer]
    expect: Callable[[str, str], int]  # (role, grant) -> the status a valid token gets
    check: Callable[[Team, str, str, Answer], None] | None = None  # what a 2xx body must (not) show


def _reads(role: str, grant: str) -> bool:
    return role == "admin" or grant != "none"


def _writes(role: str, grant: str) -> bool:
    return role == "admin" or (role == "member" and grant == "write")


def _read_status(ok: int) -> Callable[[str, str], int]:
    return lambda role, grant: ok if _reads(role, grant) else 404


def _write_status(role: str, grant: str) -> int:
    return 201 if _writes(role, grant) else 403 if _reads(role, grant) else 404


def _share_status(role: str, grant: str) -> int:  # only the owner or an admin shares
    return 201 if role == "admin" else 403 if _reads(role, grant) else 404


def _listing_shows(team: Team, role: str, sid: str, r: Answer) -> None:
    shown = {s["id"] for s in r.body}  # type: ignore[union-attr]
    grant = sid.removeprefix("s-")
    assert (sid in shown) == _reads(role, grant), (role, sid, shown)


def _usage_counts(team: Team, role: str, sid: str, r: Answer) -> None:
    total = r.body["totals"]["total_tokens"]  # type: ignore[index]
    visible = sum(n for s, n in TOKENS.items() if _reads(role, s.removeprefix("s-")))
    assert total == visible, (role, sid, total)  # granted sessions count, the unshared one does not


def _audit_is_own(team: Team, role: str, sid: str, r: Answer) -> None:
    if role != "admin":
        me = ROLES[role]
        assert all(e["actor"] == me or e["owner"] == me for e in r.body), r.body  # type: ignore[union-attr]


def _grants_are_own(team: Team, role: str, sid: str, r: Answer) -> None:
    if role != "admin":
        me = ROLES[role]
        assert all(me in (g["user"], g["owner"]) for g in r.body), r.body  # type: ignore[union-attr]


def _fresh_grant(team: Team, sid: str) -> int:
    """A grant of ann's session to cy, made anew (the admin's DELETE removes it)."""
    r = team.client.call("POST", "/api/grants", {"user": "cy", "session": sid},
                         {"Authorization": f"Bearer {team.people['ann'].token}"})
    assert r.status == 201, r
    return int(r.body["id"])  # type: ignore[index]


def _push(path: str) -> Callable[[Team, str, dict[str, str]], Answer]:
    return lambda t, sid, h: t.client.call("POST", path, {"client_id": f"matrix-{h.get('X-Who', '')}"}, h)


def _take_status(role: str, grant: str) -> int:  # nothing was handed to anyone here: the receiver's own test
    return 403 if _reads(role, grant) else 404


def _handoff_status(role: str, grant: str) -> int:  # handing off is sharing: the owner or an admin
    return 200 if role == "admin" else 403 if _reads(role, grant) else 404


def _history_is_the_owners(team: Team, role: str, sid: str, r: Answer) -> None:
    body = r.body  # type: ignore[assignment]
    assert body["session_id"] == sid and [(d["user"], d["device"]) for d in body["devices"]] == [("ann", "pc")], body


def _no_ones_personal_memory(team: Team, role: str, sid: str, r: Answer) -> None:
    assert [m["id"] for m in r.body["memories"]] == ["m-team"], r.body  # type: ignore[index]


CASES: dict[tuple[str, str], Case] = {
    ("/healthz", "GET"): Case(lambda t, sid, h: t.client.call("GET", "/healthz", headers=h), lambda r, g: 200),
    ("/auth/login", "POST"): Case(  # whatever else the request carries, the form's credentials decide
        lambda t, sid, h: t.client.call("POST", "/auth/login", form={"token": t.people["cy"].token}, headers=h),
        lambda r, g: 200),
    ("/auth/logout", "POST"): Case(lambda t, sid, h: t.client.call("POST", "/auth/logout", headers=h),
                                   lambda r, g: 200),
    ("/auth/session", "GET"): Case(lambda t, sid, h: t.client.call("GET", "/auth/session", headers=h),
                                   lambda r, g: 200),
    ("/api/push", "POST"): Case(_push("/api/push"), lambda role, g: 403 if role == "viewer" else 200),
    ("/api/push/messages", "POST"): Case(_push("/api/push/messages"), lambda role, g: 403 if role == "viewer" else 200),
    ("/api/push/memories", "POST"): Case(_push("/api/push/memories"), lambda role, g: 403 if role == "viewer" else 200),
    ("/api/handoffs", "POST"): Case(  # to cy, who is none of the roles tried: what they may read stays as it was
        lambda t, sid, h: t.client.call("POST", "/api/handoffs", {"session_id": sid, "to": "cy"}, h), _handoff_status),
    ("/api/sessions/{session_id}/take", "POST"): Case(
        lambda t, sid, h: t.client.call("POST", f"/api/sessions/{sid}/take", {}, h), _take_status),
    ("/api/sessions/{session_id}/history", "GET"): Case(
        lambda t, sid, h: t.client.call("GET", f"/api/sessions/{sid}/history", headers=h), _read_status(200),
        _history_is_the_owners),
    ("/api/memories/search", "GET"): Case(
        lambda t, sid, h: t.client.call("GET", "/api/memories/search?q=deploys+key&limit=10", headers=h),
        lambda r, g: 200, _no_ones_personal_memory),
    ("/api/usage", "GET"): Case(lambda t, sid, h: t.client.call("GET", "/api/usage?by=model", headers=h),
                                lambda r, g: 200, _usage_counts),
    ("/api/sessions", "GET"): Case(lambda t, sid, h: t.client.call("GET", "/api/sessions", headers=h),
                                   lambda r, g: 200, _listing_shows),
    ("/api/sessions/{id}", "GET"): Case(lambda t, sid, h: t.client.call("GET", f"/api/sessions/{sid}", headers=h),
                                        _read_status(200)),
    ("/api/sessions/{id}/notes", "POST"): Case(
        lambda t, sid, h: t.client.call("POST", f"/api/sessions/{sid}/notes", {"text": "looked at it"}, h),
        _write_status),
    ("/api/grants", "GET"): Case(lambda t, sid, h: t.client.call("GET", "/api/grants", headers=h),
                                 lambda r, g: 200, _grants_are_own),
    ("/api/grants", "POST"): Case(
        lambda t, sid, h: t.client.call("POST", "/api/grants", {"user": "cy", "session": sid, "owner": "ann"}, h),
        _share_status),
    ("/api/grants/{id}", "DELETE"): Case(
        lambda t, sid, h: t.client.call("DELETE", f"/api/grants/{_fresh_grant(t, sid)}", headers=h),
        lambda role, g: 200 if role == "admin" else 404),
    ("/api/audit", "GET"): Case(lambda t, sid, h: t.client.call("GET", "/api/audit", headers=h),
                                lambda r, g: 200, _audit_is_own),
    # The team's metrics are the whole team's figures (admins only); OTLP is a device's push.
    ("/metrics", "GET"): Case(lambda t, sid, h: t.client.call("GET", "/metrics", headers=h),
                              lambda role, g: 200 if role == "admin" else 403),
    ("/v1/logs", "POST"): Case(lambda t, sid, h: t.client.call("POST", "/v1/logs", {}, h),  # an empty export
                               lambda role, g: 403 if role == "viewer" else 200),
    ("/v1/metrics", "POST"): Case(lambda t, sid, h: t.client.call("POST", "/v1/metrics", {}, h),
                                  lambda role, g: 403 if role == "viewer" else 200),
    ("/v1/traces", "POST"): Case(lambda t, sid, h: t.client.call("POST", "/v1/traces", {}, h),
                                 lambda role, g: 403 if role == "viewer" else 200),
}
PUBLIC = {("/healthz", "GET"), ("/auth/login", "POST")}  # answered without credentials
OTLP = {("/v1/logs", "POST"), ("/v1/metrics", "POST"), ("/v1/traces", "POST")}  # an assistant's: a device's too
PUSHES = {("/api/push", "POST"), ("/api/push/messages", "POST"), ("/api/push/memories", "POST")}  # a device's
# The chat bots' routes: a platform's signature of the request is their authentication, a sign-in or a device
# token counts for nothing there (tests/test_chat_bots.py, tests/team/test_team_chat.py test the signatures).
SIGNED = {("/chat/slack/commands", "POST"), ("/chat/slack/interactivity", "POST"),
          ("/chat/discord/interactions", "POST"), ("/chat/teams/messages", "POST")}


def _routes() -> set[tuple[str, str]]:
    from llm_session_manager.core.config_chat import ChatConfig, DiscordChat, SlackChat, TeamsChat
    from llm_session_manager.team.app import build

    every_platform = ChatConfig(slack=SlackChat(), discord=DiscordChat(public_key=DISCORD_KEY), teams=TeamsChat())
    app = build(None, every_platform)  # type: ignore[arg-type]  # the routes only: no request is served
    return {(r.path, m) for r in app.routes for m in (r.methods or ()) if m != "HEAD"}  # type: ignore[attr-defined]


def _headers(team: Team, person: Person, auth: str) -> dict[str, str]:
    if auth == "none":
        return {}
    if auth == "bad-token":
        return {"Authorization": "Bearer lsmt_" + "x" * 43}
    if auth == "revoked-token":
        return {"Authorization": f"Bearer {person.revoked}"}
    if auth == "token":
        return {"Authorization": f"Bearer {person.token}", "X-Who": person.name}
    cookie, csrf = person.cookie, person.csrf
    return {"Cookie": cookie, **({"X-CSRF-Token": csrf} if auth == "cookie-csrf" else {})}


def _expected(route: tuple[str, str], case: Case, role: str, grant: str, auth: str) -> int:
    if route in PUBLIC:
        return case.expect(role, grant)
    if auth in ("none", "bad-token", "revoked-token"):
        return 401
    if auth == "cookie-no-csrf" and route[1] != "GET":
        return 403
    if auth == "cookie-csrf" and route in PUSHES | OTLP:
        return 403  # a device pushes: a web sign-in has none
    return case.expect(role, grant)


def test_every_route_is_in_the_matrix() -> None:
    assert SIGNED and not SIGNED & set(CASES)
    assert _routes() == set(CASES) | SIGNED, "a route without a matrix line (or a line for no route)"


def test_a_sign_in_or_a_device_token_opens_no_chat_route(team) -> None:
    for path, method in sorted(SIGNED):
        for name in ROLES.values():
            for auth in AUTHS:
                r = team.client.call(method, path, {"type": 1}, _headers(team, team.people[name], auth))
                assert r.status == 401, (path, name, auth, r)


def test_the_access_matrix(team) -> None:
    wrong: list[str] = []
    cells = 0
    for route, case in CASES.items():
        for role, name in ROLES.items():
            for grant in GRANTS:
                sid = f"s-{grant}"
                for auth in AUTHS:
                    person = team.people[name]
                    if route == ("/auth/logout", "POST") and auth.startswith("cookie"):
                        cookie, csrf = _sign_in(team.client, person.token)  # this cell ends its own sign-in
                        person = person._replace(cookie=cookie, csrf=csrf)
                    r = case.call(team, sid, _headers(team, person, auth))
                    cells += 1
                    want = _expected(route, case, role, grant, auth)
                    if r.status != want:
                        wrong.append(f"{route[1]} {route[0]} {role} grant={grant} {auth}: {r.status} != {want} "
                                     f"{r.body}")
                    elif case.check and r.status < 300:
                        case.check(team, role, sid, r)
    assert not wrong, f"{len(wrong)} of {cells} cells:\n" + "\n".join(wrong)
    assert cells == len(CASES) * len(ROLES) * len(GRANTS) * len(AUTHS)


def test_a_viewer_with_a_write_grant_still_only_reads(team) -> None:
    vic = {"Authorization": f"Bearer {team.people['vic'].token}"}
    assert team.client.call("GET", "/api/sessions/s-write", headers=vic).status == 200
    r = team.client.call("POST", "/api/sessions/s-write/notes", {"text": "mine now"}, vic)
    assert r.status == 403 and "viewer" in r.body["error"]  # type: ignore[index]
    listed = {s["id"]: s["access"] for s in team.client.call("GET", "/api/sessions", headers=vic).body}
    assert listed == {"s-read": "read", "s-write": "read"}
    grants = team.client.call("GET", "/api/grants", headers=vic).body
    assert {(g["resource"], g["access"], g["effective"]) for g in grants} == {
        ("s-read", "read", "read"), ("s-write", "write", "read")}


def test_one_member_cannot_read_another_members_unshared_session(team) -> None:
    bob = {"Authorization": f"Bearer {team.people['bob'].token}"}
    assert team.client.call("GET", "/api/sessions/s-read", headers=bob).status == 200  # a view the audit keeps
    r = team.client.call("GET", "/api/sessions/s-none", headers=bob)
    assert r.status == 404 and "s-none" in r.body["error"]  # type: ignore[index]
    assert "s-none" not in {s["id"] for s in team.client.call("GET", "/api/sessions", headers=bob).body}
    assert team.client.call("GET", "/api/usage?by=model", headers=bob).body["totals"]["total_tokens"] == (
        TOKENS["s-read"] + TOKENS["s-write"])
    ann = {"Authorization": f"Bearer {team.people['ann'].token}"}
    views = [(e["actor"], e["resource"]) for e in team.client.call("GET", "/api/audit?limit=1000", headers=ann).body
             if e["action"] == "session.view"]
    assert ("bob", "session:s-read") in views and ("bob", "session:s-none") not in views


def test_a_handoff_is_a_read_grant_only_its_receiver_takes_and_all_of_it_is_audited(team) -> None:
    ann, bob, vic, root = ({"Authorization": f"Bearer {team.people[n].token}"} for n in ("ann", "bob", "vic", "root"))
    call = team.client.call
    assert call("POST", "/api/sessions/s-none/take", {}, bob).status == 404  # not his to see, so not there
    assert call("POST", "/api/handoffs", {"session_id": "s-read", "to": "vic"}, bob).status == 403  # not his to share
    signed_in = {"Cookie": team.people["ann"].cookie, "X-CSRF-Token": team.people["ann"].csrf}  # no device: fine
    made = call("POST", "/api/handoffs", {"session_id": "s-none", "to": "bob", "note": "over to you"}, signed_in)
    assert made.status == 200 and made.body["receiver"] == "bob", made  # type: ignore[index]

    assert call("GET", "/api/sessions/s-none", headers=bob).status == 200  # the handoff is his read grant
    assert "s-none" in {s["id"] for s in call("GET", "/api/sessions", headers=bob).body}  # type: ignore[union-attr]
    granted = [(g["user"], g["resource"], g["access"]) for g in call("GET", "/api/grants", headers=ann).body]
    assert ("bob", "s-none", "read") in granted
    assert call("POST", "/api/sessions/s-none/notes", {"text": "mine?"}, bob).status == 403  # read, not write
    assert call("POST", "/api/sessions/s-none/take", {}, root).status == 403  # an admin reads it, but takes nothing
    assert call("POST", "/api/sessions/s-none/take", {}, vic).status == 404
    took = call("POST", "/api/sessions/s-none/take", {}, bob)
    assert took.status == 200 and took.body["handoff"]["taken_at"] is not None, took  # type: ignore[index]
    assert took.body["session"]["user"] == "ann"  # type: ignore[index]
    history = call("GET", "/api/sessions/s-none/history", headers=bob).body
    assert [(h["sender"], h["receiver"]) for h in history["handoffs"]] == [("ann", "bob")]  # type: ignore[index]

    entries = [(e["actor"], e["action"], e["resource"]) for e in call("GET", "/api/audit", headers=ann).body]
    for seen in (("ann", "session.handoff", "session:s-none"), ("bob", "session.take", "session:s-none"),
                 ("bob", "session.history", "session:s-none")):
        assert seen in entries, entries

    [grant] = [g["id"] for g in call("GET", "/api/grants", headers=ann).body
               if (g["user"], g["resource"]) == ("bob", "s-none")]
    assert call("DELETE", f"/api/grants/{grant}", headers=ann).status == 200  # the owner takes it back
    assert call("POST", "/api/sessions/s-none/take", {}, bob).status == 404


def test_a_web_sign_in_is_told_it_cannot_push(team) -> None:
    signed_in = {"Cookie": team.people["bob"].cookie, "X-CSRF-Token": team.people["bob"].csrf}
    for path in sorted(p for p, _ in PUSHES):
        r = team.client.call("POST", path, {"client_id": "browser"}, signed_in)
        assert r.status == 403 and "web sign-in cannot push" in r.body["error"], (path, r)  # type: ignore[index]


def test_a_request_refused_before_its_body_was_read_keeps_its_connection(team) -> None:
    """http.client sends a body after its headers: refused at once (no token), the request still ends
    cleanly and the keep-alive connection goes on, rather than being dropped unsaid (a broken pipe next)."""
    client = Client(team.url)
    bad = {"Authorization": "Bearer lsmt_" + "x" * 43}
    for _ in range(100):
        assert client.call("POST", "/api/sessions/s-none/take", {}).status == 401
        sock = client.conn.sock
        assert client.call("POST", "/api/sessions/s-none/take", {}, bad).status == 401
        assert client.conn.sock is sock  # the same connection
    client.conn.close()
