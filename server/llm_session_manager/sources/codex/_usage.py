"""Which rollout lines are billed requests, counted the way ``ccusage codex`` counts.

ccusage (``rust/adapters/codex``) is what people compare our totals with, so:

* a ``token_count`` event bills its ``last_token_usage`` when the cumulative
  ``total_token_usage`` moved, else the difference of the totals. Codex repeats the
  last event at every turn boundary with unchanged totals; that difference is zero
  and zero events are dropped.
* input includes cached input; output includes reasoning.
* the model is the latest ``turn_context``'s, or ``gpt-5`` for logs that predate it.
* a fork (``forked_from_id``, or a spawned sub-agent thread) starts with a copy of its
  parent's history, every line rewritten to the fork instant. Usage written within a
  second of the fork, and of each other, is the parent's and is not counted again.
* a remote compaction is billed by a ``token_usage_record`` whose response id a
  ``compacted`` marker names; it is keyed by that id, so a copy in a fork counts once.
  A record that an advancing ``token_count`` already covers is not added again.

What the model had in its window after a turn (``context_tokens``) is that turn's
``last_token_usage.total_tokens``: Codex's own ``TokenUsage::tokens_in_context_window``
of the last usage, which its status line shows as context used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _calls
from ._lines import Compacted, Counts, Line, Pending, TokenCount, Usage, UsageRecord, seconds

if TYPE_CHECKING:
    from ._chunk import Chunk

FALLBACK_MODEL = "gpt-5"  # ccusage's LEGACY_FALLBACK_MODEL
_REPLAY_GAP = 1.0  # seconds between usage lines of one copied-history burst
_PENDING_KEEP = 16  # unpaired usage records remembered; markers follow their record


def counts(u: Usage) -> Counts:
    """The five counters, with cached capped at input and ccusage's total fallbacks."""
    total = u.total_tokens
    if total is None:
        total = u.input_tokens + u.output_tokens
    elif total == 0:
        total = u.input_tokens + u.output_tokens + u.reasoning_output_tokens
    inp, cached = u.input_tokens, u.cached_input_tokens
    if cached > inp:
        cached = inp
    return inp, cached, u.output_tokens, u.reasoning_output_tokens, total


def _minus(now: Counts, before: Counts | None) -> Counts:
    if before is None:
        return now
    d = [max(a - b, 0) for a, b in zip(now, before)]
    return d[0], min(d[1], d[0]), d[2], d[3], d[4]


def token_count(c: Chunk, line: Line[TokenCount]) -> None:
    if line.payload.rate_limits is not None:
        _rate_limits(c, line)
    s, info = c.s, line.payload.info
    if info is None or not line.timestamp:
        return
    total = counts(info.total_token_usage) if info.total_token_usage else None
    if total is not None and total == s.totals:
        return  # Codex repeating the last count: nothing new was billed
    if info.last_token_usage is not None:
        used = counts(info.last_token_usage)
    elif total is not None:
        used = _minus(total, s.totals)
    else:
        return
    if total is not None:
        s.totals = total
    ts = seconds(line.timestamp)
    if ts is None or not (used[0] or used[1] or used[2] or used[3]):
        return
    if info.model_context_window:
        s.window = info.model_context_window
    if s.latest_record:
        _absorb(c, s.latest_record, used, total)
    if s.replay_at is not None:
        if 0 <= ts - s.replay_at <= _REPLAY_GAP:
            s.replay_at = ts
            s.calls = []  # the parent's, copied
            return
        s.replay_at = None
    cumulative = total[4] if total else used[4]
    key = f"codex:{c.sid}:{line.timestamp}:{cumulative}"
    _calls.billed(c, key)
    c.usage(key, ts, s.model or FALLBACK_MODEL, used, False, s.window)


def usage_record(c: Chunk, line: Line[UsageRecord]) -> None:
    s, p = c.s, line.payload
    s.latest_record = None
    rid = (p.response_id or "").strip()
    if not rid or rid in c.emitted or not line.timestamp or p.usage is None:
        return
    ts, used = seconds(line.timestamp), counts(p.usage)
    if ts is None or not any(used):
        return
    model = (p.model or "").strip() or s.model or FALLBACK_MODEL
    s.latest_record = rid
    if rid in c.compacted:
        c.emitted.add(rid)
        c.usage(f"codex:response:{rid}", ts, model, used, True, s.window)
    elif all(q.id != rid for q in s.pending):
        thread = counts(p.thread_token_usage) if p.thread_token_usage else None
        pending = Pending(rid, ts, model, used, thread, s.window)
        s.pending = [*s.pending, pending][-_PENDING_KEEP:]


def compacted(c: Chunk, line: Line[Compacted]) -> None:
    p, s = line.payload, c.s
    if p.message and p.message.strip():
        c.message(line.timestamp, "system", "compact", p.message.strip())
    rid = (p.compaction_response_id or "").strip()
    if not rid:
        return
    c.compacted.add(rid)
    for q in s.pending:
        if q.id == rid:
            s.pending = [x for x in s.pending if x is not q]
            if rid not in c.emitted:
                c.emitted.add(rid)
                c.usage(f"codex:response:{rid}", q.ts, q.model, q.usage, True, q.window)
            return


def _absorb(c: Chunk, rid: str, used: Counts, total: Counts | None) -> None:
    """A local compaction's record is already in the advancing totals: drop it."""
    s = c.s
    for q in s.pending:
        if q.id == rid and (q.usage == used or (q.thread is not None and q.thread == total)):
            s.pending = [x for x in s.pending if x is not q]
            c.emitted.add(rid)
            return


_WINDOWS = {300: "five_hour", 10080: "seven_day"}  # window_minutes -> limits' window names


def _rate_limits(c: Chunk, line: Line[TokenCount]) -> None:
    """Codex's own plan meter (``rate_limits.primary`` / ``secondary``) as official readings."""
    rl = line.payload.rate_limits
    ts = seconds(line.timestamp) if line.timestamp else None
    if rl is None or ts is None:
        return
    for default, w in (("five_hour", rl.primary), ("seven_day", rl.secondary)):
        if w is None or w.used_percent is None:
            continue
        name = _WINDOWS.get(w.window_minutes, default) if w.window_minutes is not None else default
        resets = w.resets_at if w.resets_at is not None else (
            ts + w.resets_in_seconds if w.resets_in_seconds is not None else None)
        c.batch.limits.append(("codex", name, float(w.used_percent), resets, ts, ts, c.sid))
