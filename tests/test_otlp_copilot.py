"""Copilot CLI reports to `llm-session serve` over OTLP traces (docs/otel.md).

Copilot CLI exports its token usage on `chat` spans (tests/fixtures/copilot/otlp/).
Each test runs a real `serve` and posts to `/v1/traces` over loopback: with the real
OpenTelemetry SDK's OTLP/HTTP span exporter (protobuf), spans shaped as the CLI
makes them, or with the OTLP/JSON the CLI's own exporter sends.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx2
from conftest import FIXTURES
from otlp_helpers import stored, totals, wait_for

SESSION = "5e0c9a7d-3b14-4f62-8a9e-1d7c6b5a4f30"  # a Copilot CLI session with a log
LOGGED_CALL = "resp_0b1c2d3e4f5a6b7c8d9e0f1a"  # an apiCallId its events.jsonl has
NEW_CALL = "resp_1c2d3e4f5a6b7c8d9e0f1a2b"  # one it does not have yet
SPANS_JSON = FIXTURES / "copilot" / "otlp" / "chat_spans.json"


def _copilot_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "logs" / "copilot"
    shutil.copytree(FIXTURES / "copilot" / "copilot-home", home)
    monkeypatch.setenv("COPILOT_HOME", str(home))
    return home


def _serve(start_serve) -> str:
    mcp, _ = start_serve()
    start_serve.wait_for_scan(0)
    return mcp.removesuffix("/mcp")


def _copilot_turn(session: str, calls: list[dict[str, object]]) -> list:
    """One user message of Copilot CLI as its runtime traces it: an ``invoke_agent`` span
    with the turn's totals, a ``chat <model>`` span per model call, an ``execute_tool``
    span; resource and scope as the CLI names them. The finished spans, to export."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, set_span_in_context

    kept = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "github-copilot", "service.version": "1.0.12"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("github.copilot", "1.0.12")
    server = {"server.address": "api.githubcopilot.com", "server.port": 443}
    total = {k: sum(int(c[k]) for c in calls) for k in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",  # type: ignore[call-overload]
                                                       "gen_ai.usage.cache_read.input_tokens",
                                                       "gen_ai.usage.cache_creation.input_tokens")}
    agent = tracer.start_span("invoke_agent", kind=SpanKind.CLIENT, attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": "github", "gen_ai.agent.id": session,
        "gen_ai.conversation.id": session, "gen_ai.agent.version": "1.0.12",
        "gen_ai.request.model": "claude-sonnet-4.5", **server})
    inside = set_span_in_context(agent)
    for n, call in enumerate(calls):
        chat = tracer.start_span("chat claude-sonnet-4.5", kind=SpanKind.CLIENT, context=inside, attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "github",
            "gen_ai.request.model": "claude-sonnet-4.5", "gen_ai.conversation.id": session, **server})
        chat.set_attributes({"gen_ai.response.finish_reasons": ["stop"], "gen_ai.response.model": "claude-sonnet-4.5",
                             "github.copilot.cost": 1.0, "github.copilot.aiu": 12_000_000_000,
                             "github.copilot.server_duration": 3.2, "github.copilot.initiator": "user" if n == 0 else "agent",
                             "github.copilot.turn_id": str(n), "github.copilot.interaction_id": "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f",
                             **call})
        chat.end()
        tool = tracer.start_span("execute_tool view", context=inside, attributes={
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "view", "gen_ai.tool.type": "function",
            "gen_ai.tool.call.id": f"toolu_vrtx_{n:02d}"})
        tool.end()
    agent.set_attributes({**total, "gen_ai.response.finish_reasons": ["stop"], "github.copilot.turn_count": len(calls),
                          "github.copilot.cost": 1.0})
    agent.end()
    provider.shutdown()
    return list(kept.get_finished_spans())


def test_copilot_cli_chat_spans_sent_by_the_sdk_count_once_each(fixture_logs, start_serve, cli):
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    base = _serve(start_serve)
    before = totals(cli)
    session = "7a3c9e1f-2b4d-4f6a-8c0e-9d1b3f5a7c2e"  # no log of it here
    spans = _copilot_turn(session, [
        {"gen_ai.response.id": "resp_otlp_a", "gen_ai.usage.input_tokens": 21000, "gen_ai.usage.output_tokens": 250,
         "gen_ai.usage.cache_read.input_tokens": 16000, "gen_ai.usage.cache_creation.input_tokens": 3000},
        {"gen_ai.response.id": "resp_otlp_b", "gen_ai.usage.input_tokens": 21400, "gen_ai.usage.output_tokens": 90,
         "gen_ai.usage.cache_read.input_tokens": 21000, "gen_ai.usage.cache_creation.input_tokens": 0},
    ])
    for compression in (Compression.NoCompression, Compression.Gzip):  # the second: an exporter retrying
        exporter = OTLPSpanExporter(endpoint=f"{base}/v1/traces", timeout=10, compression=compression)
        assert exporter.export(spans) == SpanExportResult.SUCCESS
        exporter.shutdown()
    wait_for("SELECT provider, session_id, request_id, counted FROM otlp_requests ORDER BY request_id",
              [("copilot", session, "resp_otlp_a", 1), ("copilot", session, "resp_otlp_b", 1)])
    after = totals(cli)
    # Each call once; the invoke_agent span's totals are not a third call.
    assert after["input_tokens"] - before["input_tokens"] == (21000 - 16000 - 3000) + (21400 - 21000)
    assert after["output_tokens"] - before["output_tokens"] == 250 + 90
    assert after["cache_read_tokens"] - before["cache_read_tokens"] == 16000 + 21000
    assert after["cache_creation_tokens"] - before["cache_creation_tokens"] == 3000
    rows = cli("list", "--json", "--no-scan", "--provider", "copilot").json()
    listed = rows["sessions"] if isinstance(rows, dict) else rows
    mine = [s for s in listed if s["id"] == session]
    assert mine and mine[0]["model"] == "claude-sonnet-4.5"


def test_copilot_otlp_json_counts_until_the_log_has_the_call(fixture_logs, start_serve, cli, tmp_path, monkeypatch):
    home = _copilot_home(tmp_path, monkeypatch)
    base = _serve(start_serve)
    logs_only = totals(cli)
    r = httpx2.post(f"{base}/v1/traces", content=SPANS_JSON.read_bytes(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {}  # a full success: no partialSuccess
    # The call the log already has is recorded, not counted; the new one counts until its log line comes.
    wait_for("SELECT request_id, counted FROM otlp_requests ORDER BY request_id", [(LOGGED_CALL, 0), (NEW_CALL, 1)])
    heard = totals(cli)
    assert heard["input_tokens"] - logs_only["input_tokens"] == 15640 - 9000
    assert heard["output_tokens"] - logs_only["output_tokens"] == 88
    assert heard["cache_read_tokens"] - logs_only["cache_read_tokens"] == 9000

    log = home / "session-state" / SESSION / "events.jsonl"
    text = log.read_text()  # its last line was cut off by a crash; the resumed CLI writes on after it
    last = json.loads(text.splitlines()[-2])
    line = {"type": "assistant.message",
            "data": {"messageId": "9f3b1da4-8e7c-4b5d-a0f4-6d0a1b2c3e45", "apiCallId": NEW_CALL,
                     "content": "Done.", "toolRequests": [], "interactionId": "e7d4a5b6-0c8f-4e9d-8a1b-6f5c4d3e2a1b",
                     "model": "gpt-5", "outputTokens": 88},
            "id": "2c7e9a41-5b3d-4f8e-9a6c-1e0d2f4b6a8c", "timestamp": "2026-03-11T16:41:10.000Z",
            "parentId": last["id"]}
    with log.open("a") as f:
        f.write("\n" + json.dumps(line, separators=(",", ":")) + "\n")
    wait_for("SELECT count(*) FROM otlp_requests WHERE counted", [(0,)])
    with_both = totals(cli)
    # The same logs read into a store that never heard OTLP give the same totals.
    r = cli("usage", "--json", env={"LLM_SESSION_DATA_DIR": str(tmp_path / "logs-only")})
    assert r.code == 0, r.err
    assert r.json()["totals"] == with_both


def test_a_copilot_chat_span_without_its_session_is_rejected_in_partial_success(fixture_logs, start_serve):
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    base = _serve(start_serve)
    body = json.loads(SPANS_JSON.read_text())
    for span in body["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        span["attributes"] = [a for a in span["attributes"] if a["key"] != "gen_ai.conversation.id"]
    request = json_format.ParseDict(body, trace_service_pb2.ExportTraceServiceRequest())
    r = httpx2.post(f"{base}/v1/traces", content=request.SerializeToString(),
                    headers={"Content-Type": "application/x-protobuf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    answer = trace_service_pb2.ExportTraceServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_spans == 2
    assert answer.partial_success.error_message == "chat span without gen_ai.conversation.id"


def test_spans_of_other_programs_are_accepted_and_ignored(fixture_logs, start_serve):
    base = _serve(start_serve)
    body = json.loads(SPANS_JSON.read_text())
    resource = body["resourceSpans"][0]
    resource["resource"]["attributes"][0]["value"]["stringValue"] = "my-rag-app"
    resource["scopeSpans"][0]["scope"]["name"] = "opentelemetry.instrumentation.openai_v2"
    r = httpx2.post(f"{base}/v1/traces", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == {}
    r = httpx2.post(f"{base}/v1/traces", content=b"{\"resourceSpans\": 7}", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"]
    assert stored().execute("SELECT count(*) FROM otlp_requests").fetchall() == [(0,)]
