"""Who a request comes from: its bearer token looked up by hash (a sign-in cookie: ``web_session``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from .admin import token_hash

if TYPE_CHECKING:
    import psycopg


class Caller(NamedTuple):
    user_id: int
    user: str
    role: str  # admin | member | viewer
    device_id: int | None  # None when signed in on the web (web_session): no device, so no push
    device: str | None
    client_id: str | None  # the data dir this device's pushes came from, once bound


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer T`` header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def caller(conn: psycopg.Connection, token: str) -> Caller | None:
    """The device (and its user) a valid, unrevoked token belongs to; None for any other token.

    The lookup is by the token's SHA-256 through a unique index: no comparison
    of the secret itself happens here, so its timing tells nothing about it.
    """
    row = conn.execute(
        "SELECT u.id, u.name, u.role, d.id, d.name, d.client_id FROM tokens t "
        "JOIN devices d ON d.id = t.device_id JOIN users u ON u.id = d.user_id "
        "WHERE t.sha256 = %s AND t.revoked_at IS NULL", (token_hash(token),)).fetchone()
    return None if row is None else Caller(*row)
