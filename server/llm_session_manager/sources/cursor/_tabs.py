"""A workspace's ``state.vscdb``: the chat panel of Cursor before the composer (2023–24).

Its ``ItemTable`` key ``workbench.panel.aichat.view.aichat.chatdata`` holds the chat
tabs, each a list of bubbles (``"user"`` / ``"ai"``) with no token counts and no
time but the tab's ``lastSendTime``; every answer is estimated like a composer
turn without counts. ``aiService.prompts`` (the same prompts again, with no ids or
times) is not read. The folder comes from ``workspace.json`` beside the database.
"""

from __future__ import annotations

from pathlib import Path

from ...encoding import count_o200k
from ...models import Batch, MessageRow, SessionRow, UsageRow
from . import _db
from ._composer import AUTO, PROVIDER, one_line_title, session_id
from ._places import folder_of
from ._shapes import CHAT_DATA, DECODE_ERRORS, Tab, seconds

CHAT_KEY = "workbench.panel.aichat.view.aichat.chatdata"


def read_workspace(path: Path) -> Batch:
    batch = Batch()
    try:
        conn = _db.open_readonly(path)
    except _db.UNREADABLE:
        batch.malformed += 1
        return batch
    try:
        value = _db.get(conn, "ItemTable", CHAT_KEY) if "ItemTable" in _db.tables(conn) else None
    except _db.UNREADABLE:
        batch.malformed += 1
        return batch
    finally:
        conn.close()
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
