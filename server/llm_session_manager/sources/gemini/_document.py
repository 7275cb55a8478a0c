"""A ``session-*.json`` chat: one document Gemini CLI rewrites whole after every change.

Releases before the JSONL recorder write these (and a resumed one is copied into a
``.jsonl`` beside it, with the same ids, so its rows count once). A document caught
mid-write does not parse: it is one malformed record, read again when it changes.
"""

from __future__ import annotations

from pathlib import Path

from ...core.models import Batch
from ..base import DECODE_ERRORS, decode_lenient
from ._chat import Chat
from ._project import recorded_root, workspace_dir
from ._records import CONVERSATION, MESSAGE, seconds


def parse_document(path: Path, data: bytes) -> Batch:
    batch = Batch()
    try:
        conv = decode_lenient(CONVERSATION.decode, data)
    except DECODE_ERRORS:
        batch.malformed += 1
        return batch
    nested = path.parent.name != "chats"  # chats/<parent session id>/<sub-agent>.json
    chat = Chat(
        batch,
        path.parent.name if nested else conv.sessionId,
        conv.sessionId,
        sidechain=nested or conv.kind == "subagent",
    )
    chat.project_hash = conv.projectHash
    chat.cwd = conv.projectRoot or recorded_root(workspace_dir(path), conv.projectHash)
    if conv.directories:
        chat.name_dirs(conv.directories)
    for raw in conv.messages:
        try:
            message = decode_lenient(MESSAGE.decode, raw)
        except DECODE_ERRORS:
            batch.malformed += 1
            continue
        chat.add(message)
    chat.see(seconds(conv.startTime))
    chat.see(seconds(conv.lastUpdated))
    chat.summary = conv.summary
    chat.finish()
    return batch

