"""One session's conversation as the store holds it, for replay and export.

The store keeps what ingest found worth keeping (``MessageRow``): typed prompts,
the assistant's text, summaries, compaction notes, API errors and the output of
failed tool calls. It keeps no tool call's arguments and no successful tool
output; what it does keep of tool calls is the files they touched
(``file_refs``: read, edit, write, search, list and the path). Those become the
``tool_use`` entries here, so a replay or an export shows what a session did
with files between its messages.

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

import apsw
import msgspec

from ..core import pricing, redact
from ..core.config import Config
from ..core.errors import BadArgument
from ..core.models import CONVERSATION_FORMATS, Session
from . import sessions

# What each entry's ``kind`` may be; ``tool_use`` and ``tool_error`` are "tool output"
# (replay's ``t`` and ``--no-tools``).
TOOL_KINDS = frozenset({"tool_use", "tool_error"})


class ResponseUsage(msgspec.Struct):
    """The billed responses an assistant text stands for (usually one)."""

    model: str
    responses: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: float | None  # None: a response of a model without a price


class Entry(msgspec.Struct, omit_defaults=True):
    n: int  # 1-based position in the conversation (replay's ``--from N`` and ``:N``)
    ts: str  # ISO 8601, UTC
    role: str  # user | assistant | system
    kind: str  # prompt | text | summary | compact | api_error | tool_error | tool_use
    text: str
    at: float = 0.0  # unix seconds, for replay's timing
    tool: str | None = None  # tool_use: read | edit | write | search | list
    path: str | None = None  # tool_use: the file
    usage: ResponseUsage | None = None  # assistant text: its responses' tokens and cost


class Conversation(msgspec.Struct):
    session: Session
    messages: list[Entry]
    pruned: int  # messages whose text retention removed (not shown)
    exported_at: str


def load(conn: apsw.Connection, config: Config, ref: str) -> Conversation:
    """The session ``ref`` names (id or unique prefix) as one timeline, secrets redacted."""
    session = sessions.get_session(conn, config, ref)
    sid = session.id
    rows: list[tuple[float, int, str, str, str, str | None, str | None]] = []
    pruned = 0
    for ts, role, kind, text in conn.execute(
        "SELECT ts, role, kind, lsm_open(text) FROM messages WHERE session_id = ? ORDER BY ts, rowid", (sid,)
    ):
        if text:
            rows.append((ts, 0, role, kind, text, None, None))
        else:
            pruned += 1
    for ts, action, path in conn.execute(
        "SELECT ts, action, path FROM file_refs WHERE session_id = ? ORDER BY ts, rowid", (sid,)
    ):
        rows.append((ts, 1, "assistant", "tool_use", f"{action} {path}", action, path))
    rows.sort(key=lambda r: (r[0], r[1]))  # stable: at one instant, the text before the tool calls
    texts = redact.redact_many([r[4] for r in rows])  # a tool call's text holds its path: redacted with it
    entries = [
        Entry(n=i, ts=sessions.iso(ts), at=ts, role=role, kind=kind, text=text, tool=tool,
              path=text.split(" ", 1)[1] if tool else None)
        for i, ((ts, _, role, kind, _, tool, _), text) in enumerate(zip(rows, texts, strict=True), 1)
    ]
    _attach_usage(conn, sid, entries)
    session.title = redact.redact_text(session.title) if session.title else session.title
    return Conversation(
        session=session,
        messages=entries,
        pruned=pruned,
        exported_at=sessions.iso(time.time()),
    )


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
            e.usage = ResponseUsage(model, 1, i, o, cc, cr, None if unpriced else cost)
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
