"""Secrets out of what a log's parser returns, before any of it is stored.

Every path from a log to the store parses it through ``_rows.parse_chunk``,
which hands the ``Batch`` of each file it read here: the store never holds a detected secret,
whichever path (a first scan's parse workers, a rescan, an import) stored it.
Message text, titles, working directories, branches and file paths are
redacted; ids, keys and numbers are not text a person wrote. So is the
parser's state, which the store keeps for the next chunk and which may carry
a title or the lines of a prompt still being written (Aider).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from ..core.models import Batch, SessionRow


def without_secrets(batches: Sequence[Batch]) -> None:
    """Every secret in the text of ``batches`` replaced by a marker, in place
    (their parser states are ``_files.read``'s, with ``state_without_secrets``).

    All their texts go through one ``redact_many``, whose keyword search costs
    mostly per call: a chunk of a first scan is 200 logs or more, and a log read
    for its usage alone has three short texts per session.
    """
    from ..core import redact  # compiled before parse workers fork, for the conversation (``_rows.ingest``)

    _inputs_without_secrets(batches, redact)
    texts: list[str] = []
    for batch in batches:
        _results_without_secrets(batch, redact)
        texts += [m.text for m in batch.messages]
        texts += [r.path for r in batch.file_refs]
        for s in batch.sessions.values():
            # A title is cut short by its source: the word the cut went through goes first.
            texts += (s.cwd or "", redact.whole_words(s.title) if s.title else "", s.git_branch or "")
    if not texts:
        return
    clean = redact.redact_many(texts)
    at = 0
    for batch in batches:
        messages, refs, sessions = batch.messages, batch.file_refs, batch.sessions
        n, m = at + len(messages), at + len(messages) + len(refs)
        if messages:
            batch.messages = [msg if msg.text is t else msg._replace(text=t)
                              for msg, t in zip(messages, clean[at:n], strict=True)]
        if refs:
            batch.file_refs = [ref if ref.path is p else ref._replace(path=p)
                               for ref, p in zip(refs, clean[n:m], strict=True)]
        at = m + 3 * len(sessions)
        if sessions:
            batch.sessions = {
                s.id: _session(s, cwd, title, branch) for s, cwd, title, branch in zip(
                    sessions.values(), clean[m:at:3], clean[m + 1:at:3], clean[m + 2:at:3], strict=True)
            }


def _results_without_secrets(batch: Batch, redact: Any) -> None:
    """The tool results kept for the tokenizer (``sources.claude_code._calls``), redacted in place."""
    results = batch.attribution.results
    kept = [n for n, r in enumerate(results) if r[3]]
    if kept:
        for n, text in zip(kept, redact.redact_many([results[n][3] for n in kept]), strict=True):
            results[n] = (*results[n][:3], text)


def _inputs_without_secrets(batches: Sequence[Batch], redact: Any) -> None:
    """The tool calls' input summaries (migration 033) redacted, then cut to one short line,
    in place: cut only after redaction, so no cut leaves a secret's start to be stored."""
    from ..sources.tool_input import shorten

    found = [(uses, n) for batch in batches for uses in (batch.attribution.uses,) for n, u in enumerate(uses) if u[5]]
    if not found:
        return
    clean = redact.redact_many([uses[n][5] for uses, n in found])
    for (uses, n), text in zip(found, clean, strict=True):
        row = uses[n]  # a tuple, or (Claude Code's, filled in as results come) a list
        uses[n] = (*row[:5], shorten(text), *row[6:])


def _session(s: SessionRow, cwd: str, title: str, branch: str) -> SessionRow:
    if (cwd is s.cwd or not cwd) and (title is s.title or not title) and (branch is s.git_branch or not branch):
        return s  # as it was (most are)
    return s._replace(cwd=cwd or s.cwd, title=title or s.title, git_branch=branch or s.git_branch)


def state_without_secrets(state: bytes) -> bytes:
    """A parser's state with the secrets in its strings redacted.

    States are msgpack (or a number in ASCII, which is left as it is); decoded
    to plain data and encoded again they decode into the parser's own struct as
    before. A list of strings is the lines of one text (a PEM key spans them).
    """
    from ..core import redact

    if not (0x80 <= state[0] <= 0x9F or 0xDC <= state[0] <= 0xDF):
        return state  # not a map or an array: a number, msgpack or in ASCII (Claude Code's last timestamp)
    try:
        data = msgspec.msgpack.decode(state)
    except msgspec.DecodeError:
        return state
    texts: list[tuple[str, bool]] = []
    _collect(data, texts, None)
    if not texts:
        return state
    clean = redact.redact_many([redact.whole_words(t) if title else t for t, title in texts])
    if all(c == t for c, (t, _) in zip(clean, texts, strict=True)):
        return state
    return msgspec.msgpack.encode(_rebuild(data, iter(clean), None))


def _collect(data: Any, texts: list[tuple[str, bool]], key: Any) -> None:
    """Every text in ``data``, in order, and whether it is a title."""
    if isinstance(data, str):
        texts.append((data, key == "title"))
    elif isinstance(data, list) and data and all(isinstance(x, str) for x in data):
        texts.append(("\n".join(data), False))
    elif isinstance(data, list):
        for item in data:
            _collect(item, texts, None)
    elif isinstance(data, dict):
        for k, v in data.items():
            _collect(v, texts, k)


def _rebuild(data: Any, clean: Any, key: Any) -> Any:
    if isinstance(data, str):
        return next(clean)
    if isinstance(data, list) and data and all(isinstance(x, str) for x in data):
        return next(clean).split("\n")
    if isinstance(data, list):
        return [_rebuild(item, clean, None) for item in data]
    if isinstance(data, dict):
        return {k: _rebuild(v, clean, k) for k, v in data.items()}
    return data
