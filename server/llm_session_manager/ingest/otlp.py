"""OTLP exports from the assistants, decoded and turned into the usage rows their logs give.

The bodies are decoded with the official OpenTelemetry protobuf definitions
(``opentelemetry-proto``): binary protobuf, or OTLP/JSON through protobuf's
``json_format`` (lowerCamelCase names, 64-bit integers as strings, unknown
fields ignored, as the OTLP/HTTP spec asks of a receiver).

What counts as a billed response, per assistant (docs/otel.md; attribute names
exactly as each one documents them; tests/fixtures/*/otlp/ holds samples):

* Claude Code: the ``claude_code.api_request`` event: ``input_tokens`` (fresh
  input, as in its transcripts), ``output_tokens``, ``cache_read_tokens``,
  ``cache_creation_tokens``, ``cost_usd``, ``request_id``, ``model``,
  ``session.id``, and for attribution ``query_source``, ``agent.name``,
  ``skill.name``, ``mcp_server.name``. Claude Code sends numbers as strings at
  times; both are read. Its ``claude_code.token.usage`` and
  ``claude_code.cost.usage`` metrics are kept as the session's own tally.
* Codex: ``codex.sse_event`` with ``event.kind`` = ``response.completed``:
  ``input_token_count`` (cached input included), ``cached_token_count``,
  ``output_token_count`` (reasoning included), ``reasoning_token_count``;
  the session is ``conversation.id``.
* Gemini CLI: ``gemini_cli.api_response``: ``input_token_count`` (cached
  included), ``cached_content_token_count``, ``output_token_count``,
  ``thoughts_token_count``, ``tool_token_count``; the session is ``session.id``.
* Copilot CLI reports on trace spans, not log events: ``otlp_spans.py``.

Token fields map as the log sources map them (``sources/codex``,
``sources/gemini``), so an OTLP row and the log row that later supersedes it
(``store/otlp_usage.py``) agree. Other events and metrics are accepted and
ignored. A usage event without a session or with unreadable counts is
rejected: the receiver says so in its partial-success answer.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import apsw

from ..core import pricing
from ..core.errors import BadInput
from ..store import otlp_usage
from ..store.otlp_usage import Heard, MetricPoint
from .otlp_values import Unusable, attributes, collect, count, number, priced, seconds, text

CLAUDE, CODEX, GEMINI = "claude-code", "codex", "gemini"
_CLAUDE_METRICS = {"claude_code.token.usage", "claude_code.cost.usage"}
_DELTA = 1  # AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA


MAX_BODY = 32 << 20  # bytes of an export, before or after inflating: far beyond an assistant's batch


class BodyTooLarge(Exception):
    """A gzip body that inflates past ``MAX_BODY`` (answered 413)."""


def gunzip(body: bytes) -> bytes:
    """A gzip-encoded export's bytes, inflated no further than ``MAX_BODY``."""
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(body, MAX_BODY)
        if inflate.unconsumed_tail:
            raise BodyTooLarge
        out += inflate.flush()
    except zlib.error as e:
        raise BadInput(f"the gzip body is damaged: {e}") from e
    if not inflate.eof:
        raise BadInput("the gzip body is cut short")
    return out


class Receipt(NamedTuple):
    """What one export brought: records used, records rejected and why."""

    counted: int
    rejected: int
    message: str


def decode(kind: str, body: bytes, as_json: bool) -> Any:
    """``body`` as an ``Export{Logs,Metrics,Trace}ServiceRequest``; ``BadInput`` if it is not one."""
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError

    request = _request_class(kind)()
    try:
        if as_json:
            json_format.Parse(body.decode("utf-8"), request, ignore_unknown_fields=True)
        else:
            request.ParseFromString(body)
    except (DecodeError, json_format.ParseError, UnicodeDecodeError, RecursionError) as e:
        raise BadInput(f"not an OTLP {kind} export: {str(e) or type(e).__name__}") from e
    return request


def answer(kind: str, receipt: Receipt | None, as_json: bool) -> bytes:
    """The ``Export{Logs,Metrics,Trace}ServiceResponse`` for ``receipt``, encoded as the request was."""
    from google.protobuf import json_format

    response = _response_class(kind)()
    if receipt is not None and receipt.rejected:
        partial = response.partial_success
        if kind == "logs":
            partial.rejected_log_records = receipt.rejected
        elif kind == "traces":
            partial.rejected_spans = receipt.rejected
        else:
            partial.rejected_data_points = receipt.rejected
        partial.error_message = receipt.message
    if as_json:
        return json_format.MessageToJson(response, indent=None).encode()
    return response.SerializeToString()


def status(message: str, as_json: bool) -> bytes:
    """A ``google.rpc.Status`` saying why a request failed, encoded as the request was."""
    from google.protobuf import json_format
    from google.rpc import status_pb2

    s = status_pb2.Status(code=3, message=message)  # 3: INVALID_ARGUMENT
    return json_format.MessageToJson(s, indent=None).encode() if as_json else s.SerializeToString()


def receive_logs(conn: apsw.Connection, request: Any) -> Receipt:
    """Store the billed responses of a logs export (``store.otlp_usage``)."""
    heard, rejected = responses(request)
    counted = otlp_usage.record(conn, heard) if heard else 0
    return Receipt(counted, len(rejected), rejection(rejected))


def receive_traces(conn: apsw.Connection, request: Any) -> Receipt:
    """Store the billed responses of a trace export (Copilot CLI's ``chat`` spans)."""
    heard, rejected = heard_of("traces", request)
    counted = otlp_usage.record(conn, heard) if heard else 0
    return Receipt(counted, len(rejected), rejection(rejected))


def heard_of(kind: str, request: Any) -> tuple[list[Heard], list[str]]:
    """The billed responses of a logs or trace export, and why each unusable one was rejected."""
    if kind == "traces":
        from . import otlp_spans

        return otlp_spans.responses(request)
    return responses(request)


def rejection(rejected: list[str]) -> str:
    """The partial-success message for the records that could not be used."""
    return "; ".join(sorted(set(rejected)))[:500]


def responses(request: Any) -> tuple[list[Heard], list[str]]:
    """The billed responses of a logs export, and why each unusable usage record was rejected
    (the team server stores them its own way: team/otlp_routes.py)."""
    prices = pricing.load_table()
    return collect(_records(request), lambda r: _heard(*r, prices))


def _records(request: Any) -> Iterator[tuple[Any, Any]]:
    """Each log record with its resource's ``service.name``."""
    for resource_logs in request.resource_logs:
        service = attributes(resource_logs.resource.attributes).get("service.name")
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                yield record, service


def receive_metrics(conn: apsw.Connection, request: Any) -> Receipt:
    """Keep Claude Code's own per-session token and cost tallies; other metrics are ignored."""
    points: list[MetricPoint] = []
    rejected: list[str] = []
    for resource_metrics in request.resource_metrics:
        resource = attributes(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name not in _CLAUDE_METRICS or not metric.HasField("sum"):
                    continue
                delta = metric.sum.aggregation_temporality == _DELTA
                for point in metric.sum.data_points:
                    attrs = {**resource, **attributes(point.attributes)}
                    session = text(attrs.get("session.id"))
                    if not session:
                        rejected.append(f"{metric.name} without session.id")
                        continue
                    value = point.as_double if point.HasField("as_double") else float(point.as_int)
                    points.append(MetricPoint(session, CLAUDE, metric.name, text(attrs.get("model")) or "",
                                              text(attrs.get("type")) or "", value, delta,
                                              seconds(point.time_unix_nano) or time.time()))
    if points:
        otlp_usage.record_metrics(conn, points)
    return Receipt(len(points), len(rejected), rejection(rejected))


def _heard(record: Any, service: Any, prices: pricing.PriceTable) -> Heard | None:
    attrs = attributes(record.attributes)
    name = text(attrs.get("event.name")) or ""
    body = record.body.string_value if record.body.HasField("string_value") else ""
    ts = seconds(record.time_unix_nano) or _iso(attrs.get("event.timestamp")) \
        or seconds(record.observed_time_unix_nano) or time.time()
    if name in ("api_request", "claude_code.api_request") or body == "claude_code.api_request":
        return _claude(attrs, ts, prices)
    if name == "codex.sse_event" or (name == "sse_event" and service and "codex" in str(service)):
        if text(attrs.get("event.kind")) != "response.completed":
            return None
        return _codex(attrs, ts, record, prices)
    if name == "gemini_cli.api_response":
        return _gemini(attrs, ts, record, prices)
    return None


def _claude(a: Mapping[str, Any], ts: float, prices: pricing.PriceTable) -> Heard:
    session, model = _session(a, "session.id", "claude_code.api_request"), text(a.get("model")) or "unknown"
    fresh, output = count(a, "input_tokens"), count(a, "output_tokens")
    written, read = count(a, "cache_creation_tokens"), count(a, "cache_read_tokens")
    request_id = text(a.get("request_id")) or None
    own = number(a.get("cost_usd"))
    key = f"{otlp_usage.PREFIX}{CLAUDE}:{request_id or f'{session}:{ts!r}'}"
    agent = text(a.get("agent.name")) or None
    row = priced(prices, key, session, ts, model, fresh, output, written, read, own, sidechain=agent is not None)
    return Heard(row, CLAUDE, request_id, text(a.get("query_source")) or None, agent,
                 text(a.get("skill.name")) or None, text(a.get("mcp_server.name")) or None)


def _codex(a: Mapping[str, Any], ts: float, record: Any, prices: pricing.PriceTable) -> Heard:
    session, model = _session(a, "conversation.id", "codex.sse_event"), text(a.get("model")) or "gpt-5"
    inp, cached, output = count(a, "input_token_count"), count(a, "cached_token_count"), count(a, "output_token_count")
    cached = min(cached, inp)
    key = f"{otlp_usage.PREFIX}{CODEX}:{session}:{record.time_unix_nano or ts!r}:{inp}:{output}"
    return Heard(priced(prices, key, session, ts, model, inp - cached, output, 0, cached, None), CODEX, None)


def _gemini(a: Mapping[str, Any], ts: float, record: Any, prices: pricing.PriceTable) -> Heard:
    session, model = _session(a, "session.id", "gemini_cli.api_response"), text(a.get("model")) or "gemini-2.5-pro"
    inp, cached = count(a, "input_token_count"), count(a, "cached_content_token_count")
    output, thoughts, tool = count(a, "output_token_count"), count(a, "thoughts_token_count"), count(a, "tool_token_count")
    cached = min(cached, inp)
    prompt = text(a.get("prompt_id")) or ""
    key = f"{otlp_usage.PREFIX}{GEMINI}:{session}:{prompt}:{record.time_unix_nano or ts!r}"
    row = priced(prices, key, session, ts, model, inp - cached + tool, output + thoughts, 0, cached, None)
    return Heard(row, GEMINI, None)


def _session(a: Mapping[str, Any], name: str, event: str) -> str:
    session = text(a.get(name))
    if not session:
        raise Unusable(f"{event} without {name}")
    return session


def _iso(v: Any) -> float | None:
    if not isinstance(v, str):
        return None
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _request_class(kind: str) -> Any:
    if kind == "traces":
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        return ExportTraceServiceRequest
    if kind == "logs":
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

        return ExportLogsServiceRequest
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    return ExportMetricsServiceRequest


def _response_class(kind: str) -> Any:
    if kind == "traces":
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

        return ExportTraceServiceResponse
    if kind == "logs":
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

        return ExportLogsServiceResponse
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse

    return ExportMetricsServiceResponse
