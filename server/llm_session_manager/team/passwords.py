"""Web sign-in passwords, stored as scrypt hashes: ``team user passwd`` sets one.

scrypt from the standard library (``hashlib.scrypt``, OpenSSL's) rather than
argon2id: both are memory-hard, which is what makes a stolen table slow to
crack on GPUs, and scrypt needs no new dependency (argon2-cffi is not in this
project's environment, and a C extension for one hash a sign-in does not earn
its place). Parameters are OWASP's for scrypt: N=2**17, r=8, p=1 (128 MiB and
a good fraction of a second of CPU per hash), a 16-byte random salt per password and a
32-byte key. Each stored hash carries its parameters
(``scrypt$N$r$p$salt$key``, base64), so raising them later leaves old
passwords working; ``needs_rehash`` says which to redo at the next sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from ..core.errors import BadArgument

if TYPE_CHECKING:
    import psycopg

N, R, P = 2**17, 8, 1
KEY_BYTES = 32
MIN_LENGTH = 10  # a short password is the one weakness no hash makes up for
_MAXMEM = 256 * 1024 * 1024  # above 128 * N * r, which OpenSSL's 32 MiB default is not


def hash_password(password: str, *, n: int = N) -> str:
    """The stored form of ``password``: its parameters, salt and scrypt key."""
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, n, R, P)
    return f"scrypt${n}${R}${P}${_b64(salt)}${_b64(key)}"


def verify(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (False for no password or a form this does not know)."""
    if not stored:
        return False
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(key)
        found = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${N}${R}${P}$")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise BadArgument("password", f"must be at least {MIN_LENGTH} characters")


def set_password(conn: psycopg.Connection, user: str, password: str) -> None:
    """``user``'s web sign-in password replaced; their open sign-in sessions end with it."""
    from .admin import _user_id

    check_strength(password)
    stored = hash_password(password)
    with conn.transaction():
        user_id = _user_id(conn, user)
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (stored, user_id))
        conn.execute("UPDATE web_sessions SET ended_at = now() WHERE user_id = %s AND ended_at IS NULL", (user_id,))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
