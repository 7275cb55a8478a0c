"""One session's conversation as the store holds it, for replay and export.

The store keeps what ingest found worth keeping (``MessageRow``): typed prompts,
the assistant's text, summaries, compaction notes, API errors and the output of
failed tool calls. Of tool calls it keeps, for Claude Code, Codex and Gemini
CLI, each call's name, its input in a few words and its result's size
(``tool_uses``, migration 033), and for every assistant the files they touched
(``file_refs``). Those become the ``tool_use`` entries here: a session's calls
where the store has them, else its file references (read, edit, write, search,
list and the path), so a replay or an export shows what a session did between
its messages. No successful call's output is kept.

Usage rows are per billed response and carry no message key, so each is put on
the assistant text of the same turn (between two prompts) nearest to it in
time; a turn whose responses wrote no text (only tool calls) keeps its usage
in the session's totals only.

Every text is redacted here, so no caller can forget to: rows stored before
ingest began redacting are covered too.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from typing import NamedTuple

import apsw
import msgspec

from ..core import pricing, redact
from ..core.config import Config
from ..core.errors import BadArgument
from ..core.models import CONVERSATION_FORMATS, ModelUsage, Session
from ..store import tool_uses
from . import sessions

# What each entry's ``kind`` may be; ``tool_use`` and ``tool_error`` are "tool output"
# (replay's ``t`` and ``--no-tools``).
TOOL_KINDS = frozenset({"tool_use", "tool_error"})


class Entry(msgspec.Struct, omit_defaults=True):
    n: int  # 1-based position in the conversation (replay's ``--from N`` and ``:N``)
    ts: str  # ISO 8601, UTC
    role: str  # user | assistant | system
    kind: str  # prompt | text | summary | compact | api_error | tool_error | tool_use
    text: str
    at: float = 0.0  # unix seconds, for replay's timing
    tool: str | None = None  # tool_use on a file: read | edit | write | search | list
    path: str | None = None  # tool_use on a file: the file (a recorded call's, where the store ties them)
    usage: ModelUsage | None = None  # assistant text: its responses' tokens and cost
    name: str | None = None  # tool_use from a recorded call: the tool (Bash, mcp__github__create_issue, shell, ...)
    input: str | None = None  # a recorded call's input in a few words, redacted
    result_bytes: int | None = None  # a recorded call's result size as logged; None: no result read
    message: int | None = None  # a recorded call: ``n`` of the text of the response that made it, when known


class Conversation(msgspec.Struct):
    session: Session
    messages: list[Entry]
    pruned: int  # messages whose text retention removed (not shown)
    exported_at: str


def load(conn: apsw.Connection, config: Config, ref: str) -> Conversation:
    """The session ``ref`` names (id or unique prefix) as one timeline, secrets redacted."""
    session = sessions.get_session(conn, config, ref)
    sid = session.id
    rows: list[_Row] = []
    pruned = 0
    for ts, role, kind, text, key in conn.execute(
        "SELECT ts, role, kind, lsm_open(text), key FROM messages WHERE session_id = ? ORDER BY ts, rowid", (sid,)
    ):
        if text:
            rows.append(_Row(ts, 0, role, kind, text, key=key))
        else:
            pruned += 1
    calls = tool_uses.of_session(conn, sid)
    refs: list[tuple[float, str, str, str]] = conn.execute(  # type: ignore[assignment]
        "SELECT ts, key, action, path FROM file_refs WHERE session_id = ? ORDER BY ts, rowid", (sid,)).fetchall()
    touched = _files_of_calls(refs) if calls else {}
    for ts, _seq, call_id, name, given, size, message_key in calls:
        rows.append(_Row(ts, 1, "assistant", "tool_use", f"{name} {given}" if given else name, name=name,
                         size=size, key=message_key, file=touched.get(call_id)))
    if not calls:  # an assistant whose calls the store does not keep: the files they touched
        for ts, _key, action, path in refs:
            rows.append(_Row(ts, 1, "assistant", "tool_use", f"{action} {path}", action=action))
    rows.sort(key=lambda r: (r.ts, r.order))  # stable: at one instant, the text before the tool calls
    texts = redact.redact_many([r.text for r in rows])  # a call's text holds its input: redacted with it
    entries = [_entry(i, r, text) for i, (r, text) in enumerate(zip(rows, texts, strict=True), 1)]
    _link_calls(rows, entries)
    _redact_paths([e for e in entries if e.name is not None and e.path])
    _attach_usage(conn, sid, entries)
    session.title = redact.redact_text(session.title) if session.title else session.title
    return Conversation(
        session=session,
        messages=entries,
        pruned=pruned,
        exported_at=sessions.iso(time.time()),
    )


class _Row(NamedTuple):
    """One entry before numbering: a message, a recorded call or a file reference."""

    ts: float
    order: int  # 0: a message, 1: a tool call (after the text of the same instant)
    role: str
    kind: str
    text: str
    key: str | None = None  # a message's key; a recorded call's message_key
    name: str | None = None  # a recorded call's tool
    size: int | None = None  # a recorded call's result bytes
    action: str | None = None  # a file reference's
    file: tuple[str, str] | None = None  # a recorded call's file reference: (action, path)


def _entry(n: int, r: _Row, text: str) -> Entry:
    e = Entry(n=n, ts=sessions.iso(r.ts), at=r.ts, role=r.role, kind=r.kind, text=text)
    if r.action is not None:
        e.tool, e.path = r.action, text.split(" ", 1)[1]
    elif r.name is not None:
        e.name, e.result_bytes = r.name, r.size
        e.input = (text[len(r.name) + 1:] or None) if text.startswith(r.name) else text
        if r.file is not None:
            e.tool, e.path = r.file
    return e


def _files_of_calls(refs: list[tuple[float, str, str, str]]) -> dict[str, tuple[str, str]]:
    """Call id -> the file it touched, where the reference's key names the call: Claude Code keys
    it by the call's id, Gemini CLI as ``gemini:<chat>:<message>:<call>:<n>`` (its first file).
    Codex's come from shell commands, not one to a call, and name none."""
    touched: dict[str, tuple[str, str]] = {}
    for _ts, key, action, path in refs:
        parts = key.split(":")
        call = parts[3] if len(parts) == 5 and parts[0] == "gemini" else key
        touched.setdefault(call, (action, path))
    return touched


def _redact_paths(entries: list[Entry]) -> None:
    """The paths recorded calls took from file references, redacted like every text here."""
    for e, path in zip(entries, redact.redact_many([e.path or "" for e in entries]), strict=True):
        e.path = path


def _link_calls(rows: list[_Row], entries: list[Entry]) -> None:
    """Each recorded call to the entry of the message that made it, where the store knows it."""
    at = {r.key: e.n for r, e in zip(rows, entries, strict=True) if r.order == 0 and r.key}
    for r, e in zip(rows, entries, strict=True):
        if r.name is not None and r.key is not None:
            e.message = at.get(r.key)


def _attach_usage(conn: apsw.Connection, sid: str, entries: list[Entry]) -> None:
    """Each billed response onto the nearest assistant text of its turn."""
    prompts = [e.at for e in entries if e.kind == "prompt"]
    texts: dict[int, list[Entry]] = {}  # turn (prompts before it) -> its assistant texts
    for e in entries:
        if e.role == "assistant" and e.kind == "text":
            texts.setdefault(bisect_right(prompts, e.at), []).append(e)
    for ts, model, i, o, cc, cr, cost, unpriced in conn.execute(
        f"""SELECT ts, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
                   cost_usd, priced = {pricing.UNKNOWN}
            FROM usage WHERE session_id = ? AND NOT sidechain ORDER BY ts, rowid""",
        (sid,),
    ):
        candidates = texts.get(bisect_right(prompts, ts))
        if not candidates:
            continue
        e = min(candidates, key=lambda c: abs(c.at - ts))
        u = e.usage
        if u is None:
            e.usage = ModelUsage(model, 1, i, o, cc, cr, None if unpriced else cost)
        else:
            u.responses += 1
            u.input_tokens += i
            u.output_tokens += o
            u.cache_creation_tokens += cc
            u.cache_read_tokens += cr
            u.cost_usd = None if unpriced or u.cost_usd is None else u.cost_usd + cost


def check_format(fmt: str) -> str:
    if fmt not in CONVERSATION_FORMATS:
        raise BadArgument("format", f"must be one of {', '.join(CONVERSATION_FORMATS)}, got {fmt!r}")
    return fmt


def is_tool(entry: Entry) -> bool:
    return entry.kind in TOOL_KINDS


def call_words(e: Entry) -> str:
    """A recorded call in one line: ``Bash · git status · result 4.2 kB (~1,075 tokens)``."""
    parts = [e.name or "tool"]
    if e.input:
        parts.append(e.input)
    if e.result_bytes is not None:
        parts.append(f"result {size_words(e.result_bytes)}")
    return " · ".join(parts)


def size_words(nbytes: int) -> str:
    """``812 B``, ``4.2 kB``, ``1.3 MB``, and its tokens estimated at four bytes a token."""
    if nbytes < 1000:
        size = f"{nbytes} B"
    elif nbytes < 1_000_000:
        size = f"{nbytes / 1000:.1f} kB"
    else:
        size = f"{nbytes / 1_000_000:.1f} MB"
    return f"{size} (~{(nbytes + 3) // 4:,} tokens)" if nbytes else size
