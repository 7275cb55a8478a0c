"""The web dashboard on the team server, driven in real headless Chromium (Debian's) through Playwright.

One real ``team serve`` on a real PostgreSQL, one browser, a browser context per person. Alice
pushes from two devices (laptop, desktop), Bob from one, Carol from one; Alice shares her session
``a-web`` with Bob, read-only, then read-write from the session's page. Everyone signs in with the sign-in page's form and sees only what
the access rule lets them; Alice and Bob, both on ``a-web``'s page, see each other there, and a note
Bob adds appears on Alice's open page without a reload; the leaderboard shows only who opted in. Screenshots go to
``tests/artifacts/team-web/``.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from team_fixtures import Cluster, TeamServer, enroll, postgres  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent.parent / "artifacts" / "team-web"
PASSWORD = "correct horse battery staple"
NOW = time.time()

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the browser is Debian's)")
if not CHROMIUM.exists():
    pytest.skip("install Debian's chromium (make system-deps) to drive the dashboard", allow_module_level=True)

# (user, device, session id, project, provider, tokens): what each device pushes
PUSHES = [("alice", "laptop", "a-web", "web", "claude-code", 1000),
          ("alice", "desktop", "a-api", "api", "codex", 300),
          ("bob", "bob-pc", "b-web", "web", "claude-code", 70),
          ("carol", "carol-pc", "c-secret", "secret", "claude-code", 5)]


def _call(url: str, method: str, body: object, token: str) -> object:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def team(postgres: Cluster) -> Iterator[SimpleNamespace]:
    from llm_session_manager.team import db, passwords

    url = postgres.database()
    with db.connect(url) as conn:
        db.migrate(conn)
    tokens: dict[str, str] = {}
    for user in ("alice", "bob", "carol"):
        devices = [d for u, d, *_ in PUSHES if u == user]
        tokens.update(zip(devices, enroll(url, user, "member", *devices)))
        with db.connect(url) as conn:
            passwords.set_password(conn, user, PASSWORD)
    server = TeamServer(url)
    try:
        for user, device, sid, project, provider, n in PUSHES:
            _call(f"{server.url}/api/push", "POST", {
                "client_id": f"client-{device}",
                "sessions": [[sid, provider, project, f"/home/{user}/{project}", f"{project} work", "model-x",
                              NOW - 3600, NOW - 60]],
                "usage": [[f"{sid}:1", sid, provider, NOW - 120, "model-x", n, 0, 0, 0, 0, n / 1000, 1, True,
                           False]]}, tokens[device])
        _call(f"{server.url}/api/grants", "POST", {"user": "bob", "session": "a-web", "access": "read"},
              tokens["laptop"])
        yield SimpleNamespace(url=server.url, database=url)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))  # never `playwright install`
        yield chromium
        chromium.close()


class Person:
    """One browser context (its own cookies): one person at their own browser."""

    def __init__(self, browser: sync_api.Browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def sign_in(self, user: str, path: str = "/dashboard/") -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_url("**/auth/signin?**")
        self.page.get_by_label("User name").fill(user)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"**{path}")
        self.ready()

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("body[data-ready=yes]", timeout=15_000)

    def grid(self) -> list[str]:
        return sorted(self.page.locator("#grid tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)"))

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.fixture
def people(browser: sync_api.Browser, team: SimpleNamespace) -> Iterator[dict[str, Person]]:
    made: dict[str, Person] = {}

    class Made(dict[str, Person]):
        def __missing__(self, name: str) -> Person:
            made[name] = self[name] = Person(browser, team.url)
            return self[name]

    yield Made()
    for person in made.values():
        person.context.close()
    assert all(not p.errors for p in made.values()), {n: p.errors for n, p in made.items()}


def test_without_a_sign_in_pages_send_to_the_sign_in_page_and_the_api_answers_401(team) -> None:
    request = urllib.request.Request(f"{team.url}/dashboard/api/view")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert "sign in" in json.loads(refused.value.read())["error"]


DASHBOARD_API = [("GET", "/dashboard/api/view"), ("GET", "/dashboard/api/sessions"), ("GET", "/dashboard/api/overview"),
                 ("GET", "/dashboard/api/facets"), ("GET", "/dashboard/api/events"), ("GET", "/dashboard/api/me"),
                 ("GET", "/dashboard/api/sessions/a-web"), ("GET", "/dashboard/api/leaderboard"),
                 ("POST", "/dashboard/api/leaderboard"), ("POST", "/dashboard/api/sessions/a-web/notes"),
                 ("POST", "/dashboard/api/sessions/a-web/presence"), ("POST", "/dashboard/api/sessions/a-web/share")]


def _http(team: SimpleNamespace, method: str, path: str, headers: dict[str, str] | None = None,
          body: str = "") -> tuple[int, str]:
    parts = urllib.parse.urlsplit(team.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request(method, path, body or None, headers or {})
    r = conn.getresponse()
    if path.endswith("/events") and r.status == 200:
        return r.status, ""  # a stream: never ends
    r.read()
    return r.status, r.getheader("location") or ""


def test_the_dashboard_wants_a_sign_in_and_its_changes_want_the_csrf_token(team) -> None:
    assert {path: _http(team, method, path)[0] for method, path in DASHBOARD_API} == {
        path: 401 for _, path in DASHBOARD_API}
    assert _http(team, "GET", "/dashboard/sessions/a-web") == (303, "/auth/signin?next=%2Fdashboard%2Fsessions%2Fa-web")
    parts = urllib.parse.urlsplit(team.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request("POST", "/auth/login", urllib.parse.urlencode({"user": "bob", "password": PASSWORD}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    csrf = json.loads(r.read())["csrf_token"]
    cookie = {"Cookie": (r.getheader("set-cookie") or "").split(";", 1)[0], "Content-Type": "application/json"}
    for method, path in DASHBOARD_API:
        got = _http(team, method, path, cookie, "{}" if method == "POST" else "")[0]
        assert got == (403 if method == "POST" else 200), (method, path, got)  # no CSRF token: no change
    assert _http(team, "POST", "/dashboard/api/sessions/a-web/share", {**cookie, "X-CSRF-Token": csrf},
                 '{"user": "carol"}')[0] == 403  # bob may read a-web, not share it


def test_the_sign_in_form_goes_back_only_to_a_page_of_this_server(team) -> None:
    def login(form: dict[str, str]) -> tuple[int, str]:
        parts = urllib.parse.urlsplit(team.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        conn.request("POST", "/auth/login", urllib.parse.urlencode(form),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("location") or ""

    assert login({"user": "alice", "password": PASSWORD, "next": "/dashboard/?user=alice"}) == (
        303, "/dashboard/?user=alice")
    status, where = login({"user": "alice", "password": "wrong", "next": "/dashboard/"})
    assert status == 303 and where.startswith("/auth/signin?next=%2Fdashboard%2F&error=wrong+user+name")
    assert login({"user": "alice", "password": PASSWORD, "next": "//elsewhere.example/"}) == (200, "")  # JSON


def test_a_member_signs_in_and_sees_their_own_and_shared_sessions_filtered_by_user_and_device(people) -> None:
    alice, bob = people["alice"], people["bob"]
    alice.sign_in("alice")
    assert alice.grid() == ["a-api", "a-web"]  # both her devices; nobody shared anything with her
    board = alice.page.locator("#leaderboard li")
    sync_api.expect(board).to_have_text(["Nobody has joined yet."])
    alice.page.get_by_label("Show me on the leaderboard").check()  # opting in is hers alone
    sync_api.expect(board).to_have_text(["alice 1.3K tokens, $1.30"])
    alice.shot("alice-grid")
    bob.sign_in("bob")
    assert bob.grid() == ["a-web", "b-web"]  # his own and the one alice shared; never carol's
    sync_api.expect(bob.page.locator("#leaderboard li")).to_have_text(["alice 1.3K tokens, $1.30"])  # bob is not on it
    assert not bob.page.get_by_label("Show me on the leaderboard").is_checked()
    assert bob.page.locator("select[name=user] option").all_inner_texts() == ["All users", "alice", "bob"]
    bob.page.select_option("select[name=user]", "alice")
    bob.page.get_by_role("button", name="Apply filters").click()
    bob.page.wait_for_url("**user=alice**")
    bob.ready()
    assert bob.grid() == ["a-web"]
    alice.page.select_option("select[name=device]", "desktop")
    alice.page.get_by_role("button", name="Apply filters").click()
    alice.page.wait_for_url("**device=desktop**")
    alice.ready()
    assert alice.grid() == ["a-api"]
    assert alice.page.locator("#summary").inner_text().split() == ["Sessions", "1", "Tokens", "300", "Cost", "$0.30"]
    alice.shot("alice-filtered-by-device")
    alice.page.get_by_role("button", name="Sign out alice").click()
    alice.page.wait_for_url("**/auth/signin**")
    alice.page.goto(alice.base + "/dashboard/")
    alice.page.wait_for_url("**/auth/signin?**")  # the sign-in has ended


def test_two_people_on_a_shared_session_page_see_each_other_and_a_note_arrives_live(people, team) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    alice.sign_in("alice", "/dashboard/sessions/a-web")
    presence = alice.page.locator("#presence")
    assert presence.inner_text() == "Also here: nobody"
    alice.page.get_by_label("Share with").fill("bob")  # bob may read it: now he may write too
    alice.page.get_by_label("Access").select_option("write")
    alice.page.get_by_role("button", name="Share").click()
    sync_api.expect(alice.page.locator("#live")).to_have_text("Shared with bob (write)")
    bob.sign_in("bob", "/dashboard/sessions/a-web")
    assert bob.page.locator("#share-form").is_hidden()  # sharing is the owner's
    sync_api.expect(bob.page.locator("#presence")).to_have_text("Also here: alice")
    sync_api.expect(presence).to_have_text("Also here: bob")  # pushed to alice's open page
    bob.page.get_by_label("Add a note").fill("the retry loop is mine, looking at it")
    bob.page.get_by_role("button", name="Add note").click()
    note = alice.page.locator("#annotations li", has_text="the retry loop is mine")
    sync_api.expect(note).to_contain_text("bob")
    alice.shot("alice-session-with-bob")
    bob.shot("bob-session-with-alice")
    carol.sign_in("carol")
    carol.page.goto(carol.base + "/dashboard/sessions/a-web")
    carol.page.wait_for_selector("body[data-ready=error]")
    assert "no session 'a-web' that you may see" in carol.page.locator("[role=alert]").inner_text()


def test_another_site_cannot_sign_a_visitor_in(people, team) -> None:
    """Login CSRF: a page elsewhere posts the attacker's name and password to /auth/login in the visitor's
    browser; the server refuses it by its Origin, so the visitor's browser holds no sign-in afterwards."""
    visitor = people["visitor"]
    visitor.context.route("http://evil.example/**", lambda route: route.fulfill(content_type="text/html", body=(
        f'<form method="post" action="{team.url}/auth/login"><input name="user" value="carol">'
        f'<input name="password" value="{PASSWORD}"><input name="next" value="/dashboard/"></form>'
        "<script>document.forms[0].submit()</script>")))
    with visitor.page.expect_response(f"{team.url}/auth/login") as answer:
        visitor.page.goto("http://evil.example/login.html")
    assert answer.value.status == 403
    assert "this server's own pages" in visitor.page.locator("body").inner_text()
    assert visitor.context.cookies(team.url) == []
    visitor.page.goto(team.url + "/dashboard/")
    visitor.page.wait_for_url("**/auth/signin?**")  # not signed in as carol
    visitor.shot("login-csrf-refused")
