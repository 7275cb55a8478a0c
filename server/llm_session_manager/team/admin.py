"""Users, their devices and the devices' tokens: what ``team user`` and ``team token`` do.

These run on the database directly (whoever holds its URL administers the
team). A token is 32 random bytes shown once; the server keeps only its
SHA-256, which is enough for a secret of that entropy (no salt or slow hash is
needed: nobody can guess a 256-bit value, and a stolen table yields nothing to
present). Revoking a device's tokens stops them at the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Literal, get_args

import msgspec

from ..core.errors import BadArgument, NotFound, TeamError

if TYPE_CHECKING:
    import psycopg

Role = Literal["admin", "member", "viewer"]
ROLES: tuple[str, ...] = get_args(Role)
TOKEN_PREFIX = "lsmt_"  # says what the secret is, for people and secret scanners


class User(msgspec.Struct):
    name: str
    role: str
    devices: list[str] = []


class IssuedToken(msgspec.Struct):
    user: str
    device: str
    token: str  # shown this once; the server keeps its hash


class Revoked(msgspec.Struct):
    user: str
    device: str
    tokens: int  # how many were still valid


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def add_user(conn: psycopg.Connection, name: str, role: str) -> User:
    """A new user; a name already taken is an error rather than a silent change of role."""
    if role not in ROLES:
        raise BadArgument("role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    if not name.strip():
        raise BadArgument("name", "must not be empty")
    with conn.transaction():
        row = conn.execute("INSERT INTO users (name, role) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING "
                           "RETURNING id", (name, role)).fetchone()
    if row is None:
        raise TeamError(f"there is already a user {name!r}")
    return User(name, role)


def list_users(conn: psycopg.Connection) -> list[User]:
    rows = conn.execute(
        "SELECT u.name, u.role, coalesce(array_agg(d.name ORDER BY d.name) FILTER (WHERE d.id IS NOT NULL), '{}') "
        "FROM users u LEFT JOIN devices d ON d.user_id = u.id GROUP BY u.id ORDER BY u.name").fetchall()
    return [User(name, role, list(devices)) for name, role, devices in rows]


def create_token(conn: psycopg.Connection, user: str, device: str) -> IssuedToken:
    """A new token for ``user``'s ``device`` (the device is made on first use)."""
    if not device.strip():
        raise BadArgument("device", "must not be empty")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with conn.transaction():
        user_id = _user_id(conn, user)
        conn.execute("INSERT INTO devices (user_id, name) VALUES (%s, %s) ON CONFLICT (user_id, name) DO NOTHING",
                     (user_id, device))
        conn.execute("INSERT INTO tokens (device_id, sha256) "
                     "SELECT id, %s FROM devices WHERE user_id = %s AND name = %s",
                     (token_hash(token), user_id, device))
    return IssuedToken(user, device, token)


def revoke_tokens(conn: psycopg.Connection, user: str, device: str) -> Revoked:
    """Every valid token of ``user``'s ``device`` revoked; its pushed data stays."""
    with conn.transaction():
        user_id = _user_id(conn, user)
        found = conn.execute("SELECT id FROM devices WHERE user_id = %s AND name = %s", (user_id, device)).fetchone()
        if found is None:
            raise NotFound(f"user {user!r} has no device {device!r}")
        cur = conn.execute("UPDATE tokens SET revoked_at = now() WHERE device_id = %s AND revoked_at IS NULL",
                           (found[0],))
    return Revoked(user, device, cur.rowcount)


def _user_id(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM users WHERE name = %s", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r}: add one with 'llm-session team user add {name} --role member'")
    return int(row[0])
