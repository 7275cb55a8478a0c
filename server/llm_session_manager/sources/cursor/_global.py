"""The global ``state.vscdb``: every composer (chat/agent session) and its bubbles.

Composers are ``composerData:<id>`` rows; since mid-2025 their bubbles are rows of
their own (``bubbleId:<composerId>:<bubbleId>``) listed in order by the composer's
``fullConversationHeadersOnly``, before that they sat inline in ``conversation``.
A bubble the headers no longer list (the user edited an earlier prompt and the
conversation was cut there) is not part of the conversation and is not read.
"""

from __future__ import annotations

from pathlib import Path

import apsw

from ...models import Batch
from . import _db
from ._composer import add_composer
from ._places import Places
from ._shapes import BUBBLE, COMPOSER, DECODE_ERRORS, Bubble, Composer

_TABLE = "cursorDiskKV"


def read_global(path: Path) -> Batch:
    """Rows of every composer in the global database at ``path``.

    A database Cursor has locked, or one that is damaged, is skipped and counted
    as one malformed record; what was read before the failure is kept.
    """
    batch = Batch()
    try:
        conn = _db.open_readonly(path)
    except _db.UNREADABLE:
        batch.malformed += 1
        return batch
    try:
        if _TABLE in _db.tables(conn):
            _read(conn, path, batch)
    except _db.UNREADABLE:
        batch.malformed += 1
    finally:
        conn.close()
    return batch


def _read(conn: apsw.Connection, path: Path, batch: Batch) -> None:
    places = Places(conn, path)
    now = path.stat().st_mtime
    composers: list[Composer] = []
    for _key, value in _db.prefixed(conn, _TABLE, "composerData:"):
        try:
            c = COMPOSER.decode(value)
        except DECODE_ERRORS:
            batch.malformed += 1
            continue
        if c.composerId and (c.fullConversationHeadersOnly or c.conversation):
            composers.append(c)
    for c in composers:
        bubbles = _bubbles(conn, c, batch) if c.fullConversationHeadersOnly else c.conversation
        add_composer(batch, c, bubbles, places.cwd(c), now)


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
