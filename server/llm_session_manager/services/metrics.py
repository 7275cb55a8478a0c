"""A snapshot of the store's figures for monitoring: what ``/metrics`` and the OTLP export show.

Every scrape asks for a new snapshot; nothing is counted in memory between
scrapes, so the figures are the store's own (``usage --json`` says the same
totals) whichever process wrote them, and a restart loses nothing. A snapshot
must be cheap on a store of a year of heavy use, so it reads the store's
rollups, never every response:

* tokens, cost and unpriced responses per provider and model from
  ``usage_quarters`` (``store/quarters.py``), a few rows per hour of use;
* sessions per provider from ``sessions``; the live ones (running now, or
  active within ``health.stopped_after_s``) as ``list --since`` lists them,
  with their health and context fill, from the per-session sums;
* the memories' count, and the ingest lag from the logs read most recently.

A caller that keeps one connection for its snapshots (``serve``) passes a
``StoredCache``, and what only changes with the store is read again only when
it did.

Model names are bounded in practice but not by us: the ``max_models`` models
with the most tokens (all time, so the choice is stable) keep their name and
the rest are summed per provider as ``OTHER``.
"""

from __future__ import annotations

import os
import time
from typing import NamedTuple

import apsw
import msgspec

from ..core.config import Config
from ..store import changes, quarters
from . import health, processes
from .sessions import Filters, iso, list_sessions

OTHER = "other"  # the model label of the models past ``max_models``
UNKNOWN = "unknown"  # a provider or model the store does not know (usage without a session)
HEALTH_STATUSES = ("healthy", "warning", "critical")
# Upper bounds of the context fill buckets (fraction of the window); a fill over 1 is in +Inf only.
FILL_BUCKETS = (0.25, 0.5, 0.75, 0.85, 0.95, 1.0)
# The logs whose ingest lag is looked at: those the store read most recently, where writing goes on.
LAG_LOGS = 256
# A running assistant is matched to a session active since shortly before it started;
# sessions older than this before the oldest such process cannot be running.
_RUNNING_MARGIN_S = 3600.0

class ModelUsage(msgspec.Struct, frozen=True):
    """Usage of one provider's model over all time, exact from the logs (as ``usage`` sums it)."""

    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_creation_tokens: int
    cache_read_tokens: int
    cost_usd: float  # of the priced responses; the unpriced add nothing
    unpriced_responses: int


class ContextFill(msgspec.Struct, frozen=True):
    """How full the live sessions' context windows are: a histogram of fractions of the window."""

    buckets: list[tuple[float, int]]  # (upper bound, sessions at or under it), cumulative, FILL_BUCKETS in order
    count: int  # live sessions (the +Inf bucket)
    sum: float  # of their fill fractions
    max_by_provider: dict[str, float]


class Snapshot(msgspec.Struct, frozen=True):
    """The figures at ``taken_at`` (unix seconds)."""

    taken_at: float
    usage: list[ModelUsage]
    sessions: dict[str, int]  # provider -> sessions in the store
    active: dict[str, int]  # provider -> sessions whose assistant runs now
    live: dict[str, dict[str, int]]  # provider -> health status -> live sessions
    live_window_s: float  # live: running, or active within this many seconds
    context_fill: ContextFill
    memories: int
    ingest_lag_s: float
    seconds: float  # how long taking the snapshot took


class Stored(NamedTuple):
    """What a snapshot reads that changes only when the store does."""

    usage: list[ModelUsage]
    sessions: dict[str, int]
    memories: int


class StoredCache:
    """The last ``Stored`` read on one connection, reused while the store has not changed.

    Summing the quarter-hour rows per provider and model is most of a
    snapshot's time (50 ms at a year of heavy use), and between two scrapes of
    an idle machine nothing changed. A caller that keeps one connection for its
    snapshots (``PRAGMA data_version`` moves only for other connections'
    commits, ``total_changes`` for its own) passes one of these.
    """

    def __init__(self) -> None:
        self._conn: apsw.Connection | None = None  # versions of another connection say nothing
        self._key: tuple[int, int, int] | None = None
        self._stored: Stored | None = None

    def get(self, conn: apsw.Connection, max_models: int) -> Stored:
        seen = changes.data_version(conn)  # before reading: a commit during the read is news next time
        if self._stored is not None and conn is self._conn and self._key == (seen, conn.total_changes(), max_models):
            return self._stored
        stored = _stored(conn, max_models)
        self._conn = conn
        self._key, self._stored = (seen, conn.total_changes(), max_models), stored  # after our own refresh's writes
        return stored


def snapshot(conn: apsw.Connection, config: Config, *, now: float | None = None,
             cache: StoredCache | None = None) -> Snapshot:
    """The store's figures now; ``cache`` (kept with ``conn``) spares reading again what did not change."""
    started = time.perf_counter()
    now = time.time() if now is None else now
    stored = cache.get(conn, config.metrics.max_models) if cache else _stored(conn, config.metrics.max_models)
    window = health.stopped_after_s(config)
    running = processes.running()
    since = min([now - window, *(p.started_at - _RUNNING_MARGIN_S for p in running)])
    recent = iso(now - window)  # ISO times in one form compare as they sort
    live_sessions = [s for s in list_sessions(conn, config, Filters(since=since), now=now)
                     if s.active or (s.last_activity or "") >= recent]
    active: dict[str, int] = {}
    live: dict[str, dict[str, int]] = {}
    fills: list[tuple[str, float]] = []
    for s in live_sessions:
        if s.active:
            active[s.provider] = active.get(s.provider, 0) + 1
        by_status = live.setdefault(s.provider, dict.fromkeys(HEALTH_STATUSES, 0))
        by_status[s.health.status] = by_status.get(s.health.status, 0) + 1
        if s.context.limit:
            fills.append((s.provider, s.context.used / s.context.limit))
    return Snapshot(
        taken_at=now, usage=stored.usage, sessions=stored.sessions, active=active, live=live, live_window_s=window,
        context_fill=_fill(fills), memories=stored.memories, ingest_lag_s=_ingest_lag(conn),
        seconds=time.perf_counter() - started,
    )


def _stored(conn: apsw.Connection, max_models: int) -> Stored:
    usage = _usage(conn, max_models)
    sessions = {provider: n for provider, n in conn.execute(
        "SELECT provider, count(*) FROM sessions GROUP BY provider ORDER BY provider")}
    return Stored(usage, sessions, int(conn.execute("SELECT count(*) FROM memories").get or 0))


def _usage(conn: apsw.Connection, max_models: int) -> list[ModelUsage]:
    """Usage per provider and model from the quarter-hour sums; past the ``max_models``
    models with the most tokens, each provider's rest as one ``OTHER`` row."""
    quarters.refresh(conn)
    rows = [ModelUsage(provider or UNKNOWN, model or UNKNOWN, int(i), int(o), int(cc), int(cr), float(cost),
                       int(unpriced))
            for provider, model, i, o, cc, cr, cost, unpriced in conn.execute(
                "SELECT provider, model, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), "
                "sum(cache_read_tokens), total(cost_usd), sum(unpriced) FROM usage_quarters GROUP BY provider, model")]
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.model] = totals.get(r.model, 0) + _tokens(r)
    kept = set(sorted(totals, key=lambda m: (-totals[m], m))[:max_models])
    out = [r for r in rows if r.model in kept]
    rest: dict[str, list[float]] = {}
    for r in rows:
        if r.model not in kept:
            acc = rest.setdefault(r.provider, [0, 0, 0, 0, 0.0, 0])
            for n, value in enumerate((r.input_tokens, r.output_tokens, r.cache_creation_tokens,
                                       r.cache_read_tokens, r.cost_usd, r.unpriced_responses)):
                acc[n] += value
    out += [ModelUsage(provider, OTHER, int(i), int(o), int(cc), int(cr), cost, int(unpriced))
            for provider, (i, o, cc, cr, cost, unpriced) in rest.items()]
    return sorted(out, key=lambda r: (r.provider, r.model))


def _tokens(r: ModelUsage) -> int:
    return r.input_tokens + r.output_tokens + r.cache_creation_tokens + r.cache_read_tokens


def _fill(fills: list[tuple[str, float]]) -> ContextFill:
    buckets = [(bound, sum(1 for _, f in fills if f <= bound)) for bound in FILL_BUCKETS]
    biggest: dict[str, float] = {}
    for provider, f in fills:
        biggest[provider] = max(biggest.get(provider, 0.0), f)
    return ContextFill(buckets, len(fills), sum(f for _, f in fills), biggest)


def _ingest_lag(conn: apsw.Connection) -> float:
    """Seconds of log writes the store has not read yet: over the ``LAG_LOGS`` logs read
    most recently, the most by which a log's last write on disk is newer than its last
    write the store read; 0 when each is read to its end.

    ``serve`` reads a changed log within a second, so this stays at 0 but for the
    moment a write is in flight; it grows while scans fail or nothing is scanning.
    A log the store has never read counts from the scan that first finds it.
    """
    lag_ns = 0
    for path, mtime_ns in conn.execute(
            "SELECT path, mtime_ns FROM source_files ORDER BY mtime_ns DESC LIMIT ?", (LAG_LOGS,)):
        try:
            st = os.stat(path)
        except OSError:
            continue  # gone, or not a plain file path (the gone logs are ingest's business)
        if st.st_mtime_ns > mtime_ns:
            lag_ns = max(lag_ns, st.st_mtime_ns - mtime_ns)
    return lag_ns / 1e9
