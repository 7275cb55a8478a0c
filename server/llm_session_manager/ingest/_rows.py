"""Parsed logs turned into rows for the store, a chunk of files at a time."""


import gc
import os
import time
from collections.abc import Iterator
from functools import partial
from typing import NamedTuple

import apsw

from ..core import pricing
from ..core.models import Attribution, Batch, FileRefRow, MessageRow, SessionRow, UsageRow
from ..sources import Source, is_totals
from ..store import write_transaction
from ._files import Work, read
from ._parallel import parsed
from ._redact import without_secrets
from ._store import NewKeys, Outcome, Part, parse_part, write

# New bytes parsed at a time: memory stays flat on a multi-GB history.
CHUNK_BYTES = 32 << 20
# How long a transaction takes more chunks: a commit writes again every page of the
# responses' key index its rows touched, and keys arrive in random order, so with a
# transaction per chunk a first ``usage`` over 1 GB of logs rewrote the whole index 33
# times (storing its usage took 1.8 s; 1.1 s in 8 transactions). A scan killed
# half-way loses at most this much work.
TRANSACTION_SECONDS = 1.0


class Rows(NamedTuple):
    """One chunk of files, parsed and ready for one transaction."""

    nbytes: int
    malformed: int
    warnings: list[str]
    sessions: list[tuple]
    usage: list[tuple]
    messages: list[MessageRow]
    file_refs: list[FileRefRow]
    contexts: list[tuple]
    files: list[tuple]
    limits: list[tuple]  # plan-limit readings (store/limit_readings.py)
    logs: list[tuple[str, str]]  # (path, session id): which log each session was read from
    attribution: Attribution  # what each response did (tool calls, results, sub-agents); with the conversation


def chunks(work: list[Work], chunk_bytes: int | None = None) -> list[list[Work]]:
    """Files grouped into about ``chunk_bytes`` (default ``CHUNK_BYTES``) of new data: parsed at a time.

    When there are more than two, the last ``chunk_bytes`` go in quarters of that: the
    parse workers then run out of chunks close together, and what the writer has left
    once they are done, which no parsing overlaps, is small (a first ``usage`` at 200 MB
    waited up to 0.1 s on one worker's last full chunk, with the other core idle).
    """
    chunk_bytes = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    tail = _tail(sum(item.stat.st_size - item.offset for item in work), chunk_bytes)
    chunks: list[list[Work]] = [[]]
    size = done = 0
    for item in work:
        if size >= (chunk_bytes if done < tail else chunk_bytes // 4):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += item.stat.st_size - item.offset
        done += item.stat.st_size - item.offset
    return [c for c in chunks if c]


def _tail(total: int, chunk_bytes: int) -> int:
    """Where the last ``chunk_bytes`` of ``total`` new bytes begin, if there are more than
    two chunks' worth (else ``total``): they go in smaller chunks (``chunks``)."""
    return total - chunk_bytes if total > 2 * chunk_bytes else total


def ingest(conn: apsw.Connection, chunks: list[list[Work]], part: Part = Part.ALL) -> Iterator[Outcome]:
    """Parse and store chunk after chunk (``part`` of each: ``_store.Part``), in
    transactions of ``TRANSACTION_SECONDS``, and tell how each went once it is committed.

    Chunks are parsed in forked workers while this process writes, when there
    are several (``_parallel``). Tried and measured slower: a writer thread
    (apsw takes the GIL back for every row, so parser and writer convoy on it)
    and forked workers writing in turn (each commit by one throws away the
    other's page cache).
    """
    prices = pricing.load_table()
    if len(chunks) > 1:  # before parse workers fork, so they inherit what is compiled and imported
        if part is not Part.USAGE:
            # Every pattern, once, for the conversation. A usage-only parse redacts three short
            # texts a session, which try a handful of the 38 (5 ms less before the workers start).
            from ..core import redact

            redact.compile_all()
        _prepare({item.source for chunk in chunks for item in chunk})
    # Parsing allocates millions of short-lived objects and no cycles; the
    # cyclic collector would only rescan them over and over (workers inherit this).
    gc.disable()
    try:
        parse = partial(parse_part, partial(parse_chunk, prices=prices, usage_only=part is Part.USAGE), part)
        new_keys = NewKeys.if_empty(conn) if chunks and part is not Part.CONVERSATION else None
        # (the conversation's chunks are small on purpose: a continuation killed loses little)
        seconds = 0.0 if part is Part.CONVERSATION else TRANSACTION_SECONDS
        results = zip(chunks, parsed(parse, chunks, Rows), strict=True)
        for chunk, rows in results:
            with write_transaction(conn):
                began = time.monotonic()
                stored = [write(conn, rows, chunk, part, new_keys)]
                while time.monotonic() - began < seconds and (more := next(results, None)) is not None:
                    chunk, rows = more
                    stored.append(write(conn, rows, chunk, part, new_keys))
            yield from stored  # once committed
    finally:
        gc.enable()


def _prepare(sources: set[Source]) -> None:
    """Have each source load its parser now (an optional ``prepare``), before parse workers
    fork: an import in a forked process copies every page it writes to, so two workers
    importing the Claude Code parser took 8 ms each before their first line, twice
    what it takes here once."""
    for source in sources:
        prepare = getattr(source, "prepare", None)
        if prepare is not None:
            prepare()


def parse_chunk(chunk: list[Work], prices: pricing.PriceTable, usage_only: bool = False) -> Rows:
    """``chunk`` parsed into rows, without secrets (``_redact``); ``usage_only``: what
    reports need, for ``Part.USAGE`` (``_files.read``)."""
    rows = Rows(0, 0, [], [], [], [], [], [], [], [], [], Attribution([], [], [], [], [], []))
    nbytes = malformed = 0
    latest: dict[str, UsageRow] = {}
    peaks: dict[str, int] = {}
    read_files: list[tuple[Work, Batch]] = []
    costs = Costs(prices)
    for item in chunk:
        nbytes += item.stat.st_size - item.offset
        try:
            batch, file_row = read(item, usage_only)
        except OSError as e:
            rows.warnings.append(f"cannot read {item.path}: {e.strerror or e}")
            continue
        rows.files.append(file_row)
        rows.warnings.extend(batch.warnings)
        malformed += batch.malformed
        read_files.append((item, batch))
    without_secrets([batch for _, batch in read_files])
    for item, batch in read_files:
        _stored(batch.usage, item.source.exact, costs, not is_totals(item.source), rows.usage, latest, peaks)
        rows.messages.extend(batch.messages)
        rows.file_refs.extend(batch.file_refs)
        for mine, theirs in zip(rows.attribution, batch.attribution, strict=True):
            mine.extend(theirs)
        rows.limits.extend(batch.limits)
        rows.sessions.extend(_session_values(s) for s in batch.sessions.values())
        rows.logs.extend((item.path, sid) for sid in batch.sessions)
    rows.contexts.extend(
        (r.ts, r.context_tokens, r.context_window, r.session_id, peaks[r.session_id]) for r in latest.values()
    )
    return rows._replace(nbytes=nbytes, malformed=malformed)


def _session_values(s: SessionRow) -> tuple:
    project = os.path.basename(s.cwd.rstrip("/")) if s.cwd else None
    return (s.id, s.provider, s.cwd, project, s.title, s.model, s.git_branch, s.version,
            s.started_at, s.last_activity)


class Costs:
    """What ``PriceTable.cost`` says each response costs, for a chunk's tens of thousands.

    Below the 200k-token tier a response's cost is linear in each kind of token,
    so the price of one token of each kind is asked of ``cost`` once per model,
    and a response whose counts are all within the tier is priced as ``cost``
    sums them: the same products added in the same order, so the same float.
    Any other response (a count beyond the tier, a model without a price) is
    priced by ``cost`` itself. ``_stored`` does this inline for each response.
    """

    __slots__ = ("prices", "rates")

    def __init__(self, prices: pricing.PriceTable) -> None:
        self.prices = prices
        self.rates: dict[str, tuple[float, float, float, float, float] | None] = {}

    def __call__(self, model: str, fresh: int, output: int, written: int, read: int, hour: int,
                 tiered: bool) -> float | None:
        """``PriceTable.cost(model, fresh, output, written, read, cache_creation_1h_tokens=hour, tiered=tiered)``,
        as ``_stored`` prices a response."""
        row = UsageRow("", "", 0.0, model, fresh, output, written, read, None, True, 0, None,
                       cache_creation_1h_tokens=hour)
        out: list[tuple] = []
        _stored([row], True, self, tiered, out, {}, {})
        return None if out[0][9] == pricing.UNKNOWN else out[0][8]

    def rates_for(self, model: str) -> tuple[float, float, float, float, float] | None:
        """USD for one token of input, output, 5-minute write, 1-hour write, read (None: no price)."""
        cost = self.prices.cost
        rates = (cost(model, 1, 0), cost(model, 0, 1), cost(model, 0, 0, 1), cost(model, 0, 0, 1, 0, cache_creation_1h_tokens=1),
                 cost(model, 0, 0, 0, 1))
        return None if None in rates else rates  # type: ignore[return-value]


_TIER = pricing.TIER_THRESHOLD


def _stored(usage: list[UsageRow], exact: bool, costs: Costs, tiered: bool, out: list[tuple],
            latest: dict[str, UsageRow], peaks: dict[str, int]) -> None:
    """Each of ``usage`` as stored, onto ``out``: the log's own cost, else the table's
    (``Costs``, inline), else 0 marked unknown; ``exact`` where the row does not say.
    And each session's newest main-chain turn (what its context holds now, in
    ``latest``) and its fullest one (``peaks``).

    One loop for both, with the common case of ``Costs.__call__`` inline: it runs
    for every response of a cold scan (a tenth of a parse worker's time was the
    two loops and a call per row).
    """
    append, rates_of, cost_of = out.append, costs.rates, costs.prices.cost
    from_log, from_table, unknown, tier = pricing.FROM_LOG, pricing.FROM_TABLE, pricing.UNKNOWN, _TIER
    for row in usage:
        key, session, ts, model, fresh, output, written, read, cost, sidechain, context, _, row_exact, hour = row
        if cost is None:
            try:
                rates = rates_of[model]
            except KeyError:
                rates = rates_of[model] = costs.rates_for(model)
            short = written - hour  # the five-minute writes
            if rates is not None and 0 <= fresh <= tier and 0 <= output <= tier and 0 <= short <= tier \
                    and 0 <= hour <= tier and 0 <= read <= tier:
                cost = fresh * rates[0] + output * rates[1] + short * rates[2] + hour * rates[3] + read * rates[4]
            else:
                cost = cost_of(model, fresh, output, written, read, cache_creation_1h_tokens=hour, tiered=tiered)
            priced = from_table if cost is not None else unknown
        else:
            priced = from_log
        append((key, session, ts, model, fresh, output, written, read, cost or 0.0, priced,
                exact if row_exact is None else row_exact, sidechain, hour))
        if not sidechain:
            if context > peaks.get(session, -1):
                peaks[session] = context
            cur = latest.get(session)
            if cur is None or ts >= cur[2]:
                latest[session] = row
