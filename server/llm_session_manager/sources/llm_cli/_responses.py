"""The responses ``llm`` logged since the last read, as rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import apsw
import msgspec

from ...core.encoding import count_o200k
from ...core.models import Batch, MessageRow, SessionRow, UsageRow
from .. import sqlite_readonly
from ..base import decode_state, utc_seconds
from ..sqlite_readonly import Mark
from . import PROVIDER

_WANTED = (
    "id",
    "model",
    "resolved_model",
    "prompt",
    "system",
    "response",
    "conversation_id",
    "datetime_utc",
    "input_tokens",
    "output_tokens",
    "token_details",
)


class _State(msgspec.Struct, array_like=True):
    newest: Mark
    history: dict[str, int] = {}  # conversation → tokens said so far, where estimated


_STATE = msgspec.msgpack.Decoder(_State)


def read_responses(path: Path, state: bytes | None) -> Batch:
    """Rows of the responses logged since ``state`` (all of them without one)."""
    batch = Batch(state)
    before = decode_state(_STATE, state)
    try:
        with sqlite_readonly.snapshot(path, "llm") as conn:
            _read(conn, before, batch)
    except sqlite_readonly.UNREADABLE:
        batch.malformed += 1
    return batch


def _read(conn: apsw.Connection, before: _State | None, batch: Batch) -> None:
    """Every response after ``before``'s mark, oldest first within a conversation."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(responses)")}
    if not have:
        batch.state = None
        return
    newest = sqlite_readonly.mark(conn, "responses", "id")
    after = sqlite_readonly.resume_after(conn, "responses", "id", before.newest if before else None)
    columns = ", ".join(f"r.[{c}]" if c in have else "NULL" for c in _WANTED)
    rows = conn.execute(
        f"SELECT {columns}, c.name FROM responses r "
        "LEFT JOIN conversations c ON c.id = r.conversation_id "
        "WHERE r.rowid > ? ORDER BY r.conversation_id, r.datetime_utc, r.id",
        (_FIRST if after is None else after,),
    ).fetchall()
    if after is None or before is None:  # one implies the other: no mark, nothing to resume after
        history = _History({}, lambda conversation: [])
    else:
        history = _History(before.history, lambda conversation: _said(conn, conversation, after))
    for row in rows:
        _add(batch, row, history)
    batch.state = msgspec.msgpack.encode(_State(newest, history.totals())) if newest else None


_FIRST = -(2**63)  # below every rowid


def _said(conn: apsw.Connection, conversation: str, upto: int) -> list[str]:
    """Prompts and answers of ``conversation`` up to rowid ``upto``, in order (a table
    scan: ``responses`` has no index on its conversation, so only when an estimate needs it)."""
    texts = []
    for prompt, response in conn.execute(
        "SELECT prompt, response FROM responses WHERE conversation_id = ? AND rowid <= ? "
        "ORDER BY datetime_utc, id",
        (conversation, upto),
    ):
        texts += [t for t in ((prompt or "").strip(), (response or "").strip()) if t]
    return texts


def _add(batch: Batch, row: tuple, history: _History) -> None:
    rid, model, resolved, prompt, system, response, cid, when, inp, out, details, name = row
    ts = _seconds(when)
    if not rid or ts is None:
        batch.malformed += 1
        return
    conversation = str(cid or rid)
    sid = f"{PROVIDER}:{conversation}"
    model = resolved or model or "unknown"
    prompt, system, response = (prompt or "").strip(), (system or "").strip(), (response or "").strip()
    if prompt:
        batch.messages.append(MessageRow(f"{PROVIDER}:{rid}:prompt", sid, ts, "user", "prompt", prompt))
    if response:
        key = f"{PROVIDER}:{rid}:response"
        batch.messages.append(MessageRow(key, sid, ts, "assistant", "text", response))

    if isinstance(inp, int):
        fresh, creation, read = _split(inp, details)
        row_out, exact = out if isinstance(out, int) else 0, True
    else:
        fresh, creation, read = history.tokens(conversation) + _tokens(system) + _tokens(prompt), 0, 0
        row_out, exact = _tokens(response), False
    history.add(conversation, prompt, response)
    context = fresh + creation + read
    key = f"{PROVIDER}:{rid}"
    row = UsageRow(key, sid, ts, model, fresh, row_out, creation, read, None, False, context, None, exact)
    batch.usage.append(row)
    title = " ".join((name or "").split()) or None
    batch.see_session(SessionRow(sid, PROVIDER, None, title, model, None, None, ts, ts))


class _History:
    """What each conversation has said so far, counted only if an estimate asks:
    most responses carry their own counts, and tokenising every prompt is not free.

    ``counted`` are the totals a previous read left; ``earlier`` gives what a
    conversation said before this read, for one no estimate has counted yet.
    """

    def __init__(self, counted: dict[str, int], earlier: Callable[[str], list[str]]) -> None:
        self._texts: dict[str, list[str]] = {}
        self._counted = {c: (0, n) for c, n in counted.items()}  # conversation → (texts counted, tokens)
        self._earlier = earlier

    def add(self, conversation: str, *texts: str) -> None:
        self._texts.setdefault(conversation, []).extend(t for t in texts if t)

    def tokens(self, conversation: str) -> int:
        if conversation not in self._counted:
            self._texts[conversation] = self._earlier(conversation) + self._texts.get(conversation, [])
        texts = self._texts.get(conversation, [])
        done, total = self._counted.get(conversation, (0, 0))
        total += sum(count_o200k(t) for t in texts[done:])
        self._counted[conversation] = (len(texts), total)
        return total

    def totals(self) -> dict[str, int]:
        """Tokens said so far in every conversation an estimate has counted."""
        return {c: self.tokens(c) for c in list(self._counted)}


def _tokens(text: str) -> int:
    return count_o200k(text) if text else 0


def _split(input_tokens: int, details: Any) -> tuple[int, int, int]:
    """``(fresh input, cache writes, cache reads)`` from what the plugin reported.

    OpenAI (chat: ``prompt_tokens_details``, responses: ``input_tokens_details``)
    and Gemini (``cachedContentTokenCount``) count cached tokens inside the input;
    Anthropic reports ``cache_read_input_tokens`` and ``cache_creation_input_tokens``
    beside an input that excludes them.
    """
    d = _object(details)
    cached = (
        _int(_object(d.get("prompt_tokens_details")).get("cached_tokens"))
        or _int(_object(d.get("input_tokens_details")).get("cached_tokens"))
        or _int(d.get("cachedContentTokenCount"))
    )
    cached = min(cached, input_tokens)
    return (
        input_tokens - cached,
        _int(d.get("cache_creation_input_tokens")),
        cached + _int(d.get("cache_read_input_tokens")),
    )


def _object(value: Any) -> dict[str, Any]:
    if isinstance(value, str) and value:
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _seconds(when: Any) -> float | None:
    """``datetime_utc`` as unix seconds; a time without a zone is UTC, as ``llm`` meant it."""
    if not isinstance(when, str) or not when:
        return None
    try:
        return utc_seconds(when)
    except ValueError:
        return None
