"""Assistants that export OpenTelemetry report to `llm-session serve` directly (docs/otel.md).

Each test runs a real `serve` and posts to it over loopback: with the real
OpenTelemetry SDK and its OTLP/HTTP exporters (protobuf, gzip), or with the
OTLP/JSON payloads in tests/fixtures/*/otlp/ as the assistants send them.
"""

from __future__ import annotations

import copy
import gzip
import json
import time

import httpx2
import pytest
from conftest import FIXTURES
from otlp_helpers import stored, totals, wait_for

CLAUDE_SESSION = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
CLAUDE_LOG = FIXTURES / "claude-code" / "projects" / "-home-dev-shop" / f"{CLAUDE_SESSION}.jsonl"
LOGGED_REQUEST = "req_011CSB4"  # the last response of session B's transcript


def _fixture(path: str) -> dict:
    return json.loads((FIXTURES / path).read_text())


def _claude_attributes(**changes: str) -> dict[str, object]:
    """The attributes of Claude Code's api_request fixture, with ``changes``."""
    record = _fixture("claude-code/otlp/api_request.json")["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    attrs = {a["key"]: next(iter(a["value"].values())) for a in record["attributes"]}
    return {**attrs, **changes}


def _base(mcp_url: str) -> str:
    return mcp_url.removesuffix("/mcp")


def _serve(start_serve, args: tuple[str, ...] = ()) -> str:
    """Start `serve`, wait for its first scan of the logs, and return its base URL."""
    mcp, _ = start_serve(args=args)
    start_serve.wait_for_scan(0)
    return _base(mcp)


def _export_with_sdk(base: str, events: list[dict[str, object]], gzipped: bool = False) -> None:
    """Send ``events`` as Claude Code does: the OTel SDK's OTLP/HTTP protobuf log exporter."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    exporter = OTLPLogExporter(endpoint=f"{base}/v1/logs", timeout=10,
                               compression=Compression.Gzip if gzipped else Compression.NoCompression)
    provider = LoggerProvider(resource=Resource.create({"service.name": "claude-code", "service.version": "2.0.14"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("com.anthropic.claude_code.events", "2.0.14")
    for attrs in events:
        logger.emit(body="claude_code.api_request", attributes=attrs, timestamp=time.time_ns())  # type: ignore[arg-type]
    provider.shutdown()


def test_claude_code_requests_sent_by_the_sdk_are_counted_with_their_attribution(fixture_logs, start_serve, cli):
    base = _serve(start_serve)
    before = totals(cli)
    _export_with_sdk(base, [
        _claude_attributes(request_id="req_011OTLPa"),
        _claude_attributes(request_id="req_011OTLPb", query_source="agent:custom", **{
            "agent.name": "reviewer", "skill.name": "code-review", "mcp_server.name": "github"}),
    ], gzipped=True)
    wait_for("SELECT count(*) FROM usage WHERE dedup_key GLOB 'otlp:*'", [(2,)])
    after = totals(cli)
    assert after["input_tokens"] - before["input_tokens"] == 2 * 12
    assert after["output_tokens"] - before["output_tokens"] == 2 * 64
    assert after["cache_read_tokens"] - before["cache_read_tokens"] == 2 * 5120
    rows = stored().execute("SELECT request_id, query_source, agent_name FROM otlp_requests ORDER BY request_id")
    assert rows.fetchall() == [("req_011OTLPa", "repl_main_thread", None), ("req_011OTLPb", "agent:custom", "reviewer")]
    # What the logs do not say yet, OTLP does: the request is its agent's, skill's and MCP server's.
    one = (after["total_tokens"] - before["total_tokens"]) // 2
    for by, key in (("agent", "reviewer"), ("skill", "code-review"), ("mcp-server", "github")):
        rows = {r["key"]: r for r in cli("usage", "--by", by, "--json", "--no-scan").json()["rows"]}
        assert rows[key]["total_tokens"] == one, by


def test_a_request_in_both_the_transcript_and_otlp_is_counted_once(fixture_logs, start_serve, cli, tmp_path):
    base = _serve(start_serve)
    logs_only = totals(cli)
    # Heard over OTLP after the log had it: recorded, not counted.
    _export_with_sdk(base, [_claude_attributes(request_id=LOGGED_REQUEST)])
    wait_for("SELECT counted FROM otlp_requests", [(0,)])
    assert totals(cli) == logs_only

    # Heard over OTLP first, then the transcript brings the same response.
    _export_with_sdk(base, [_claude_attributes(request_id="req_011NEW", input_tokens="7", output_tokens="40",
                                                     cache_read_tokens="5120", cache_creation_tokens="0")])
    wait_for("SELECT count(*) FROM otlp_requests WHERE counted", [(1,)])
    assert totals(cli)["output_tokens"] == logs_only["output_tokens"] + 40
    log = fixture_logs.claude / "projects" / "-home-dev-shop" / f"{CLAUDE_SESSION}.jsonl"
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["requestId"] == LOGGED_REQUEST
    line = copy.deepcopy(last)
    line.update(uuid="e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", parentUuid=last["uuid"], requestId="req_011NEW",
                timestamp="2025-08-15T10:21:00.000Z")
    line["message"].update(id="msg_01NEWotlp")
    line["message"]["usage"].update(input_tokens=7, output_tokens=40, cache_read_input_tokens=5120,
                                    cache_creation_input_tokens=0,
                                    cache_creation={"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0})
    with log.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
    wait_for("SELECT count(*) FROM otlp_requests WHERE counted", [(0,)])
    with_both = totals(cli)
    assert with_both["output_tokens"] == logs_only["output_tokens"] + 40

    # The same logs read into a store that never heard OTLP give the same totals.
    fresh = {"LLM_SESSION_DATA_DIR": str(tmp_path / "logs-only")}
    r = cli("usage", "--json", env=fresh)
    assert r.code == 0, r.err
    assert r.json()["totals"] == with_both


def test_otlp_json_from_codex_and_gemini_counts_until_their_logs_have_the_session(store, start_serve, cli):
    base = _serve(start_serve)
    before = totals(cli)
    codex = _fixture("codex/otlp/sse_event_response_completed.json")  # a session whose rollout is read
    gemini = _fixture("gemini/otlp/api_response.json")  # a session with no log here
    for body in (codex, gemini):
        r = httpx2.post(f"{base}/v1/logs", content=json.dumps(body), headers={"Content-Type": "application/json"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert r.json() == {}  # a full success: no partialSuccess
    wait_for("SELECT provider, counted FROM otlp_requests ORDER BY provider", [("codex", 0), ("gemini", 1)])
    after = totals(cli)
    assert after["input_tokens"] - before["input_tokens"] == 8450 - 6000
    assert after["output_tokens"] - before["output_tokens"] == 312 + 210
    assert after["cache_read_tokens"] - before["cache_read_tokens"] == 6000


def test_claude_code_metrics_are_kept_as_the_sessions_own_tally(fixture_logs, start_serve, cli):
    base = _serve(start_serve)
    before = totals(cli)
    body = json.dumps(_fixture("claude-code/otlp/token_and_cost_metrics.json"))
    for _ in range(2):  # delta points add up
        r = httpx2.post(f"{base}/v1/metrics", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
    wait_for("SELECT type, value FROM otlp_session_totals WHERE metric = 'claude_code.token.usage' ORDER BY type",
              [("cacheCreation", 600.0), ("cacheRead", 10240.0), ("input", 24.0), ("output", 128.0)])
    assert totals(cli) == before  # never added to usage: the events carry the same tokens


def test_metrics_sent_by_the_sdk_exporter_are_accepted(fixture_logs, start_serve):
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    mcp, _ = start_serve()
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{_base(mcp)}/v1/metrics", timeout=10),
                                           export_interval_millis=60_000)
    provider = MeterProvider(resource=Resource.create({"service.name": "claude-code"}), metric_readers=[reader])
    counter = provider.get_meter("com.anthropic.claude_code").create_counter("claude_code.token.usage")
    counter.add(1234, {"session.id": CLAUDE_SESSION, "model": "claude-sonnet-4-5-20250929", "type": "output"})
    provider.shutdown()  # exports once
    wait_for("SELECT value FROM otlp_session_totals WHERE type = 'output'", [(1234.0,)])


def test_protobuf_requests_get_protobuf_answers_with_partial_success(fixture_logs, start_serve):
    from google.protobuf import json_format
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2

    mcp, _ = start_serve()
    body = _fixture("claude-code/otlp/api_request.json")
    broken = copy.deepcopy(body)
    attrs = broken["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
    for a in attrs:
        if a["key"] == "input_tokens":
            a["value"] = {"stringValue": "many"}
    request = json_format.ParseDict(broken, logs_service_pb2.ExportLogsServiceRequest())
    r = httpx2.post(f"{_base(mcp)}/v1/logs", content=gzip.compress(request.SerializeToString()),
                    headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    answer = logs_service_pb2.ExportLogsServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_log_records == 1
    assert "input_tokens is not a count" in answer.partial_success.error_message


@pytest.mark.parametrize(("headers", "body", "status"), [
    ({"Content-Type": "application/x-protobuf"}, b"\xff\xff\xff not protobuf", 400),
    ({"Content-Type": "application/json"}, b"{\"resourceLogs\": [", 400),
    ({"Content-Type": "application/json"}, b"{\"resourceLogs\": 7}", 400),
    ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"not gzip at all", 400),
    ({"Content-Type": "application/json", "Content-Encoding": "br"}, b"{}", 415),
    ({"Content-Type": "text/plain"}, b"{}", 415),
    ({"Content-Type": "application/json", "Host": "evil.example"}, b"{}", 403),
    ({"Content-Type": "application/json", "Origin": "https://evil.example"}, b"{}", 403),
])
def test_bad_requests_get_the_right_4xx_and_serve_goes_on(fixture_logs, start_serve, headers, body, status):
    mcp, _ = start_serve()
    r = httpx2.post(f"{_base(mcp)}/v1/logs", content=body, headers=headers, timeout=10)
    assert r.status_code == status, r.text
    if r.headers["content-type"] == "application/json":
        assert r.json()["message"]
    ok = httpx2.post(f"{_base(mcp)}/v1/logs", content=b"{}", headers={"Content-Type": "application/json"})
    assert ok.status_code == 200


def test_a_get_is_refused_and_a_body_past_the_limit_is_too_large(fixture_logs, start_serve):
    mcp, _ = start_serve()
    r = httpx2.get(f"{_base(mcp)}/v1/metrics")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    bomb = gzip.compress(b"\0" * (40 << 20))
    r = httpx2.post(f"{_base(mcp)}/v1/logs", content=bomb,
                    headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, timeout=30)
    assert r.status_code == 413


def test_beyond_loopback_otlp_wants_the_token(fixture_logs, start_serve, cli):
    token = cli("serve", "--print-token").out.strip()
    mcp, _ = start_serve(args=("--host", "0.0.0.0", "--allow-remote"))
    url = _base(mcp).replace("0.0.0.0", "127.0.0.1") + "/v1/logs"
    body = json.dumps(_fixture("claude-code/otlp/api_request.json"))
    assert httpx2.post(url, content=body, headers={"Content-Type": "application/json"}).status_code == 401
    r = httpx2.post(url, content=body, headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    assert r.status_code == 200
