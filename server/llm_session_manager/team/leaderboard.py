"""The team's leaderboard: this week's tokens and cost of the members who chose to be on it.

Nobody is on it unless they opt in themselves (``users.leaderboard``, set from
the dashboard): how much someone spends is theirs to show. A response counts
once for a member however many of their devices pushed it. The week is
Monday to Sunday, UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    import psycopg

    from .auth import Caller


class Place(msgspec.Struct):
    user: str
    total_tokens: int
    cost_usd: float


class Board(msgspec.Struct):
    week_of: str  # the Monday, YYYY-MM-DD
    places: list[Place]  # most tokens first
    joined: bool  # whether the caller is on it


def board(conn: psycopg.Connection, who: Caller, now: dt.datetime | None = None) -> Board:
    monday = (now or dt.datetime.now(dt.UTC)).date()
    monday -= dt.timedelta(days=monday.weekday())
    since = dt.datetime.combine(monday, dt.time(), dt.UTC).timestamp()
    rows = conn.execute(
        "SELECT u.name, coalesce(sum(x.input_tokens + x.output_tokens + x.cache_creation_tokens "
        "+ x.cache_read_tokens), 0), coalesce(sum(x.cost_usd), 0) FROM users u LEFT JOIN usage x ON x.ts >= %s "
        "AND EXISTS (SELECT 1 FROM usage_seen s JOIN devices d ON d.id = s.device_id WHERE s.dedup_key = x.dedup_key "
        "AND d.user_id = u.id) WHERE u.leaderboard GROUP BY u.name ORDER BY 2 DESC, u.name", (since,)).fetchall()
    places = [Place(name, int(tokens), float(cost)) for name, tokens, cost in rows]
    return Board(monday.isoformat(), places, any(p.user == who.user for p in places))


def join(conn: psycopg.Connection, who: Caller, on: bool) -> None:
    """``who`` on (or off) the leaderboard; only they decide it."""
    with conn.transaction():
        conn.execute("UPDATE users SET leaderboard = %s WHERE id = %s", (on, who.user_id))
