"""A ``session-*.jsonl`` chat: the records Gemini CLI appends as the chat grows.

The first line is the session's metadata; then each message, appended again
whole every time it changes (its tokens or tool calls arrive later), ``$set``
records for metadata (``lastUpdated`` after every message; sometimes the whole
``messages`` list again) and ``$rewindTo`` markers. A message is keyed by its id,
so its repeats are one response; a rewind hides messages from the CLI's view
but their tokens were billed, so they stay counted. What a later chunk needs
(the session's ids, its project, model and title) is carried in ``Batch.state``.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from ...core.models import Batch
from ..base import DECODE_ERRORS, decode_lenient, decode_replacing
from ._chat import Chat
from ._project import recorded_root, workspace_dir
from ._records import MESSAGE, RECORD, Message, Record, seconds


class State(msgspec.Struct, omit_defaults=True, gc=False):
    """Encoded into ``Batch.state``; the field names are stored bytes, keep them."""

    record_id: str | None = None
    project_hash: str = ""
    cwd: str | None = None
    model: str | None = None
    title: str | None = None
    subagent: bool = False


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(State)


def parse_stream(path: Path, data: bytes, state: bytes | None) -> Batch:
    s = State()
    if state:
        try:
            s = _DECODER.decode(state)
        except msgspec.MsgspecError:
            pass  # a state from another schema: start over; keys keep re-reads harmless
    batch = Batch()
    nested = path.parent.name != "chats"  # chats/<parent session id>/<sub-agent>.jsonl
    record_id = s.record_id or path.stem
    chat = Chat(batch, path.parent.name if nested else record_id, record_id, nested or s.subagent)
    chat.project_hash, chat.cwd, chat.model, chat.title = s.project_hash, s.cwd, s.model, s.title
    workspace = workspace_dir(path)
    if chat.cwd is None and chat.project_hash:
        chat.cwd = recorded_root(workspace, chat.project_hash)  # a marker written since
    for n, line in enumerate(data.splitlines()):
        try:
            record, message = _decode(line)
        except DECODE_ERRORS:
            try:  # a byte that is not UTF-8 must not cost the message its tokens
                record, message = decode_replacing(_decode, line)
            except DECODE_ERRORS as e:
                if line.strip():
                    batch.skip(n, e)
                continue
        if message is not None:
            chat.add(message)
        elif record.update is not None:
            update = record.update
            chat.see(seconds(update.lastUpdated))
            if update.directories:
                chat.name_dirs(update.directories)
            if update.summary:
                chat.summary = update.summary
            for raw in update.messages or ():
                try:
                    chat.add(decode_lenient(MESSAGE.decode, raw))
                except DECODE_ERRORS:
                    batch.malformed += 1
        elif record.sessionId is not None and s.record_id is None:
            _metadata(chat, s, record, record.sessionId, workspace, nested)
    chat.finish()
    s.project_hash, s.cwd, s.model, s.title = chat.project_hash, chat.cwd, chat.model, chat.title
    batch.state = _ENCODER.encode(s)
    return batch


def _decode(line: bytes | str) -> tuple[Record, Message | None]:
    record = RECORD.decode(line)
    return record, MESSAGE.decode(line) if record.id is not None else None


def _metadata(chat: Chat, s: State, record: Record, session_id: str, workspace: Path, nested: bool) -> None:
    """The first line: the chat's ids (``session_id``: its ``sessionId``), project and kind."""
    s.record_id = chat.record_id = session_id
    if not nested:
        chat.session_id = session_id
    s.subagent = record.kind == "subagent"
    chat.sidechain = nested or s.subagent
    chat.project_hash = record.projectHash or ""
    if chat.cwd is None:
        chat.cwd = recorded_root(workspace, chat.project_hash)
    if record.directories:
        chat.name_dirs(record.directories)
    chat.see(seconds(record.startTime))
    chat.see(seconds(record.lastUpdated))

