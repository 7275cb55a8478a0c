"""Signing in on the web: a password kept as a scrypt hash, a session cookie kept hashed, CSRF on
every change a cookie makes, and back-off after failed attempts (docs/team.md, "Sign-in")."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import psycopg
import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"


def _call(server, method: str, path: str, *, form: dict[str, str] | None = None, as_json: bool = False,
          headers: dict[str, str] | None = None) -> tuple[int, dict, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    sent = dict(headers or {})
    body = None
    if form is not None and as_json:
        body = json.dumps(form)
        sent["Content-Type"] = "application/json"
    elif form is not None:
        body = urllib.parse.urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=sent)
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    return r.status, json.loads(raw) if raw else {}, {k.lower(): v for k, v in r.getheaders()}


def test_a_password_signs_in_with_a_cookie_that_needs_its_csrf_token_to_change_anything(
        team_server, database_url, cli) -> None:
    enroll(database_url, "ann", "member")
    enroll(database_url, "bob", "member")
    short = cli("team", "user", "passwd", "ann", "--password-stdin", input="short\n")
    assert short.code == 1 and short.err.count("\n") == 1 and "at least 10" in short.err
    assert cli("team", "user", "passwd", "ann", "--password-stdin", input=PASSWORD + "\n").code == 0
    with psycopg.connect(database_url) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE name = 'ann'").fetchone()
    assert stored.startswith("scrypt$131072$8$1$") and PASSWORD not in stored

    for no_secret, as_json in (({"user": "ann"}, False), ({"user": "ann", "password": "", "token": ""}, True),
                               ({"user": "bob", "password": PASSWORD}, False)):  # bob has no password to sign in by
        assert _call(team_server, "POST", "/auth/login", form=no_secret, as_json=as_json)[0] == 401, no_secret
    status, body, headers = _call(team_server, "POST", "/auth/login", form={"user": "ann", "password": PASSWORD})
    assert status == 200 and body["user"] == "ann" and body["csrf_token"]
    cookie = headers["set-cookie"]
    # plain HTTP to a server on loopback: no Secure (a browser would not send it back), still HttpOnly and Lax
    assert cookie.startswith("lsm_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    secret = cookie.split(";", 1)[0].split("=", 1)[1]
    with psycopg.connect(database_url) as conn:
        dump = repr(conn.execute("SELECT * FROM web_sessions").fetchall())
    assert secret not in dump

    jar = {"Cookie": f"lsm_session={secret}"}
    assert _call(team_server, "GET", "/api/grants", headers=jar)[0] == 200
    assert _call(team_server, "GET", "/auth/session", headers=jar)[1]["csrf_token"] == body["csrf_token"]
    no_csrf = _call(team_server, "POST", "/api/sessions/x/notes", headers=jar)
    assert no_csrf[0] == 403 and "CSRF" in no_csrf[1]["error"]
    wrong = _call(team_server, "POST", "/auth/logout", headers={**jar, "X-CSRF-Token": "x" * 43})
    assert wrong[0] == 403
    # a plain HTML form sends the token as a field
    out = _call(team_server, "POST", "/auth/logout", form={"csrf_token": body["csrf_token"]}, headers=jar)
    assert out[0] == 200 and out[1] == {"signed_out": True}
    ended = _call(team_server, "GET", "/api/grants", headers=jar)
    assert ended[0] == 401 and "sign in again" in ended[1]["error"]

    # behind a TLS proxy: Secure, with the __Host- prefix (no Domain, Path=/), and it works
    status, body, headers = _call(team_server, "POST", "/auth/login", form={"user": "ann", "password": PASSWORD},
                                  headers={"X-Forwarded-Proto": "https"})
    cookie = headers["set-cookie"]
    assert status == 200 and cookie.startswith("__Host-lsm_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    secure_jar = {"Cookie": cookie.split(";", 1)[0]}
    assert _call(team_server, "GET", "/auth/session", headers=secure_jar)[1]["user"] == "ann"

    # a new password ends every sign-in made with the old one
    assert cli("team", "user", "passwd", "ann", "--password-stdin", input="another long one\n").code == 0
    assert _call(team_server, "GET", "/auth/session", headers=secure_jar)[0] == 401


def test_failed_sign_ins_back_off_even_for_the_right_password(team_server, database_url, cli) -> None:
    enroll(database_url, "ann", "member")
    assert cli("team", "user", "passwd", "ann", "--password-stdin", input=PASSWORD + "\n").code == 0
    for _ in range(5):
        status, body, _h = _call(team_server, "POST", "/auth/login", form={"user": "ann", "password": "guess"})
        assert status == 401 and "wrong user name or password" in body["error"]
    status, body, _h = _call(team_server, "POST", "/auth/login", form={"user": "ann", "password": PASSWORD})
    assert status == 429 and "try again in" in body["error"]
    # an unknown name is told apart from a wrong password by nothing
    status, body, _h = _call(team_server, "POST", "/auth/login", form={"user": "nobody", "password": "guess"})
    assert status in (401, 429) and "nobody" not in body["error"]
    with psycopg.connect(database_url) as conn:
        failures = dict(conn.execute("SELECT key, failures FROM login_failures").fetchall())
    assert failures["user:ann"] == 5


def test_a_sign_in_posted_from_another_site_is_refused(team_server, database_url, cli) -> None:
    enroll(database_url, "ann", "member")
    assert cli("team", "user", "passwd", "ann", "--password-stdin", input=PASSWORD + "\n").code == 0
    here = f"127.0.0.1:{team_server.port}"
    form = {"user": "ann", "password": PASSWORD}
    for sent in ({"Origin": "https://evil.example"}, {"Origin": "null"},  # a sandboxed frame, a stripped referrer
                 {"Origin": f"http://{here}.evil.example"}, {"Referer": "https://evil.example/login.html"},
                 {"Origin": "https://evil.example", "Referer": f"http://{here}/auth/signin"},
                 {"Origin": f"http://{here}", "Host": "evil.example"}):  # a rebinding name for this address
        status, body, headers = _call(team_server, "POST", "/auth/login", form=form, headers=sent)
        assert status == 403 and "set-cookie" not in headers and "this server's own pages" in body["error"], sent
    for sent in ({"Origin": f"http://{here}"}, {"Origin": f"https://{here}"},  # TLS ended by a proxy that did not say
                 {"Referer": f"http://{here}/auth/signin?next=%2Fdashboard%2F"},
                 {}):  # neither: a script or the CLI; every current browser sends Origin on a cross-site POST
        status, body, headers = _call(team_server, "POST", "/auth/login", form=form, headers=sent)
        assert status == 200 and headers["set-cookie"].startswith("lsm_session="), sent
    status, _b, _h = _call(team_server, "POST", "/auth/login", form=form,
                           headers={"Origin": f"http://{here}", "X-Forwarded-Proto": "https"})
    assert status == 403  # the browser came by https: a plain-http page of this host is not it
