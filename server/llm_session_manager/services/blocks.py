"""Claude's 5-hour billing blocks, as ccusage's ``blocks`` report defines them.

Subscription plans meter usage per block, so "the block ends in ten minutes,
at this rate it will have cost $4" is worth knowing. The rules are ccusage's
(``_session-blocks.ts``), so both tools draw the same blocks:

* a block starts at its first Claude response, floored to the UTC hour, and
  lasts five hours;
* a response more than five hours after the block's start, or more than five
  hours after the response before it, starts the next block;
* a block is active while ``now`` is before its end and its last response is
  under five hours old;
* burn rate: the block's tokens (all four kinds) and cost over the minutes from
  its first to its last response; ccusage's "indicator" rate counts input and
  output only;
* projection: tokens and cost so far plus the burn rate over the minutes left.

ccusage also lists the idle time between blocks as "gap" blocks; they carry no
usage and are left out here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import apsw

from ..core import pricing
from ..core.models import BillingBlock, BlockProjection, BurnRate
from . import unpriced_models
from .sessions import iso

BLOCK_SECONDS = 5 * 3600
PROVIDER = "claude-code"
_HOUR = 3600


class Block(NamedTuple):
    """One block, times in unix seconds; ``to_public`` makes it the JSON contract."""

    start: float  # on a UTC hour
    end: float  # start + 5 hours
    first_activity: float  # the block's first response
    last_activity: float  # and its latest
    active: bool
    responses: int
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: float  # of the priced responses
    models: tuple[str, ...]
    unpriced_models: tuple[str, ...] = ()  # models of responses without a price

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_tokens + self.cache_read_tokens


class _Entry(NamedTuple):
    ts: float
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: float
    model: str
    unpriced: int  # 1: the model has no price (cost_usd is 0 and means unknown)


# Claude responses in [lo, hi). Sessions are narrowed first by their time span, so
# the usage index on session_id does the work instead of a scan of every response.
_RESPONSES = f"""
SELECT {{columns}}
FROM sessions s JOIN usage u ON u.session_id = s.id
WHERE s.provider = '{PROVIDER}' AND s.last_activity >= :lo AND s.started_at < :hi
  AND u.ts >= :lo AND u.ts < :hi
ORDER BY u.ts
"""
_ENTRIES = _RESPONSES.format(
    columns="u.ts, u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens, u.cost_usd, u.model, "
    f"u.priced = {pricing.UNKNOWN}"
)
_TIMES = _RESPONSES.format(columns="u.ts")
_FIRST = f"SELECT min(started_at) FROM sessions WHERE provider = '{PROVIDER}' AND started_at <= :hi"


def current_block(conn: apsw.Connection, now: float | None = None) -> Block | None:
    """The active Claude block at ``now`` (default: the present), or None.

    Responses logged after ``now`` are ignored, so a past moment can be asked about.
    """
    now = time.time() if now is None else now
    found = blocks(conn, since=now - BLOCK_SECONDS, now=now)
    return found[-1] if found and found[-1].active else None


def blocks(conn: apsw.Connection, *, since: float | None = None, now: float | None = None) -> list[Block]:
    """Blocks that started at or after ``since`` (all when None), plus the active one, oldest first."""
    now = time.time() if now is None else now
    first = _earliest(conn, now) if since is None else _first_wanted(conn, since, now)
    if first is None:
        return []
    entries = [_Entry(*row) for row in conn.execute(_ENTRIES, {"lo": first, "hi": _just_after(now)})]
    return [b for b in identify(entries, now) if since is None or b.start >= since or b.active]


def identify(entries: list[_Entry], now: float) -> list[Block]:
    """Cut responses sorted by time into blocks (ccusage's ``identifySessionBlocks``)."""
    cuts = list(_cut(e.ts for e in entries))
    ends = [i for _, i in cuts[1:]] + [len(entries)]
    return [_block(start, entries[i:end], now) for (start, i), end in zip(cuts, ends, strict=True)]


def _cut(times: Iterable[float]) -> Iterator[tuple[float, int]]:
    """(start, index of its first response) of each block, for response times in order.

    A response more than five hours after the block's start, or after the
    response before it, starts the next block, at its own time floored to the hour.
    """
    start = last = -math.inf
    for i, ts in enumerate(times):
        if ts - start > BLOCK_SECONDS or ts - last > BLOCK_SECONDS:
            start = ts - ts % _HOUR
            yield start, i
        last = ts


def burn_rate(block: Block) -> BurnRate | None:
    """Tokens per minute and cost per hour between the block's first and last response.

    None for a block whose responses all share one instant: no rate can be seen.
    """
    minutes = (block.last_activity - block.first_activity) / 60
    if minutes <= 0:
        return None
    return BurnRate(
        tokens_per_minute=block.total_tokens / minutes,
        tokens_per_minute_for_indicator=(block.input_tokens + block.output_tokens) / minutes,
        cost_per_hour=block.cost_usd / minutes * 60,
    )


def projection(block: Block, now: float) -> BlockProjection | None:
    """Tokens and cost at the block's end if the burn rate holds; None unless active."""
    rate = burn_rate(block)
    if not block.active or rate is None:
        return None
    remaining = max(0.0, (block.end - now) / 60)
    return BlockProjection(
        total_tokens=_js_round(block.total_tokens + rate.tokens_per_minute * remaining),
        cost_usd=_js_round((block.cost_usd + rate.cost_per_hour / 60 * remaining) * 100) / 100,
        remaining_minutes=_js_round(remaining),
    )


def to_public(block: Block, now: float) -> BillingBlock:
    """The block as frontends show it; burn rate and projection only for the active one, as ccusage."""
    return BillingBlock(
        start=iso(block.start),
        end=iso(block.end),
        last_activity=iso(block.last_activity),
        active=block.active,
        responses=block.responses,
        input_tokens=block.input_tokens,
        output_tokens=block.output_tokens,
        cache_creation_tokens=block.cache_creation_tokens,
        cache_read_tokens=block.cache_read_tokens,
        total_tokens=block.total_tokens,
        cost_usd=unpriced_models.known_cost(block.cost_usd, bool(block.unpriced_models)),
        models=list(block.models),
        burn_rate=burn_rate(block) if block.active else None,
        projection=projection(block, now),
        cost_complete=not block.unpriced_models,
        unpriced_models=list(block.unpriced_models),
    )


def _block(start: float, group: list[_Entry], now: float) -> Block:
    last = group[-1].ts
    return Block(
        start=start,
        end=start + BLOCK_SECONDS,
        first_activity=group[0].ts,
        last_activity=last,
        active=now - last < BLOCK_SECONDS and now < start + BLOCK_SECONDS,
        responses=len(group),
        input_tokens=sum(e.input_tokens for e in group),
        output_tokens=sum(e.output_tokens for e in group),
        cache_creation_tokens=sum(e.cache_creation_tokens for e in group),
        cache_read_tokens=sum(e.cache_read_tokens for e in group),
        cost_usd=sum(e.cost_usd for e in group),
        models=tuple(dict.fromkeys(e.model for e in group)),
        unpriced_models=tuple(dict.fromkeys(e.model for e in group if e.unpriced)),
    )


def _first_wanted(conn: apsw.Connection, since: float, now: float) -> float | None:
    """The first response of the earliest block ``blocks`` returns for ``since``.

    Blocks are cut on response times alone from the start of their chain; the
    full rows are then read from that response on, not for the whole chain.
    """
    times = _chain_times(conn, min(since, now), now)
    cuts = list(_cut(times))
    wanted = [times[i] for start, i in cuts if start >= since]
    if wanted:
        return wanted[0]
    return times[cuts[-1][1]] if cuts else None  # the last block, which may be active


def _chain_times(conn: apsw.Connection, anchor: float, now: float) -> list[float]:
    """Times of the responses up to ``now`` from one that certainly starts a block, at or before ``anchor``.

    A response more than five hours after the one before it (or the first ever)
    starts a block whatever came earlier, so cutting blocks from there gives
    every block after it. The look back covers a span that doubles until such a
    response is in it, reading each response once: only the chain of blocks
    that leads to the anchor is read, however long the history.
    """
    first = _earliest(conn, now)
    if first is None:
        return []
    tail = _times(conn, anchor, _just_after(now))
    head: list[float] = []  # responses before the anchor seen so far: no gap of over five hours in them
    hi, span = anchor, 2 * BLOCK_SECONDS
    while True:
        lo = anchor - span
        segment = _times(conn, lo, hi)
        times = segment + head
        pairs = times + tail[:1]
        for i in range(len(segment), 0, -1):  # the neighbours the new segment adds, latest first
            if i < len(pairs) and pairs[i] - pairs[i - 1] > BLOCK_SECONDS:
                return (times + tail)[i:]
        # No gap. Nothing in a span of over five hours before the anchor is a gap
        # before whatever follows; else the earliest response starts a block if the
        # five hours before it are in the span (and empty), or if it is the first ever.
        if not times:
            return tail
        if times[0] - lo > BLOCK_SECONDS or lo <= first:
            return times + tail
        head, hi, span = times, lo, span * 2


def _times(conn: apsw.Connection, lo: float, hi: float) -> list[float]:
    return [row[0] for row in conn.execute(_TIMES, {"lo": lo, "hi": hi})]


def _just_after(t: float) -> float:
    """The next float after ``t``: the bound that makes a half-open range include ``t``."""
    return math.nextafter(t, math.inf)


def _earliest(conn: apsw.Connection, now: float) -> float | None:
    return conn.execute(_FIRST, {"hi": now}).get


def _js_round(x: float) -> int:
    """JavaScript's ``Math.round`` (halves up), so projections match ccusage's to the unit."""
    return math.floor(x + 0.5)
