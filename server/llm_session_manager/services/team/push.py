"""Pushing what this machine's store holds to its team server, incrementally.

Each batch the server acknowledges is noted in the store (``team_pushed``,
``team_pushed_sessions``: migration 021) in the same breath, so a push cut
off anywhere resumes where the server's answers got to; a batch the server
stored but whose answer was lost is sent again and changes nothing there (the
server keys every response by its ``dedup_key``). Responses heard only over
OTLP (``otlp:`` keys) stay home: their log will supersede them, and the log's
row is what gets pushed. Conversation (projects that opted in) and shared memories
follow (``push_shared``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import apsw
import msgspec

from ...core.team_wire import PUSH_PATH, PushBatch, PushResult, PushSession, PushUsage
from ...store.connection import write_transaction
from . import client
from .link import Link, client_id
from .push_health import with_health
from .push_shared import forget_pushed, push_shared

if TYPE_CHECKING:
    from ...core.config import Config

BATCH = 500
_PUSHED_TO = "team_pushed_to"
T = TypeVar("T")

_SESSIONS = """
SELECT s.id, s.provider, s.project, s.cwd, s.title, s.model, s.started_at, s.last_activity FROM sessions s
LEFT JOIN team_pushed_sessions p ON p.id = s.id
WHERE p.id IS NULL OR p.last_activity IS NOT s.last_activity
ORDER BY s.started_at, s.id
"""
# What decides which copy of a response wins (ingest/_store.py), so a better copy read since is sent again.
_SENT = ("u.sidechain || ',' || u.exact || ',' || (u.input_tokens + u.output_tokens + u.cache_creation_tokens "
         "+ u.cache_read_tokens) || ',' || u.cache_creation_1h_tokens")
_USAGE = f"""
SELECT u.dedup_key, u.session_id, coalesce(s.provider, ''), u.ts, u.model, u.input_tokens, u.output_tokens,
       u.cache_creation_tokens, u.cache_read_tokens, u.cache_creation_1h_tokens, u.cost_usd, u.priced, u.exact,
       u.sidechain, {_SENT}
FROM usage u LEFT JOIN sessions s ON s.id = u.session_id LEFT JOIN team_pushed p ON p.dedup_key = u.dedup_key
WHERE u.dedup_key NOT LIKE 'otlp:%' AND (p.sent IS NULL OR p.sent <> {_SENT})
ORDER BY u.ts, u.dedup_key
"""


class Pushed(msgspec.Struct):
    url: str
    batches: int = 0
    sessions: int = 0
    usage: int = 0  # responses sent
    usage_new: int = 0  # of which the team had not had before
    usage_seen: int = 0  # already there: a replay, or another device's copy
    messages: int = 0  # messages of the projects in team.push_messages sent
    file_refs: int = 0
    memories: int = 0  # shared memories sent


def push(conn: apsw.Connection, link: Link, batch_size: int = BATCH, config: Config | None = None) -> Pushed:
    """Send every session and response the server has not had from this data dir, in batches,
    then what ``config`` shares beyond them (the config file's, when not given)."""
    me = client_id(conn)
    _forget_other_server(conn, link)
    done = Pushed(url=link.url)
    if config is None:
        from ...core.config import load

        config = load()
    waiting = {s.id: s for s in with_health(conn, config, conn.execute(_SESSIONS).fetchall())}
    found = [_response(row) for row in conn.execute(_USAGE)]
    usage = [u for u, _ in found]
    sent = {u.dedup_key: looks for u, looks in found}
    for rows in _chunks(usage, batch_size):  # each batch with the sessions its responses are of
        with_rows = [waiting.pop(i) for i in dict.fromkeys(u.session_id for u in rows) if i in waiting]
        _send(link, PushBatch(client_id=me, sessions=with_rows, usage=rows), done)
        _noted(conn, with_rows, [(u.dedup_key, sent[u.dedup_key]) for u in rows])
    for chunk in _chunks(list(waiting.values()), batch_size):  # sessions changed without a new response
        _send(link, PushBatch(client_id=me, sessions=chunk), done)
        _noted(conn, chunk, [])
    shared = push_shared(conn, link, me, config, batch_size)
    done.messages, done.file_refs, done.memories = shared.messages, shared.file_refs, shared.memories
    if not done.batches:  # nothing new: still ask, so a revoked token or a moved server is heard of now
        _send(link, PushBatch(client_id=me), done)
    return done


def _response(row: Any) -> tuple[PushUsage, str]:
    """A row of ``_USAGE``: the response as sent, and its ``_SENT``."""
    key, session, provider, ts, model, i, o, cw, cr, cw_1h, cost, priced, exact, sidechain, looks = row
    return PushUsage(key, session, provider, ts, model, i, o, cw, cr, cw_1h, cost, priced, bool(exact),
                     bool(sidechain)), looks


def _send(link: Link, batch: PushBatch, done: Pushed) -> None:
    result = client.request(link, PUSH_PATH, PushResult, body=msgspec.json.encode(batch))
    done.batches += 1
    done.sessions += result.sessions
    done.usage += len(batch.usage)
    done.usage_new += result.usage_new
    done.usage_seen += result.usage_seen


def _noted(conn: apsw.Connection, sessions: list[PushSession], responses: list[tuple[str, str]]) -> None:
    """What the server acknowledged, in one transaction: a push killed here resends the batch, no more."""
    with write_transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO team_pushed_sessions (id, last_activity) VALUES (?, ?)",
                         [(s.id, s.last_activity) for s in sessions])
        conn.executemany("INSERT OR REPLACE INTO team_pushed (dedup_key, sent) VALUES (?, ?)", responses)


def _forget_other_server(conn: apsw.Connection, link: Link) -> None:
    """What was pushed elsewhere, or as another device, is news to the server and device now joined:
    start the sets afresh (pushing again what the server has changes nothing there)."""
    joined = f"{link.url} {hashlib.sha256(link.token.encode()).hexdigest()[:16]}"
    with write_transaction(conn):
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_PUSHED_TO,)).fetchone()
        if row is not None and row[0] == joined:
            return
        conn.execute("DELETE FROM team_pushed")
        conn.execute("DELETE FROM team_pushed_sessions")
        forget_pushed(conn)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_PUSHED_TO, joined))


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


