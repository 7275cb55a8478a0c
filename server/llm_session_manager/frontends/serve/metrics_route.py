"""``GET /metrics`` on serve's HTTP port: the store's figures for Prometheus (docs/metrics.md).

Each scrape takes a new ``services.metrics.Snapshot`` (in a worker thread,
through the engine) and ``SnapshotCollector`` turns it into metric families
for ``prometheus_client``'s renderer: no counter lives in this process, so
what Prometheus reads is what the store says, as ``usage --json`` does.
Prometheus text 0.0.4 by default, OpenMetrics when the scraper asks for it
(``Accept``), as ``prometheus_client`` negotiates.

The doors are ``/mcp``'s: on loopback only requests whose ``Host`` (and
``Origin``, if sent) is a local name are answered (403 otherwise: a web page
must not read the user's usage through DNS rebinding); beyond loopback
``bearer_auth.RequireToken`` stands in front of every route.

``MetricsRoute`` takes any async source of snapshots and ``exposition`` any
snapshot, so another server (the team server) can serve the same text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from .bearer_auth import ASGIApp, Receive, Scope, Send
from .local_headers import local

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from ...services.metric_families import Family
    from ...services.metrics import Snapshot

logger = logging.getLogger(__name__)

PATH = "/metrics"
RETRY_AFTER_S = 5


class SnapshotCollector:
    """A ``prometheus_client`` collector of one snapshot's families (``families``)."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap

    def collect(self) -> Iterator[Metric]:
        from ...services.metric_families import families

        for family in families(self._snap):
            yield _metric(family)


def _metric(family: Family) -> Metric:
    from prometheus_client.core import CounterMetricFamily, GaugeHistogramMetricFamily, GaugeMetricFamily

    labels = sorted({name for s in family.samples for name in s.labels if name != "le"})
    if family.kind == "gaugehistogram":
        buckets = [(s.labels["le"], s.value) for s in family.samples]
        return GaugeHistogramMetricFamily(family.name, family.help, buckets=buckets, gsum_value=family.sum)
    metric = (CounterMetricFamily if family.kind == "counter" else GaugeMetricFamily)(
        family.name, family.help, labels=labels)
    for s in family.samples:
        metric.add_metric([s.labels[name] for name in labels], s.value)
    return metric


def exposition(snap: Snapshot, accept: str = "") -> tuple[bytes, str]:
    """The Prometheus exposition of ``snap`` in the format ``accept`` asks for; the body and its content type."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import choose_encoder

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snap))
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type


class MetricsRoute:
    """Answers ``PATH``; every other request goes on to ``app``."""

    def __init__(self, app: ASGIApp, take_snapshot: Callable[[], Awaitable[Snapshot]], local_only: bool) -> None:
        self._app = app
        self._take = take_snapshot
        self._local_only = local_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != PATH:
            await self._app(scope, receive, send)
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}
        if self._local_only and not local(headers):
            await _reply(send, 403, b"only local clients may read the metrics\n")
        elif scope.get("method") not in ("GET", "HEAD"):
            await _reply(send, 405, b"GET only\n", [(b"allow", b"GET, HEAD")])
        else:
            import trio

            from ...core.errors import LlmSessionError

            try:
                snap = await self._take()
            except LlmSessionError as e:  # the store is locked or damaged: say so, and Prometheus tries again
                logger.warning("metrics: cannot read the store now: %s", e)
                await _reply(send, 503, f"cannot read the store now: {e}\n".encode(),
                             [(b"retry-after", str(RETRY_AFTER_S).encode())])
                return
            body, content_type = await trio.to_thread.run_sync(exposition, snap, headers.get("accept", ""))
            await _reply(send, 200, b"" if scope.get("method") == "HEAD" else body, content_type=content_type,
                         length=len(body))


async def _reply(send: Send, code: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None, *,
                 content_type: str = "text/plain; charset=utf-8", length: int | None = None) -> None:
    headers: list[Any] = [(b"content-type", content_type.encode()),
                          (b"content-length", str(len(body) if length is None else length).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
