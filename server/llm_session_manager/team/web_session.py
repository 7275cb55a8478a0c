"""Web sign-in: a password or a device token exchanged for a session cookie, and CSRF.

``POST /auth/login`` checks a user's password (``passwords``) or a device token
and starts a sign-in session: 32 random bytes in the cookie, only their SHA-256
on the server (``web_sessions``), valid for ``LIFETIME`` or until
``/auth/logout``. The cookie is ``HttpOnly`` and ``SameSite=Lax``; it is
``Secure`` with the ``__Host-`` prefix unless the request came over plain HTTP
to a server on loopback (the one case where a browser would not send a Secure
cookie back, and no network is crossed).

CSRF: a request signed in by cookie that changes anything (any method but GET,
HEAD, OPTIONS) must carry the session's CSRF token in ``X-CSRF-Token`` (or a
form's ``csrf_token`` field). The token is an HMAC of the cookie's secret, so
it is tied to that session, needs no storage, and another site cannot compute
it: it can neither read the HttpOnly cookie nor the login answer. Requests with
a bearer token need no CSRF token: a browser never adds that header by itself.

Login CSRF (another site signing the victim in as the attacker, whose session
then records what the victim does) is refused by origin (``check_origin``, OWASP's
"verifying origin with standard headers"): a sign-in POST whose ``Origin`` (or,
without one, ``Referer``) names another origin, or is ``null`` (a sandboxed or
privacy-stripped context), is refused with 403. With neither header it is let
through: every current browser sends ``Origin`` on a cross-origin POST, so a
request without one is a script's or the CLI's (which have no victim's cookie
jar to plant a session in) or an old browser's same-origin form.

Failed sign-ins are counted per user name and per client address
(``login_failures``): after ``FREE_FAILURES`` within ``FAILURE_WINDOW`` each
further attempt must wait 2, 4, 8 ... up to ``MAX_WAIT`` seconds after the last
failure (429), right password or not.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
import msgspec

from . import auth, passwords
from .access import Forbidden, Refused, TooManyAttempts, Unauthenticated
from .auth import Caller

if TYPE_CHECKING:
    import psycopg
    from starlette.requests import Request
    from starlette.responses import Response

T = TypeVar("T")
InThread = Callable[[Callable[["psycopg.Connection"], Any]], Awaitable[Any]]

COOKIE = "lsm_session"
SECURE_COOKIE = "__Host-lsm_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LIFETIME = timedelta(hours=12)
FREE_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MAX_WAIT = 900
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM = 64 * 1024
HASHING = 2  # password hashes checked at once


class BadForm(Refused):
    status = 400


class FormTooLarge(Refused):
    status = 413


class SignedIn(msgspec.Struct):
    user: str
    role: str
    csrf_token: str | None  # None when signed in by bearer token (no CSRF needed)
    expires_at: str | None


def csrf_token(secret: str) -> str:
    """The CSRF token of the sign-in session whose cookie holds ``secret``."""
    mac = hmac.new(secret.encode(), b"llm-session csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


async def login(in_thread: InThread, *, user: str | None, password: str | None, token: str | None,
                address: str) -> tuple[Caller, str, datetime]:
    """The user ``user``+``password`` or ``token`` names, with a new session's secret and expiry.

    The password's hash is checked in a thread of its own, holding no database
    connection (a slow hash must not starve the pool), at most ``HASHING`` at a
    time (each takes scrypt's 128 MiB).
    """
    token = token or None  # an empty field is no token: the password decides then
    keys = [f"ip:{address}"] + ([f"user:{user}"] if user else [])
    who, stored = await in_thread(lambda conn: _candidate(conn, keys, user, token))
    if token is None:
        # An unknown name, or one without a password, costs a hash too: the time taken does not tell which exist.
        matches = await anyio.to_thread.run_sync(
            lambda: passwords.verify(password or "", stored or _dummy_hash()), limiter=_hashing())
        who = who if who is not None and stored and password and matches else None
    if who is None:
        await in_thread(lambda conn: _fail(conn, keys))
        raise Unauthenticated("wrong user name or password (or an invalid token)")
    found = who
    secret = secrets.token_urlsafe(32)
    expires = await in_thread(lambda conn: _start(conn, found, secret, "token" if token else "password", address))
    return found, secret, expires


def _candidate(conn: psycopg.Connection, keys: list[str], user: str | None,
               token: str | None) -> tuple[Caller | None, str | None]:
    """After the back-off check: the token's user, or the named user and their stored password hash."""
    _check_backoff(conn, keys)
    if token is not None:
        return auth.caller(conn, token), None
    row = conn.execute("SELECT id, name, role, password_hash FROM users WHERE name = %s", (user or "",)).fetchone()
    return (None, None) if row is None else (Caller(row[0], row[1], row[2], None, None, None), row[3])


def _start(conn: psycopg.Connection, who: Caller, secret: str, by: str, address: str) -> datetime:
    from . import audit

    with conn.transaction():
        conn.execute("DELETE FROM login_failures WHERE key = %s", (f"user:{who.user}",))
        row = conn.execute("INSERT INTO web_sessions (user_id, sha256, expires_at) VALUES (%s, %s, now() + %s) "
                           "RETURNING expires_at", (who.user_id, _hash(secret), LIFETIME)).fetchone()
        audit.record(conn, who, "login", None, {"by": by, "address": address})
    assert row is not None
    return row[0]


def logout(conn: psycopg.Connection, secret: str) -> bool:
    row = conn.execute("UPDATE web_sessions SET ended_at = now() WHERE sha256 = %s AND ended_at IS NULL "
                       "RETURNING id", (_hash(secret),)).fetchone()
    return row is not None


def from_cookie(conn: psycopg.Connection, secret: str) -> Caller | None:
    """The user of a live (unexpired, not ended) sign-in session; it has no device."""
    row = conn.execute(
        "SELECT u.id, u.name, u.role FROM web_sessions w JOIN users u ON u.id = w.user_id "
        "WHERE w.sha256 = %s AND w.ended_at IS NULL AND w.expires_at > now()", (_hash(secret),)).fetchone()
    return None if row is None else Caller(row[0], row[1], row[2], None, None, None)


def cookie_secret(request: Request) -> str | None:
    return request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE)


async def authenticate(request: Request, in_thread: InThread) -> Caller:
    """The caller of ``request``: its bearer token's device, else its sign-in cookie's user (with CSRF checked)."""
    token = auth.bearer(request.headers.get("authorization"))
    if token is not None:
        who = await in_thread(lambda conn: auth.caller(conn, token))
        if who is None:
            raise Unauthenticated("this token is not valid (unknown or revoked)")
        return who
    secret = cookie_secret(request)
    if secret is None:
        raise Unauthenticated("send a device token: Authorization: Bearer <token>, or sign in at /auth/login")
    found = await in_thread(lambda conn: from_cookie(conn, secret))
    if found is None:
        raise Unauthenticated("your sign-in has expired or ended: sign in again at /auth/login")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or await _form_field(request, CSRF_FIELD)
        if not sent or not hmac.compare_digest(sent, csrf_token(secret)):
            raise Forbidden(f"a signed-in request that changes something needs the CSRF token in {CSRF_HEADER}")
    return found


def check_origin(request: Request) -> None:
    """Refuse a sign-in another site's page made the browser send (see the module's note on login CSRF)."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if sent is not None and not _same_origin(sent, request):
        raise Forbidden(f"a sign-in must come from this server's own pages, not from {sent.split('?')[0]!r}")


def _same_origin(url: str, request: Request) -> bool:
    """Whether ``url`` (an Origin or a Referer) is this server's origin as the browser sees it: the
    ``Host`` it asked for (a proxy passes it on), over the scheme the request came by; an https origin
    is taken where a proxy terminating TLS did not say so (``X-Forwarded-Proto``), never the reverse."""
    parts = urllib.parse.urlsplit(url.strip())
    host = request.headers.get("host", "").lower()
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        return False  # "null", or no host to compare with
    came_by = "https" if (request.url.scheme == "https"
                          or request.headers.get("x-forwarded-proto", "").lower() == "https") else "http"
    if parts.scheme == "http" and came_by == "https":
        return False
    return _without_default_port(parts.netloc.lower(), parts.scheme) in {
        _without_default_port(host, scheme) for scheme in ("http", "https")}


def _without_default_port(netloc: str, scheme: str) -> str:
    return netloc.removesuffix({"http": ":80", "https": ":443"}[scheme])


def is_secure(request: Request) -> bool:
    """Whether the cookie must be Secure: anything but plain HTTP to a server on loopback."""
    from ..runtime.serve_address import is_loopback

    if request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https":
        return True
    server = request.scope.get("server")
    return not (server and is_loopback(str(server[0])))


def set_cookie(response: Response, request: Request, secret: str) -> None:
    secure = is_secure(request)
    response.set_cookie(SECURE_COOKIE if secure else COOKIE, secret, max_age=int(LIFETIME.total_seconds()),
                        path="/", secure=secure, httponly=True, samesite="lax")


def clear_cookie(response: Response, request: Request) -> None:
    secure = is_secure(request)
    response.delete_cookie(SECURE_COOKIE if secure else COOKIE, path="/", secure=secure, httponly=True,
                           samesite="lax")


async def credentials(request: Request) -> dict[str, str]:
    """The login form's fields: ``application/x-www-form-urlencoded`` or a JSON object."""
    body = await _limited_body(request)
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = msgspec.json.decode(body, type=dict[str, str])
        except msgspec.DecodeError as e:
            raise BadForm(f"the login body is not a JSON object of strings: {e}") from e
        return data
    return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(errors="replace")).items()}


async def _form_field(request: Request, name: str) -> str | None:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    found = urllib.parse.parse_qs((await _limited_body(request)).decode(errors="replace")).get(name)
    return found[0] if found else None


async def _limited_body(request: Request) -> bytes:
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        raise FormTooLarge(f"a form may be at most {MAX_FORM} bytes")
    return await request.body()


@functools.cache
def _dummy_hash() -> str:
    return passwords.hash_password(secrets.token_urlsafe(16))


@functools.cache
def _hashing() -> anyio.CapacityLimiter:
    """Made on first use, inside the server's event loop, as anyio wants."""
    return anyio.CapacityLimiter(HASHING)


def _check_backoff(conn: psycopg.Connection, keys: list[str]) -> None:
    row = conn.execute(
        "SELECT max(ceil(extract(epoch FROM last_at + make_interval(secs => least(%s, 2 ^ (failures - %s))) "
        "- now()))) FROM login_failures WHERE key = ANY(%s) AND failures >= %s AND last_at > now() - %s",
        (MAX_WAIT, FREE_FAILURES - 1, keys, FREE_FAILURES, FAILURE_WINDOW)).fetchone()
    wait = int(row[0]) if row and row[0] is not None else 0
    if wait > 0:
        raise TooManyAttempts(f"too many failed sign-ins: try again in {wait} s")


def _fail(conn: psycopg.Connection, keys: list[str]) -> None:
    with conn.transaction():
        for key in keys:
            conn.execute(
                # clock_timestamp, not now(): the wait counts from the failure, not from the request's
                # start a slow hash earlier
                "INSERT INTO login_failures (key, failures, last_at) VALUES (%s, 1, clock_timestamp()) "
                "ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_failures.last_at > now() - %s "
                "THEN login_failures.failures + 1 ELSE 1 END, last_at = clock_timestamp()", (key, FAILURE_WINDOW))
    conn.commit()  # kept although the request then fails (which rolls back the rest)


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def signed_in(who: Caller, secret: str | None, expires: datetime | None) -> SignedIn:
    return SignedIn(who.user, who.role, csrf_token(secret) if secret else None,
                    expires.isoformat() if expires else None)
