"""One chunk of one transcript: the loop that hands each line to the session
it belongs to, to the usage tally and to the conversation.

This loop runs once per line of every transcript on a cold scan, so it is kept
flat: session bookkeeping is inline, an assistant or user turn costs one or two
calls, and everything rare is a call further away.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from ...core.models import Batch, SessionRow
from ._calls import Calls
from ._conversation import SYNTHETIC, Conversation, Session, Titles
from ._lines import PROGRESS, Line, decode
from ._usage import Tally


def parse_chunk(path: Path, data: bytes, state: bytes | None, usage_only: bool = False) -> Batch:
    batch = Batch(state)
    # A sub-agent's log belongs to its parent's session, named by the directory above.
    file_session = path.parent.parent.name if path.parent.name == "subagents" else path.stem
    sessions: dict[str, Session] = {}
    tally = Tally()
    calls = None if usage_only else Calls(batch.attribution)
    talk = (Titles if usage_only else Conversation)(batch.messages, batch.file_refs, calls)
    add_usage, assistant, user = tally.add, talk.assistant, talk.user
    for lines in decode(data, batch):
        for line in lines:
            try:
                stamp, kind = line.timestamp, line.type
                if stamp is None or kind == "summary":
                    if kind == "summary" and line.summary:
                        talk.summary(line)
                    continue  # and bookkeeping lines (file-history-snapshot, ...) say nothing we keep
                when = stamp.timestamp()
                session_id = line.sessionId or file_session
                session = sessions.get(session_id)
                if session is None:
                    session = sessions[session_id] = Session(when)
                elif when < session.first:
                    session.first = when
                elif when > session.last:
                    session.last = when
                if cwd := line.cwd:
                    session.cwd = cwd
                if branch := line.gitBranch:
                    session.branch = branch
                if version := line.version:
                    session.version = version

                message = line.message
                if message is not None:
                    usage = message.usage
                    key = None
                    if usage is not None and not line.isApiErrorMessage and message.model != SYNTHETIC:
                        key = add_usage(line, line, message, usage, session_id, when, line.isSidechain is True)
                    if kind == "assistant":
                        assistant(line, message, session, session_id, when, key)
                    elif kind == "user":
                        user(line, message, session, session_id, when)
                elif kind == "system" and line.subtype == "compact_boundary":
                    talk.compact(line, session_id, when)
                elif kind == "progress" and line.data:
                    _progress(tally, calls, line, session_id)
            except (ValueError, OverflowError, OSError):  # a timestamp no clock can hold
                batch.malformed += 1
    batch.malformed += talk.malformed

    last = _last_seen(batch.state)
    session = sessions.get(file_session)
    if session is not None:
        last = session.last if last is None else max(last, session.last)
        batch.state = repr(last).encode()
    if talk.summaries and last is not None:
        if session is None:
            session = sessions[file_session] = Session(last)
        talk.place_summaries(file_session, session)
    for session_id, s in sessions.items():
        title = s.summary or s.title
        batch.see_session(
            SessionRow(session_id, "claude-code", s.cwd, title, s.model, s.branch, s.version, s.first, s.last)
        )
    batch.usage.extend(tally.rows.values())
    return batch


def _progress(tally: Tally, calls: Calls | None, line: Line, session_id: str) -> None:
    """A sub-agent's response relayed into the parent log, billed like its own line."""
    try:
        progress = PROGRESS.decode(line.data)
    except msgspec.DecodeError:
        return
    relayed = progress.message
    if relayed is None or relayed.timestamp is None or relayed.message is None:
        return
    message, usage = relayed.message, relayed.message.usage
    if usage is None or message.model == SYNTHETIC:
        return
    key = tally.add(line, relayed, message, usage, session_id, relayed.timestamp.timestamp(), True)
    if key is not None and calls is not None:
        calls.relayed(key, progress.agentId, line.parentToolUseID)


def _last_seen(state: bytes | None) -> float | None:
    """The file session's latest timestamp, kept so a later chunk's summary can be placed."""
    try:
        return float(state) if state else None
    except ValueError:
        return None
