"""Which lines are billed responses, and which copy of a response is kept.

Usage is counted the way ccusage 20.x (its Rust loader) counts it, so that
``usage --by day`` agrees with ``ccusage claude daily --json --offline`` (checked
against 20.0.24 on the test fixtures and on the benchmark corpus):

* a line counts if it has ``message.usage`` with integer ``input_tokens`` and
  ``output_tokens`` and a timestamp, whatever its ``type`` -- sub-agent
  ``progress`` lines carry a counted copy under ``data.message`` -- unless its
  ``version`` is not ``N.N.N...``, an id or model is ``""``, or one of the
  fields ccusage refuses to see ``null`` is ``null``;
* one response is written up to once per content block, and the first copies
  may be streaming snapshots, so copies collapse on one key and the survivor
  is the main-chain copy, then the one with most tokens, then the dearer one
  (within a chunk here; across chunks and files the store must keep the same
  survivor, not the first copy it saw);
* the key is ``{message.id}:{requestId}`` across every file (a resumed session
  repeats its predecessor's responses); with no ``requestId`` it is scoped to
  the session and the timestamp; ccusage never collapses a line without
  ``message.id``, so those get ``uuid:{uuid}`` -- unique, yet stable when a
  file is read again;
* a sidechain replay of a response (``/btw``: same ``message.id``, new
  ``requestId``, same session) is the same response;
* cache writes are the 5m + 1h buckets of ``usage.cache_creation`` when the
  log has them, else ``cache_creation_input_tokens``; the 1h bucket is kept
  apart too, as ccusage prices it at twice the input price;
* ``usage.iterations`` entries of type ``advisor_message`` are extra
  responses of their own model; ``speed: "fast"`` is priced as ``<model>-fast``.

API errors (``isApiErrorMessage``, model ``<synthetic>``) carry no tokens; the
caller keeps them out of here and makes them messages instead.
"""

from __future__ import annotations

import functools
import re

import msgspec
from msgspec import UNSET

from ...core.models import UsageRow
from ._lines import ITERATIONS, Iteration, Line, Message, Relayed, Usage

_SEMVER_PREFIX = re.compile(r"\d+\.\d+\.\d")
_row = tuple.__new__  # UsageRow's own __new__ is a Python call; this skips it on the hot path


class Tally:
    """The billed responses of one chunk, one row per dedup key."""

    __slots__ = ("first_key", "rows")

    def __init__(self) -> None:
        self.rows: dict[str, UsageRow] = {}
        self.first_key: dict[str, str] = {}  # message.id -> key of its first kept copy

    def add(self, line: Line, source: Line | Relayed, message: Message, usage: Usage,
            session_id: str, when: float, sidechain: bool) -> str | None:
        """One copy of a response: kept unless a copy already kept wins (the rules up top).

        ``source`` is ``line`` itself, or the sub-agent line a progress line relays.
        Returns the response's dedup key, None when the copy is not billed.
        """
        fresh, output = usage.input_tokens, usage.output_tokens
        if fresh is None or output is None:
            return None
        message_id, request_id, cost = message.id, source.requestId, source.costUSD
        written, read, speed = usage.cache_creation_input_tokens, usage.cache_read_input_tokens, usage.speed
        # ccusage's own filter, inline (this runs for every billed line): missing fields
        # (``UNSET``, which is falsy) pass; ``null``, ``""`` and negative counts do not.
        if (
            fresh < 0 or output < 0 or written is None or read is None or cost is None
            or (not message_id and message_id is not UNSET) or (not request_id and request_id is not UNSET)
            or (written is not UNSET and written < 0) or (read is not UNSET and read < 0)
            or (speed is not UNSET and speed != "standard" and speed != "fast")
        ):
            return None
        # The rest of ccusage's filter: the model and session named (if present), and
        # the fields only a line of its own has (a relayed line has none of these).
        model, session = message.model, line.sessionId
        if (not model and model is not UNSET) or (not session and session is not UNSET):
            return None
        if source.__class__ is Line:
            version = source.version
            if source.cwd is None or source.isApiErrorMessage is None \
                    or (version is not UNSET and (version is None or not _is_release(version))):
                return None
        message_id = message_id or None
        request_id = request_id or None
        if message_id and request_id:
            key = f"{message_id}:{request_id}"
        elif message_id:
            key = f"{session_id}:{message_id}:{round(when * 1000)}"
        else:
            key = f"uuid:{source.uuid or f'{session_id}@{when!r}'}"
        buckets = usage.cache_creation  # the 5m + 1h buckets when the log has them (``_cache_writes``)
        if buckets is not None:
            hour = buckets.ephemeral_1h_input_tokens
            written = buckets.ephemeral_5m_input_tokens + hour
        else:
            written, hour = written or 0, 0
        read = read or 0
        if cost is UNSET:
            cost = None
        rows = self.rows
        old = rows.get(key)
        if old is None and message_id:
            kept = self.first_key.get(message_id)
            if kept is not None:
                first = rows[kept]
                if first.session_id == session_id and (sidechain or first.sidechain):
                    key, old = first.dedup_key, first  # a /btw replay of a response already seen
        # A copy that loses is mostly a later block of a response already kept.
        if old is None or _better(sidechain, fresh + output + written + read, cost, old):
            model = model or "unknown"
            if speed == "fast":
                model += "-fast"
            rows[key] = _row(UsageRow, (
                key, session_id, when, model, fresh, output, written, read, cost, sidechain, fresh + written + read,
                None, None, hour,
            ))
            if message_id:
                self.first_key.setdefault(message_id, key)
        if usage.iterations and b"advisor_message" in bytes(usage.iterations):
            self._advisors(usage.iterations, key, message_id, request_id, session_id, when)
        return key

    def _advisors(self, raw: msgspec.Raw, key: str, message_id: str | None, request_id: str | None,
                  session_id: str, when: float) -> None:
        """Advisor calls inside one response, billed at the advisor's own model."""
        try:
            iterations = ITERATIONS.decode(raw)
        except msgspec.DecodeError:
            return
        advisors = [i for i in iterations if i.type == "advisor_message" and i.model]
        for n, it in enumerate(advisors):
            if message_id and request_id:
                advisor_key = f"{message_id}:advisor:{n}:{request_id}"
            else:
                advisor_key = f"{key}:advisor:{n}"
            written, hour = _cache_writes(it)
            read = it.cache_read_input_tokens or 0
            fresh, output = it.input_tokens, it.output_tokens
            old = self.rows.get(advisor_key)
            if old is None or _better(True, fresh + output + written + read, None, old):
                # Not a turn of the main window: flagged sidechain so context fill skips it.
                model, context = it.model or "", fresh + written + read
                self.rows[advisor_key] = UsageRow(
                    advisor_key, session_id, when, model, fresh, output, written, read, None, True, context, None,
                    cache_creation_1h_tokens=hour,
                )


@functools.lru_cache(maxsize=64)
def _is_release(version: str) -> bool:
    return _SEMVER_PREFIX.match(version) is not None


def _better(sidechain: bool, total: int, cost: float | None, old: UsageRow) -> bool:
    """Whether a copy beats the one kept, as in ccusage: main chain, then most tokens, then dearer."""
    if sidechain != old.sidechain:
        return old.sidechain
    old_total = old.context_tokens + old.output_tokens  # context is the other three
    if total != old_total:
        return total > old_total
    return (cost or 0.0) > (old.cost_usd or 0.0)


def _cache_writes(usage: Usage | Iteration) -> tuple[int, int]:
    """Cache writes, and the one-hour part of them (billed at twice the input price).

    Writes are the 5m + 1h buckets when the log has them, else
    ``cache_creation_input_tokens`` (older logs: all five-minute writes).
    """
    buckets = usage.cache_creation
    if buckets is not None:
        hour = buckets.ephemeral_1h_input_tokens
        return buckets.ephemeral_5m_input_tokens + hour, hour
    return usage.cache_creation_input_tokens or 0, 0
