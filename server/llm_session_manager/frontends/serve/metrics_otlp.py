"""``serve`` pushing the ``/metrics`` figures to an OTLP/HTTP backend (docs/metrics.md).

For backends that take OTLP rather than scrape Prometheus (Datadog, New
Relic, Honeycomb, an OpenTelemetry Collector): with ``metrics.otlp_endpoint``
set, every ``otlp_interval`` seconds a snapshot is taken (as a scrape takes
one) and the OpenTelemetry SDK's observable instruments report its families
(``services.metric_families``) through its OTLP/HTTP protobuf exporter. Same
names as Prometheus' families, without ``_total`` (an OTLP counter is a
monotonic sum; a Prometheus-compatible backend adds ``_total`` back); the
context fill histogram is the gauge ``..._bucket`` with an ``le`` attribute,
as its Prometheus buckets are.

The reader never runs a thread of its own (an infinite interval): this task
paces the exports in serve's nursery and runs each in a worker thread, so a
slow or unreachable backend delays nothing else and stopping ``serve`` does
not wait for it. A failed export is logged once (and its recovery), never
fatal: the next one carries the current totals anyway.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import trio

from ...core.errors import ConfigError, LlmSessionError
from ...services.metric_families import Family, families

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    from ...core.config import MetricsConfig
    from ...services.metrics import Snapshot

logger = logging.getLogger(__name__)

SERVICE_NAME = "llm-session-manager"


def headers(settings: MetricsConfig, env: dict[str, str] | None = None) -> dict[str, str]:
    """The headers every export sends: ``otlp_headers`` and the values of ``otlp_headers_env``'s variables."""
    env = dict(os.environ) if env is None else env
    out = dict(settings.otlp_headers)
    for header, variable in settings.otlp_headers_env.items():
        value = env.get(variable)
        if not value:
            raise ConfigError(f"metrics.otlp_headers_env.{header}: the environment variable {variable} is not set")
        out[header] = value
    return out


class OtlpMetrics:
    """The exporter ``settings`` ask for; ``run`` exports until cancelled."""

    def __init__(self, settings: MetricsConfig, env: dict[str, str] | None = None) -> None:
        if not settings.otlp_endpoint:
            raise ConfigError("metrics.otlp_endpoint is not set")
        if not settings.otlp_endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"metrics.otlp_endpoint must be an http:// or https:// URL, "
                              f"got {settings.otlp_endpoint!r}")
        self.settings = settings
        self._headers = headers(settings, env)
        self._current: dict[str, Family] = {}

    async def run(self, take_snapshot: Callable[[], Awaitable[Snapshot]]) -> None:
        provider, reader = await trio.to_thread.run_sync(self._build)  # the SDK's imports: 0.2 s
        logger.info("exporting metrics to %s every %g s", self.settings.otlp_endpoint, self.settings.otlp_interval)
        meter = provider.get_meter("llm_session_manager")
        instruments: set[str] = set()
        try:
            while True:
                try:
                    snap = await take_snapshot()
                except LlmSessionError as e:
                    logger.warning("metrics: cannot read the store now: %s", e)
                else:
                    self._current = {f.name: f for f in families(snap)}
                    for family in self._current.values():
                        if family.name not in instruments:
                            _instrument(meter, family, self._observe)
                            instruments.add(family.name)
                    await trio.to_thread.run_sync(
                        lambda: reader.collect(timeout_millis=self.settings.otlp_timeout * 1000),
                        abandon_on_cancel=True)
                await trio.sleep(self.settings.otlp_interval)
        finally:
            provider.shutdown(timeout_millis=1000)  # no thread to join, no final export: quick

    def _build(self) -> tuple[MeterProvider, PeriodicExportingMetricReader]:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource

        from ... import __version__

        reader = PeriodicExportingMetricReader(
            _exporter(self.settings.otlp_endpoint or "", self._headers, self.settings.otlp_timeout,
                      self.settings.otlp_interval),
            export_interval_millis=math.inf, export_timeout_millis=self.settings.otlp_timeout * 1000)
        resource = Resource.create({"service.name": SERVICE_NAME, "service.version": __version__})
        return MeterProvider(metric_readers=[reader], resource=resource), reader

    def _observe(self, name: str) -> Iterable[Observation]:
        from opentelemetry.metrics import Observation

        family = self._current.get(name)
        return [] if family is None else [Observation(s.value, s.labels) for s in family.samples]


def _instrument(meter: Any, family: Family, observe: Callable[[str], Iterable[Observation]]) -> None:
    """An observable instrument reporting ``family``'s samples at each collection."""
    def callback(_options: CallbackOptions, name: str = family.name) -> Iterable[Observation]:
        return observe(name)

    if family.kind == "counter":
        meter.create_observable_counter(family.name, [callback], unit=family.unit, description=family.help)
    elif family.kind == "gauge":
        meter.create_observable_gauge(family.name, [callback], unit=family.unit, description=family.help)
    else:  # a distribution now: its cumulative bucket counts, as Prometheus' _bucket series
        meter.create_observable_gauge(family.name + "_bucket", [callback], unit="{session}",
                                      description=family.help + " Cumulative sessions at or under le.")


class _Said(logging.Filter):
    """The SDK's exporter logs each failed export (at ERROR, every interval); we say it once,
    with its first words of that export (the cause, before "retrying" and "giving up"), and let
    its own lines through only to ``--verbose``."""

    first = ""

    def filter(self, record: logging.LogRecord) -> bool:
        self.first = self.first or record.getMessage()
        return logger.isEnabledFor(logging.DEBUG)


def _exporter(endpoint: str, sent_headers: dict[str, str], timeout: float, interval: float) -> Any:
    """The SDK's OTLP/HTTP protobuf exporter, saying when exports start or stop working."""
    from opentelemetry.exporter.otlp.proto.http import metric_exporter
    from opentelemetry.sdk.metrics.export import MetricExportResult

    said = _Said()
    logging.getLogger(metric_exporter.__name__).addFilter(said)

    class Logged(metric_exporter.OTLPMetricExporter):
        failing = False
        interval = 0.0

        def export(self, *args: Any, **kwargs: Any) -> MetricExportResult:
            said.first = ""
            result = super().export(*args, **kwargs)
            failed = result is not MetricExportResult.SUCCESS
            if failed != self.failing:
                if failed:
                    logger.warning("metrics export to %s failed (%s); trying again every %g s", endpoint,
                                   said.first or "no reason given", self.interval)
                else:
                    logger.info("metrics export to %s works again", endpoint)
                self.failing = failed
            logger.debug("metrics exported to %s: %s", endpoint, result.name)
            return result

    exporter = Logged(endpoint=endpoint, headers=sent_headers, timeout=timeout)
    exporter.interval = interval
    return exporter
