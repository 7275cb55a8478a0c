"""Encrypted message bodies in the store: which key it wants, opening a sealed body
wherever SQL reads one, sealing what a writer stores, and ``encrypt`` / ``decrypt``
of a store that exists (docs/privacy.md).

* ``meta`` row ``encryption`` holds the ``core.sealing.Lock`` (JSON) while any body
  may be sealed: set before ``encrypt`` seals the first row, deleted by ``decrypt``
  only in the transaction that finds none left. A writer seals while it is there.
* Every connection has the SQL function ``lsm_open(text)``: a sealed body (a BLOB)
  opened with the store's key, anything else as it is. Every reader of
  ``messages.text`` selects ``lsm_open(text)``. While the store is encrypted the
  full-text index's triggers index what it returns (``_SEALED_TRIGGERS``, put in
  with the record and taken out with it): the index holds the words of the plain
  text. A plain store keeps migration 019/028's triggers, so another program
  (``sqlite3``) can still write its messages.
  The key is looked for only when a sealed body is read or a body written, so
  ``usage``, ``list`` or ``limits`` never need it.
* ``encrypt`` and ``decrypt`` rewrite batches of rows, a transaction each: a store
  stopped half-way holds sealed and plain bodies, both of which read, and the
  command run again goes on where it stopped.
"""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Callable
from typing import Any

import apsw
import msgspec

from ..core import sealing
from ..core.errors import EncryptionKeyMissing, WrongKey
from .connection import write_transaction

META_KEY = "encryption"
BATCH = 500

# The full-text index's triggers (migrations 019 and 028), as a plain store has them,
# and as an encrypted one does: the index is fed each body's plain text. The update
# trigger fires only when that text changes, so sealing or opening a body leaves it be.
_TRIGGERS = """
DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS messages_fts_delete;
DROP TRIGGER IF EXISTS messages_fts_update;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, {new});
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, {old});
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
WHEN {old} IS NOT {new} BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, {old});
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, {new});
END;
"""
_PLAIN_TRIGGERS = _TRIGGERS.format(new="new.text", old="old.text")
_SEALED_TRIGGERS = _TRIGGERS.format(new="lsm_open(new.text)", old="lsm_open(old.text)")

_STATE: weakref.WeakKeyDictionary[apsw.Connection, _Keys] = weakref.WeakKeyDictionary()


class _Keys:
    """A connection's key, found when a sealed body is first met and kept for the
    connection's life (a store re-keyed by another process is looked up again)."""

    __slots__ = ("conn", "key", "lock", "unavailable")

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = weakref.ref(conn)
        self.key: bytes | None = None
        self.lock: sealing.Lock | None = None
        self.unavailable = False  # ``peek`` found no key: it does not look again

    def current(self) -> bytes:
        conn = self.conn()
        assert conn is not None
        found = lock_of(conn)
        if found is None:
            raise EncryptionKeyMissing("the store holds encrypted messages but no record of their key "
                                       "(its meta row 'encryption' is gone)")
        if self.key is None or found != self.lock:
            self.key, self.lock = sealing.unlock(found), found
        return self.key

    def open(self, *args: Any) -> Any:
        """``lsm_open(value)``."""
        value = args[0]
        if not isinstance(value, bytes):
            return value
        key = self.key if self.key is not None else self.current()
        try:
            return sealing.open_sealed(key, value)
        except WrongKey:
            conn = self.conn()
            if conn is None or lock_of(conn) == self.lock:
                raise
            return sealing.open_sealed(self.current(), value)  # re-keyed by another process


    def peek(self, *args: Any) -> Any:
        """``lsm_peek(value)``: ``open``, or NULL when the key cannot be had: for a
        summary shown as a title, which ``list`` shows without a key (the session's
        own title then)."""
        value = args[0]
        if not isinstance(value, bytes):
            return value
        if self.unavailable:
            return None
        try:
            return self.open(value)
        except (EncryptionKeyMissing, WrongKey):
            self.unavailable = True
            return None


def install(conn: apsw.Connection) -> None:
    """Give ``conn`` the SQL functions ``lsm_open`` (a body: sealed or not, its text;
    no key is an error) and ``lsm_peek`` (the same, NULL without a key), before its
    migrations: the full-text index's triggers call ``lsm_open``."""
    keys = _STATE[conn] = _Keys(conn)
    conn.create_scalar_function("lsm_open", keys.open, 1, deterministic=True)
    conn.create_scalar_function("lsm_peek", keys.peek, 1, deterministic=True)


def lock_of(conn: apsw.Connection) -> sealing.Lock | None:
    """The store's lock, if its bodies are (or are being) encrypted."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    return None if row is None else msgspec.json.decode(str(row[0]), type=sealing.Lock)


def key_of(conn: apsw.Connection) -> bytes | None:
    """The key bodies are sealed with now (None: the store is not encrypted);
    ``EncryptionKeyMissing`` / ``WrongKey`` when it is and cannot be had."""
    if lock_of(conn) is None:
        return None
    return _STATE[conn].current()


def sealer(conn: apsw.Connection) -> Callable[[str], str | bytes] | None:
    """What a writer stores a body as: sealed while the store is encrypted (None: as it is).
    An empty body stays empty: retention's mark of a pruned one."""
    key = key_of(conn)
    if key is None:
        return None
    return lambda text: sealing.seal(key, text) if text else text


def enable(conn: apsw.Connection, passphrase: str | None = None) -> bool:
    """Make the store encrypted from now on (new bodies sealed), if it is not yet;
    whether it was not. ``passphrase`` (else ``LLM_SESSION_PASSPHRASE``) or, with
    neither, a new random key in the OS keyring under the store's path."""
    if lock_of(conn) is not None:
        return False
    passphrase = os.environ.get(sealing.PASSPHRASE_ENV) or None if passphrase is None else passphrase
    lock, _ = sealing.new_lock(conn.filename, passphrase)
    with write_transaction(conn):
        if lock_of(conn) is not None:  # another process has just done it: its key is the one
            return False
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (META_KEY, msgspec.json.encode(lock).decode()))
        _set_triggers(conn, _SEALED_TRIGGERS)
    return True


def encrypt(conn: apsw.Connection, passphrase: str | None = None, batch: int = BATCH,
            progress: Callable[[int, int], None] | None = None) -> tuple[int, bool]:
    """Seal every plain body, ``batch`` rows a transaction; (rows sealed, whether
    the store was not encrypted before). A store already encrypted (or half-way)
    is checked against the key first (``WrongKey`` before anything is written)
    and finished."""
    created = enable(conn, passphrase)
    key = sealing.unlock(lock_of(conn) or _missing(), passphrase)
    todo: int = conn.execute("SELECT count(*) FROM messages WHERE typeof(text) = 'text' AND text != ''").get
    done = _rewrite(conn, "typeof(text) = 'text' AND text != ''", lambda text: sealing.seal(key, text),
                    batch, functools.partial(_report, progress, 0, todo))
    from . import tool_uses  # tool calls' input summaries are bodies too (migration 033)

    tool_uses.rewrite_inputs(conn, "typeof(input) = 'text' AND input != ''", lambda text: sealing.seal(key, text), batch)
    return done, created


def decrypt(conn: apsw.Connection, passphrase: str | None = None, batch: int = BATCH,
            progress: Callable[[int, int], None] | None = None) -> tuple[int, bool]:
    """Open every sealed body back to text, ``batch`` rows a transaction, then
    forget the lock; (rows opened, whether the store was encrypted)."""
    from . import tool_uses  # tool calls' input summaries are bodies too (migration 033)

    lock = lock_of(conn)
    if lock is None:
        return 0, False
    key = sealing.unlock(lock, passphrase)
    done = 0
    todo: int = conn.execute("SELECT count(*) FROM messages WHERE typeof(text) = 'blob'").get
    while True:
        done += _rewrite(conn, "typeof(text) = 'blob'", lambda blob: sealing.open_sealed(key, blob),
                         batch, functools.partial(_report, progress, done, todo))
        tool_uses.rewrite_inputs(conn, "typeof(input) = 'blob'", lambda blob: sealing.open_sealed(key, blob), batch)
        with write_transaction(conn):  # a writer may have sealed more meanwhile
            if conn.execute("SELECT 1 FROM messages WHERE typeof(text) = 'blob' UNION ALL "
                            "SELECT 1 FROM tool_uses WHERE typeof(input) = 'blob' LIMIT 1").fetchone() is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
                _set_triggers(conn, _PLAIN_TRIGGERS)
                break
    if lock.kdf == "keyring":
        sealing.forget(lock)
    return done, True


def counts(conn: apsw.Connection) -> tuple[int, int]:
    """(sealed bodies, plain non-empty bodies)."""
    row = conn.execute("SELECT count(*) FILTER (WHERE typeof(text) = 'blob'), "
                       "count(*) FILTER (WHERE typeof(text) = 'text' AND text != '') FROM messages").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def rebuild_index(conn: apsw.Connection) -> None:
    """Fill the full-text index from every body (plain text, sealed ones opened);
    in the caller's transaction."""
    if lock_of(conn) is None:
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
        return
    conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('delete-all')")
    conn.execute("INSERT INTO messages_fts (rowid, text) SELECT rowid, lsm_open(text) FROM messages")


def _set_triggers(conn: apsw.Connection, sql: str) -> None:
    """The index's triggers as ``sql`` has them, unless a bulk load has them off
    (``store.bulk``: it rebuilds the index with ``rebuild_index`` and puts back
    the triggers it kept, which ``encrypt`` / ``decrypt`` then put right)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'messages_fts_insert'").fetchone():
        conn.execute(sql)


def sync_triggers(conn: apsw.Connection) -> None:
    """The index's triggers as the store's state wants them (after a bulk load put
    back the ones it kept, which an ``encrypt`` meanwhile could not change)."""
    conn.execute(_SEALED_TRIGGERS if lock_of(conn) is not None else _PLAIN_TRIGGERS)


def _rewrite(conn: apsw.Connection, where: str, change: Callable[[Any], Any], batch: int,
             progress: Callable[[int], None]) -> int:
    """Rewrite the bodies matching ``where`` as ``change`` makes them, ``batch`` rows
    a transaction, in rowid order; how many."""
    after, done = -1, 0
    while True:
        with write_transaction(conn):
            rows: list[Any] = conn.execute(
                f"SELECT rowid, text FROM messages WHERE rowid > ? AND {where} ORDER BY rowid LIMIT ?",
                (after, batch)).fetchall()
            conn.executemany("UPDATE messages SET text = ?2 WHERE rowid = ?1",
                             [(rowid, change(text)) for rowid, text in rows])
        if not rows:
            return done
        after, done = rows[-1][0], done + len(rows)
        progress(done)


def _report(progress: Callable[[int, int], None] | None, before: int, todo: int, done: int) -> None:
    if progress is not None:
        progress(before + done, todo)


def _missing() -> sealing.Lock:
    raise EncryptionKeyMissing("the store's encryption record disappeared while encrypting; run encrypt again")
