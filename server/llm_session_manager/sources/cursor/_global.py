"""The global ``state.vscdb``: every composer (chat/agent session) and its bubbles.

Composers are ``composerData:<id>`` rows; since mid-2025 their bubbles are rows of
their own (``bubbleId:<composerId>:<bubbleId>``) listed in order by the composer's
``fullConversationHeadersOnly``, before that they sat inline in ``conversation``.
A bubble the headers no longer list (the user edited an earlier prompt and the
conversation was cut there) is not part of the conversation and is not read.

Cursor writes this file all the time it runs, and it can be gigabytes, so only
the first read takes every composer. The file's state is a ``Mark`` of the newest
row read; later reads take only the composers with a row written since (their
``composerData`` or one of their bubbles: Cursor fills a turn's token counts in
after the turn). Such a composer is read whole, so rows Cursor writes in any
order are all picked up once the composer lists them; the others add nothing,
as the store already has their rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import apsw
import msgspec

from ...core.models import Batch
from .. import sqlite_readonly
from ..base import DECODE_ERRORS, decode_state
from ..sqlite_readonly import Mark
from . import _db
from ._composer import add_composer
from ._places import Places
from ._shapes import BUBBLE, COMPOSER, Bubble, Composer

_TABLE = "cursorDiskKV"
_COMPOSER = "composerData:"
_BUBBLE = "bubbleId:"
_STATE = msgspec.msgpack.Decoder(Mark)


def read_global(path: Path, state: bytes | None) -> Batch:
    """Rows of the composers written since ``state`` was taken (all without one).

    Raises ``Busy`` (an ``OSError``) while Cursor holds a lock on the file. A
    damaged database is counted as one malformed record; what was read before
    the failure is kept, and so is the old state.
    """
    batch = Batch(state)
    since = decode_state(_STATE, state)
    try:
        with sqlite_readonly.snapshot(path, _db.OWNER) as conn:
            if _TABLE in sqlite_readonly.tables(conn):
                _read(conn, path, since, batch)
    except sqlite_readonly.UNREADABLE:
        batch.malformed += 1
    return batch


def _read(conn: apsw.Connection, path: Path, since: Mark | None, batch: Batch) -> None:
    newest = sqlite_readonly.mark(conn, _TABLE, "key")
    after = sqlite_readonly.resume_after(conn, _TABLE, "key", since)
    if after is None:
        values: Iterable[_db.Value] = (value for _key, value in _db.prefixed(conn, _TABLE, _COMPOSER))
    else:
        written = [key for (key,) in conn.execute(f"SELECT key FROM {_TABLE} WHERE rowid > ?", (after,))]
        values = _changed(conn, written)
    composers: list[Composer] = []
    for value in values:
        try:
            c = COMPOSER.decode(value)
        except DECODE_ERRORS:
            batch.malformed += 1
            continue
        if c.composerId and (c.fullConversationHeadersOnly or c.conversation):
            composers.append(c)
    places = Places(conn, path)
    now = path.stat().st_mtime
    for c in composers:
        bubbles = _bubbles(conn, c, batch) if c.fullConversationHeadersOnly else c.conversation
        add_composer(batch, c, bubbles, places.cwd(c), now)
    batch.state = msgspec.msgpack.encode(newest) if newest else None


def _changed(conn: apsw.Connection, written: list[str]) -> list[_db.Value]:
    """The ``composerData`` values of the composers that own a row in ``written``."""
    ids = set()
    for key in written:
        if not isinstance(key, str):
            continue
        if key.startswith(_COMPOSER):
            ids.add(key[len(_COMPOSER):])
        elif key.startswith(_BUBBLE):
            ids.add(key[len(_BUBBLE):].partition(":")[0])
    values = (_db.get(conn, _TABLE, _COMPOSER + cid) for cid in sorted(ids))
    return [v for v in values if v is not None]


def _bubbles(conn: apsw.Connection, c: Composer, batch: Batch) -> list[Bubble]:
    """The composer's bubble rows, in the order its headers give."""
    prefix = f"bubbleId:{c.composerId}:"
    stored = {key[len(prefix):]: value for key, value in _db.prefixed(conn, _TABLE, prefix)}
    bubbles = []
    for header in c.fullConversationHeadersOnly:
        value = stored.get(header.bubbleId)
        if value is None:
            continue  # listed but not (or no longer) stored: nothing to read
        try:
            b = BUBBLE.decode(value)
        except DECODE_ERRORS:
            batch.malformed += 1
            continue
        if not b.bubbleId:
            b.bubbleId = header.bubbleId
        if not b.type:
            b.type = header.type
        bubbles.append(b)
    return bubbles
