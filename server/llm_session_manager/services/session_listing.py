"""``list --json``'s document at scale: each stopped session's part kept in the store.

At 20,000 sessions, building every ``Session`` (its rows read, its health scored)
and encoding it took most of a 0.4 s listing, and nearly all of them show the
same JSON as last time: a session idle past ``health.stopped_after_s`` has a
health that no longer moves with the clock, and one older than every running
assistant cannot be active. Their parts are kept in ``session_json``, which the
store's triggers empty of a session whenever a row it was made from changes
(migration 024); the rest are built as ``sessions.list_sessions`` builds them.

The document is byte for byte what ``msgspec.json.format(encode(sessions),
indent=2)`` prints for the same sessions, so scripts see no difference. The
parts of all stopped sessions are also kept together in a file beside the store
(``kept_file``), which ``list --json`` writes out without reading it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import apsw
import msgspec

from .. import __version__
from ..core.config import Config
from ..core.models import Context, Health, Session, Tokens
from ..store import SCHEMA_VERSION, session_sums, write_transaction
from ..store.repricing import VERSION_KEY as PRICES_KEY
from . import health, kept_file, processes, sessions

KEY = "session_json_key"  # in ``meta``: what the kept parts were made under
GENERATION = "session_json_generation"  # in ``meta``: moved on by every change of ``session_json`` (v36)
BLOCK_FILE = "list-kept.json"  # beside the store: every stopped session's part, as one block
NO_ACTIVITY = -1e308  # ``session_json.last_activity`` of a session without one: last, as NULL sorts

# The parts of every stopped session, in list order, as one block: read as one value,
# 20,000 parts cost half the time of as many rows (each a bytes object to make and
# join). The subquery's order is the order the parts are added in.
_ALL_KEPT = """
SELECT CAST(group_concat(body, X'2C0A') AS BLOB), count(*)
FROM (SELECT body FROM session_json WHERE last_activity < :settled ORDER BY last_activity DESC, session_id)
"""
_FIRST_KEPT = """
SELECT last_activity, session_id FROM session_json WHERE last_activity < :settled
ORDER BY last_activity DESC, session_id LIMIT 1
"""
_ALL_KEPT_UNPRICED = """
SELECT session_id FROM session_json WHERE last_activity < :settled AND unpriced
ORDER BY last_activity DESC, session_id
"""
_STOPPED_COUNT = "SELECT count(*) FROM sessions WHERE coalesce(last_activity, 0) < :settled"
# The stopped sessions ``where`` selects, ``:n`` of them at most (-1: all), in list
# order, with their kept parts (NULL where none is kept) and their last activity as kept.
_STOPPED = f"""
SELECT s.id, j.body, j.unpriced, coalesce(s.last_activity, {NO_ACTIVITY})
FROM sessions s
LEFT JOIN session_json j ON j.session_id = s.id
WHERE coalesce(s.last_activity, 0) < :settled {{also}}
ORDER BY s.last_activity DESC, s.id
LIMIT :n
"""
_KEEP = "INSERT OR REPLACE INTO session_json (last_activity, session_id, unpriced, body) VALUES (?, ?, ?, ?)"


class Listing(msgspec.Struct, frozen=True):
    pieces: list[bytes | kept_file.Block]  # the JSON array, indented by two, in order
    unpriced: list[str]  # ids of the sessions with a response of a model without a price

    @property
    def document(self) -> bytes:
        return kept_file.joined(self.pieces)


class _Made(msgspec.Struct, array_like=True):
    """What the block's file was made from: the generation of the parts, which stopped
    sessions it holds (the first part's, and how many: the moment a session counts as
    stopped moves with the clock and with assistants starting), and the unpriced among them."""

    generation: int
    first: tuple[float, str] | None  # the first part's (last activity, session id); None: no part
    count: int
    unpriced: list[str]


def listing(
    conn: apsw.Connection, config: Config, filters: sessions.Filters = sessions.Filters(), *,
    limit: int | None = None, now: float | None = None,
) -> Listing:
    """The sessions ``filters`` selects (not ``active``), newest first, as ``list --json`` prints them."""
    now = time.time() if now is None else now
    session_sums.refresh(conn, health.stopped_after_s(config))
    clauses, params = sessions.where(filters)
    ask = _Asking(config, clauses, {**params, "settled": _settled(config, now)}, limit, now)
    key = _key(config, conn)
    try:
        if _kept_key(conn) != key:
            with write_transaction(conn):
                conn.execute("DELETE FROM session_json")
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (KEY, key))
        with _reading(conn):  # one snapshot: a scan's change in between cannot leave a session out
            found = ask.listing(conn, keep=False)
        if found is None:
            with write_transaction(conn):  # parts made and kept from the rows as they stand under the lock
                found = ask.listing(conn, keep=True)
    except (apsw.BusyError, apsw.ReadOnlyError):  # kept parts cannot be checked or written now
        slow = sessions.list_sessions(conn, config, filters, now=now, limit=limit)
        return Listing([msgspec.json.format(msgspec.json.encode(slow), indent=2)],
                       [s.id for s in slow if not s.cost_complete])
    assert found is not None
    return found


def _settled(config: Config, now: float) -> float:
    """A session last active before this shows the same JSON until its rows change.

    Its health no longer moves with the clock (idle past ``stopped_after_s``, an
    hour at least), and no running assistant can run it: each began after it
    went quiet, and ``processes.match`` gives a process only the sessions active
    since shortly before it started.
    """
    quiet = now - max(health.stopped_after_s(config), 3600.0)
    return max(min(quiet, sessions.active_since(processes.running())), 1.0)


class _Asking:
    """One listing's questions to the store: the sessions that have not stopped are built
    as ``list`` builds them, the parts of those that have are read as kept."""

    def __init__(self, config: Config, clauses: list[str], params: dict[str, object], limit: int | None,
                 now: float) -> None:
        self.config, self.clauses, self.params, self.limit, self.now = config, clauses, params, limit, now
        self.also = "".join(f" AND {clause}" for clause in clauses)

    def listing(self, conn: apsw.Connection, *, keep: bool) -> Listing | None:
        """The listing; None if a stopped session has no part kept, unless ``keep`` makes and keeps it."""
        # Sargable, so that the few recent sessions are found through ``sessions_newest``
        # without a pass over all: a session without activity is stopped (``:settled`` > 0).
        recent = sessions.matching(conn, self.config, [*self.clauses, "s.last_activity >= :settled"],
                                   self.params, now=self.now)[: self.limit]
        parts: list[bytes | kept_file.Block] = [_part(s) for s in recent]
        unpriced = [s.id for s in recent if not s.cost_complete]
        if not self.clauses and self.limit is None and self._all_kept(conn, parts, unpriced):
            return _listing(parts, unpriced)
        stopped = self._stopped(conn, len(recent))
        missing = {sid: last for sid, body, _, last in stopped if body is None}
        made: dict[str, tuple[bytes, bool]] = {}
        if missing:
            if not keep:
                return None
            built = sessions.by_ids(conn, self.config, list(missing), now=self.now)
            made = {s.id: (_part(s), not s.cost_complete) for s in built}
            conn.executemany(_KEEP, [(missing[s.id], s.id, *made[s.id][::-1]) for s in built])
        for sid, body, priceless, _ in stopped:
            if body is None:
                body, priceless = made[sid]
            parts.append(body)
            if priceless:
                unpriced.append(sid)
        return _listing(parts, unpriced)

    def _all_kept(self, conn: apsw.Connection, parts: list[bytes | kept_file.Block], unpriced: list[str]) -> bool:
        """Add every stopped session's part, as one block, if all of them are kept: from the
        file it is kept in (``BLOCK_FILE``) when that was made from the parts as they are, else
        from the store, keeping the file for next time."""
        stopped = conn.execute(_STOPPED_COUNT, self.params).get
        first = conn.execute(_FIRST_KEPT, self.params).fetchone()  # a tuple, as its header decodes it
        generation, path = kept_file.meta_int(conn, GENERATION), kept_file.path_of(conn, BLOCK_FILE)
        found = None if generation is None or path is None else kept_file.open_kept(path, _Made)
        if found is not None and (found[0].generation, found[0].first) == (generation, first):
            made, block = found
            if made.count != stopped:
                return False
        else:
            kept: Any = conn.execute(_ALL_KEPT, self.params).fetchall()
            [(block, count)] = kept  # an aggregate: one row
            if count != stopped:
                return False
            made = _Made(generation or 0, first, count,
                         [sid for (sid,) in conn.execute(_ALL_KEPT_UNPRICED, self.params)])
            if generation is not None and path is not None:
                kept_file.keep(path, made, block or b"")
        if made.count:
            parts.append(block)
            unpriced.extend(made.unpriced)
        return True

    def _stopped(self, conn: apsw.Connection, taken: int) -> list[tuple[str, bytes | None, int | None, float]]:
        """The stopped sessions listed after the ``taken`` others, with their kept parts."""
        params = {**self.params, "n": -1 if self.limit is None else max(self.limit - taken, 0)}
        found: list[Any] = conn.execute(_STOPPED.format(also=self.also), params).fetchall()
        return found


def _listing(parts: list[bytes | kept_file.Block], unpriced: list[str]) -> Listing:
    """The array of ``parts``, in pieces: the kept block alone can be 20 MB, not copied again."""
    if not parts:
        return Listing([b"[]"], unpriced)
    pieces: list[bytes | kept_file.Block] = [b"[\n"]
    for part in parts:
        pieces += (part, b",\n")
    pieces[-1] = b"\n]"
    return Listing(pieces, unpriced)


@contextlib.contextmanager
def _reading(conn: apsw.Connection) -> Iterator[None]:
    """A read transaction: every statement in it sees the store as it stood at the first."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def _part(session: Session) -> bytes:
    """``session`` as it stands inside ``list --json``'s indented array."""
    return b"  " + msgspec.json.format(msgspec.json.encode(session), indent=2).replace(b"\n", b"\n  ")


def _key(config: Config, conn: apsw.Connection) -> str:
    """What a kept part depends on beyond its session's rows: the program and its
    session shape, the config (limits, health points and weights) and the prices.
    Kept whole, not hashed: a few kilobytes compared exactly, and no ``hashlib``
    (its OpenSSL costs ``list`` 3 ms to load)."""
    prices = conn.execute("SELECT value FROM meta WHERE key = ?", (PRICES_KEY,)).fetchone()
    shape = [t.__struct_fields__ for t in (Session, Tokens, Context, Health)]
    made = [__version__, SCHEMA_VERSION, shape, msgspec.json.encode(config, enc_hook=str).decode(), prices[0] if prices else None]
    return msgspec.json.encode(made).decode()


def _kept_key(conn: apsw.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (KEY,)).fetchone()
    return row[0] if row else None
