"""A workspace's ``state.vscdb``: the chat panel of Cursor before the composer (2023–24).

Its ``ItemTable`` key ``workbench.panel.aichat.view.aichat.chatdata`` holds the chat
tabs, each a list of bubbles (``"user"`` / ``"ai"``) with no token counts and no
time but the tab's ``lastSendTime``; every answer is estimated like a composer
turn without counts. ``aiService.prompts`` (the same prompts again, with no ids or
times) is not read. The folder comes from ``workspace.json`` beside the database.

Cursor rewrites a workspace's database whenever its UI state changes, the chat
tabs far less often: the file's state is the rowid of the chat-data row, which
every rewrite of that row changes (see ``sqlite_readonly``), so tabs read before
are not read again.
"""

from __future__ import annotations

from pathlib import Path

import apsw

from ...core.encoding import count_o200k
from ...core.models import Batch, MessageRow, SessionRow, UsageRow
from .. import sqlite_readonly
from ..base import DECODE_ERRORS
from . import _db
from ._composer import AUTO, PROVIDER, one_line_title, session_id
from ._places import folder_of
from ._shapes import CHAT_DATA, Tab, seconds

CHAT_KEY = "workbench.panel.aichat.view.aichat.chatdata"


def read_workspace(path: Path, state: bytes | None) -> Batch:
    """The chat tabs of one workspace, unless their row is the one read last time.

    Raises ``Busy`` (an ``OSError``) while Cursor holds a lock on the file.
    """
    batch = Batch(state)
    value = None
    try:
        with sqlite_readonly.snapshot(path, _db.OWNER) as conn:
            rowid = _chat_rowid(conn)
            if rowid is not None and str(rowid).encode() != state:
                value = _db.get(conn, "ItemTable", CHAT_KEY)
    except sqlite_readonly.UNREADABLE:
        batch.malformed += 1
        return batch
    batch.state = None if rowid is None else str(rowid).encode()
    if value is None:
        return batch
    try:
        tabs = CHAT_DATA.decode(value).tabs
    except DECODE_ERRORS:
        batch.malformed += 1
        return batch
    cwd = folder_of(path.parent)
    now = path.stat().st_mtime
    for tab in tabs:
        if tab.tabId and tab.bubbles:
            _add_tab(batch, tab, cwd, seconds(tab.lastSendTime) or now)
    return batch


def _chat_rowid(conn: apsw.Connection) -> int | None:
    """The rowid of the chat tabs' row, or None if the workspace has none."""
    if "ItemTable" not in sqlite_readonly.tables(conn):
        return None
    row = conn.execute("SELECT rowid FROM ItemTable WHERE key = ?", (CHAT_KEY,)).fetchone()
    return row[0] if row else None


def _add_tab(batch: Batch, tab: Tab, cwd: str | None, ts: float) -> None:
    """A tab's messages and one estimated row per answer (the bubble list only grows,
    so a bubble without an id is keyed by its position)."""
    sid = session_id(tab.tabId)
    history = 0
    model = None
    title = " ".join((tab.chatTitle or "").split()) or None
    for i, b in enumerate(tab.bubbles):
        key = f"{sid}:{b.id or f'#{i}'}"
        text = (b.text or b.rawText or "").strip()
        tokens = count_o200k(text) if text else 0
        if b.type == "user":
            if text:
                batch.messages.append(MessageRow(key, sid, ts, "user", "prompt", text))
                title = title or one_line_title(text)
        elif b.type == "ai":
            model = b.modelType or model
            if text:
                batch.messages.append(MessageRow(key, sid, ts, "assistant", "text", text))
            row = UsageRow(key, sid, ts, model or AUTO, history, tokens, 0, 0, None, False, history, None, False)
            batch.usage.append(row)
        history += tokens
    batch.see_session(SessionRow(sid, PROVIDER, cwd, title, model, None, None, ts, ts))
