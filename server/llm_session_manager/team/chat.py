"""The chat bots on the team server: chat accounts linked to team users, and answers in their scope.

A chat user sees nothing until their account (platform, workspace, user id)
is linked to a team user (``chat_links``, team migration 004): by an admin
(``team chat link``), or by the user sending ``/llm link CODE`` with a one-time
code an admin issued (``team chat link-code``; kept hashed, valid for
``CODE_MINUTES``, used once). Answers follow the team user's role as the API
does, by the one access rule (``access``, through ``shared_sessions`` and ``report``):
an admin sees the team's data; a member or viewer what their own devices
pushed and what is granted to them.

``sessions`` lists each session once per owner, naming the devices that
pushed it, with the health and context fill they pushed. The team server holds
no logs or memories to read, so ``recall``, ``health`` (a session's components)
and ``limits`` say to ask the machine's own ``serve``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

import msgspec

from ..core import when
from ..core.errors import BadArgument, NotFound
from ..services.chat.answering import help_answer, usage_answer
from ..services.chat.answers import Answer, Fact, Item, dollars, tokens
from ..services.chat.question import Question
from . import shared_sessions
from .auth import Caller
from .report import report

if TYPE_CHECKING:
    import psycopg

CODE_MINUTES = 15
PLATFORMS = ("slack", "discord", "teams")
SESSIONS_SHOWN = 8


class Link(msgspec.Struct):
    platform: str
    workspace: str
    chat_user: str
    user: str


class LinkCode(msgspec.Struct):
    user: str
    code: str  # shown this once
    expires_at: str


def workspace_of(platform: str, workspace: str) -> str:
    """Discord's user ids are the same in every server, so its links hold no workspace."""
    return "" if platform == "discord" else workspace


def link(conn: psycopg.Connection, platform: str, workspace: str, chat_user: str, user: str) -> Link:
    """``user``'s link to a chat account (an existing link of that account moves to ``user``)."""
    if platform not in PLATFORMS:
        raise BadArgument("platform", f"must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    if not chat_user.strip():
        raise BadArgument("chat_user", "must not be empty")
    place = workspace_of(platform, workspace)
    with conn.transaction():
        conn.execute("INSERT INTO chat_links (platform, workspace, chat_user, user_id) VALUES (%s, %s, %s, %s) "
                     "ON CONFLICT (platform, workspace, chat_user) DO UPDATE SET user_id = excluded.user_id",
                     (platform, place, chat_user, _user_id(conn, user)))
    return Link(platform, place, chat_user, user)


def link_code(conn: psycopg.Connection, user: str, now: float) -> LinkCode:
    code = secrets.token_hex(5).upper()  # 40 bits, one use, for 15 minutes: not guessable in time
    expires = dt.datetime.fromtimestamp(now + CODE_MINUTES * 60, dt.UTC)
    with conn.transaction():
        conn.execute("INSERT INTO chat_link_codes (sha256, user_id, expires_at) VALUES (%s, %s, %s)",
                     (_hash(code), _user_id(conn, user), expires))
    return LinkCode(user, code, expires.isoformat(timespec="seconds").replace("+00:00", "Z"))


def linked(conn: psycopg.Connection, asking: Question) -> Caller | None:
    row = conn.execute(
        "SELECT u.id, u.name, u.role FROM chat_links l JOIN users u ON u.id = l.user_id "
        "WHERE l.platform = %s AND l.workspace = %s AND l.chat_user = %s",
        (asking.platform, workspace_of(asking.platform, asking.workspace), asking.user)).fetchone()
    return None if row is None else Caller(int(row[0]), row[1], row[2], None, None, None)  # no device: no push


def respond(conn: psycopg.Connection, asking: Question, now: float) -> Answer:
    """The answer to ``asking``: a link made, the link instruction, or the command in the user's scope."""
    if asking.command.name == "link":
        return _redeem(conn, asking, now)
    who = linked(conn, asking)
    if who is None:
        return Answer("Not linked yet", f"Link your {asking.platform} account to your team account first: ask a "
                      "team admin for a code (llm-session team chat link-code --user YOU) and send /llm link CODE "
                      "here.", tone="refused")
    match asking.command.name:
        case "sessions":
            return _sessions(conn, who, asking.command.arg)
        case "usage":
            today = when.local_date(now, None)
            first = today if asking.command.arg == "today" else today - dt.timedelta(days=6)
            shown = report(conn, who, "day", since=first.isoformat(), until=today.isoformat())
            return usage_answer(shown, asking.command.arg, first, today)
        case "recall" | "health" | "limits":
            return Answer("Not on the team server", f"The team server holds sessions and usage only; ask "
                          f"{asking.command.name} of your own machine's serve.", tone="refused")
        case _:
            return help_answer(asking.command.problem)


def _redeem(conn: psycopg.Connection, asking: Question, now: float) -> Answer:
    with conn.transaction():
        row = conn.execute("DELETE FROM chat_link_codes WHERE sha256 = %s RETURNING user_id, expires_at",
                           (_hash(asking.command.arg.strip().upper()),)).fetchone()
        if row is None or row[1].timestamp() < now:
            return Answer("Not linked", "That code is unknown, used or expired: ask an admin for a new one.",
                          tone="refused")
        conn.execute("INSERT INTO chat_links (platform, workspace, chat_user, user_id) VALUES (%s, %s, %s, %s) "
                     "ON CONFLICT (platform, workspace, chat_user) DO UPDATE SET user_id = excluded.user_id",
                     (asking.platform, workspace_of(asking.platform, asking.workspace), asking.user, row[0]))
        name = conn.execute("SELECT name FROM users WHERE id = %s", (row[0],)).fetchone()
    if name is None:
        raise NotFound("the code's user is gone")
    return Answer("Linked", f"This {asking.platform} account is now team user {name[0]}.", tone="good")


# A response's sums once per owner whose devices pushed it, as the dashboard counts them.
_SUMS = """
SELECT o.name, u.session_id, sum(u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens),
       sum(u.cost_usd)
FROM usage u JOIN LATERAL (SELECT DISTINCT du.name FROM usage_seen x JOIN devices d ON d.id = x.device_id
                           JOIN users du ON du.id = d.user_id WHERE x.dedup_key = u.dedup_key) o ON TRUE
WHERE u.session_id = ANY(%s)
GROUP BY 1, 2
"""


def _sessions(conn: psycopg.Connection, who: Caller, project: str) -> Answer:
    """The newest sessions ``who`` may read, each once however many of its owner's devices pushed it
    (``shared_sessions.listing``, the web's list), with the devices named."""
    found = shared_sessions.listing(conn, who, project=project or None, limit=SESSIONS_SHOWN)
    scope = "the team's pushed sessions" if who.role == "admin" else "your pushed sessions and those shared with you"
    if not found:
        return Answer(f"No sessions{' in ' + project if project else ''}", f"Nothing in {scope}.")
    sums = {(owner, sid): (int(total), float(cost))
            for owner, sid, total, cost in conn.execute(_SUMS, (sorted({s.id for s in found}),))}
    items = []
    for s in found:
        total, cost = sums.get((s.owner, s.id), (0, 0.0))
        health = (f"{s.health_score:.0f} {s.health_status}" if s.health_status and s.health_score is not None
                  else "unknown")
        context = f"{s.context_percent:.0f}%" if s.context_percent is not None else "unknown"
        items.append(Item((s.title or "(untitled)")[:120],
                          f"{s.provider} · {s.project or 'no project'} · {s.owner} on {', '.join(s.devices)} · "
                          f"{s.id[:8]}",
                          (Fact("Tokens", tokens(total)), Fact("Cost", dollars(cost)), Fact("Context", context),
                           Fact("Health", health))))
    return Answer(f"Recent sessions{' in ' + project if project else ''}", f"From {scope}.", items=tuple(items))


def _user_id(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT id FROM users WHERE name = %s", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r} (see 'llm-session team user list')")
    return int(row[0])


def _hash(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()
