"""Monitoring: `llm-session serve` shows the store's figures at /metrics and exports them over OTLP.

Each test runs a real `serve` on a free loopback port over the fixture logs,
scrapes it with an HTTP client and reads the text with prometheus_client's
own parser, or receives its OTLP exports on a loopback HTTP server of its own
and decodes them with the official protobuf definitions (docs/metrics.md).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest
from conftest import CODEX_RECENT, append_codex_turn
from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).parent.parent / "docs" / "grafana" / "llm-session-manager.json"
TOKEN_TYPES = {"input": "input_tokens", "output": "output_tokens", "cache_creation": "cache_creation_tokens",
               "cache_read": "cache_read_tokens"}


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name -> (labels, value) of every sample in a Prometheus exposition."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def _by(samples: list[tuple[dict[str, str], float]], label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for labels, value in samples:
        out[labels[label]] = out.get(labels[label], 0) + value
    return out


def _serve(start_serve, config_text: str = "") -> str:
    mcp, _ = start_serve(config_text=config_text)
    start_serve.wait_for_scan(0)
    return mcp.removesuffix("/mcp")


def _usage(cli, *args: str) -> dict:
    r = cli("usage", "--json", "--no-scan", *args)
    assert r.code == 0, r.err
    return r.json()


def test_a_scrape_shows_the_stores_totals_by_provider_and_model(fixture_logs, start_serve, cli):
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    append_codex_turn(fixture_logs.recent, now, 1200, 300)  # a session working now: live, with a health and a fill
    assert cli("remember", "the staging database is read-only on Fridays").code == 0
    _log_unpriced_response(fixture_logs.claude)
    base = _serve(start_serve)

    r = httpx2.get(f"{base}/metrics", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    got = _samples(r.text)

    totals = _usage(cli)["totals"]
    tokens = got["llm_session_tokens_total"]
    for kind, field in TOKEN_TYPES.items():
        assert sum(v for labels, v in tokens if labels["type"] == kind) == totals[field], kind
    assert sum(v for _, v in got["llm_session_cost_usd_total"]) == pytest.approx(totals["cost_usd"])
    by_model = {row["key"]: row for row in _usage(cli, "--by", "model")["rows"]}
    assert _by(tokens, "model") == {model: row["total_tokens"] for model, row in by_model.items()}
    by_provider = {row["key"]: row for row in _usage(cli, "--by", "provider")["rows"]}
    assert _by(tokens, "provider") == {p: row["total_tokens"] for p, row in by_provider.items()}

    unpriced = {labels["model"]: v for labels, v in got["llm_session_unpriced_responses_total"] if v}
    assert unpriced == {"claude-imaginary-9": 1} and _usage(cli)["unpriced_models"] == ["claude-imaginary-9"]

    sessions = cli("list", "--json", "--no-scan").json()
    assert sum(v for _, v in got["llm_session_sessions"]) == len(sessions)
    assert got["llm_session_memories"] == [({}, 1.0)]
    live = [s for s in sessions if s["id"] == CODEX_RECENT]
    assert _by(got["llm_session_live_sessions"], "health") == {"healthy": 0, "warning": 0, "critical": 0,
                                                               live[0]["health"]["status"]: 1}
    buckets = {labels["le"]: v for labels, v in got["llm_session_context_fill_ratio_bucket"]}
    assert buckets["+Inf"] == 1
    fill = live[0]["context"]["used"] / live[0]["context"]["limit"]
    assert got["llm_session_context_fill_max_ratio"] == [({"provider": "codex"}, pytest.approx(fill))]
    assert got["llm_session_ingest_lag_seconds"] == [({}, 0.0)]

    scans = start_serve.scans()
    append_codex_turn(fixture_logs.recent, now, 700, 50)  # the assistant goes on: the next scrape has it
    start_serve.wait_for_scan(scans, storing=True)
    again = _samples(httpx2.get(f"{base}/metrics", timeout=30).text)["llm_session_tokens_total"]
    assert _by(again, "provider")["codex"] == _by(tokens, "provider")["codex"] + 750


def _log_unpriced_response(claude: Path) -> None:
    """One more response in a Claude Code transcript, of a model the price table does not know."""
    log = claude / "projects" / "-home-dev-shop" / "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6.jsonl"
    line = json.loads(log.read_text().splitlines()[-1])
    line["message"].update(id="msg_01IMAGINARY", model="claude-imaginary-9")
    line.update(requestId="req_011IMAGINARY", uuid="b0000001-0000-4000-8000-0000000000ff",
                parentUuid=line["uuid"], timestamp="2025-08-15T10:21:00.000Z")
    with log.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")


def test_every_metric_the_grafana_dashboard_queries_is_served(fixture_logs, start_serve):
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    append_codex_turn(fixture_logs.recent, now, 1200, 300)  # a live session: its fill has samples too
    dashboard = json.loads(DASHBOARD.read_text())
    assert {"type": "datasource", "query": "prometheus"}.items() <= dashboard["templating"]["list"][0].items()
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    queries.append(dashboard["templating"]["list"][1]["definition"])
    wanted = {name for q in queries for name in re.findall(r"\bllm_session_\w+", q)}
    base = _serve(start_serve)
    served = set(_samples(httpx2.get(f"{base}/metrics", timeout=30).text))
    assert wanted and wanted <= served, sorted(wanted - served)
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]


def test_metrics_answer_only_local_names_and_gets(fixture_logs, start_serve):
    base = _serve(start_serve)
    assert httpx2.get(f"{base}/metrics", headers={"Host": "attacker.example"}, timeout=30).status_code == 403
    refused = httpx2.get(f"{base}/metrics", headers={"Origin": "http://attacker.example"}, timeout=30)
    assert refused.status_code == 403
    assert "llm_session" not in refused.text
    assert httpx2.get(f"{base}/metrics", headers={"Host": "localhost:1"}, timeout=30).status_code == 200
    assert httpx2.post(f"{base}/metrics", timeout=30).status_code == 405
    head = httpx2.head(f"{base}/metrics", timeout=30)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    openmetrics = httpx2.get(f"{base}/metrics", headers={"Accept": "application/openmetrics-text"}, timeout=30)
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.rstrip().endswith("# EOF")


def test_beyond_loopback_metrics_want_the_token(fixture_logs, start_serve, cli):
    token = cli("serve", "--print-token").out.strip()
    mcp, _ = start_serve(args=("--host", "0.0.0.0", "--allow-remote"))
    url = mcp.replace("0.0.0.0", "127.0.0.1").replace("/mcp", "/metrics")
    assert httpx2.get(url, timeout=30).status_code == 401
    assert httpx2.get(url, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
    r = httpx2.get(url, headers={"Authorization": f"Bearer {token}", "Host": "my-desktop.lan:8765"}, timeout=30)
    assert r.status_code == 200 and "llm_session_tokens_total" in r.text


class _Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP metrics backend on loopback: keeps every export's body and headers."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.exports: list[tuple[dict[str, str], bytes]] = []
        self.changed = threading.Condition()
        self.status = 200  # what it answers


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.changed:
            self.server.exports.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.server.changed.notify_all()
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse

        answer = ExportMetricsServiceResponse().SerializeToString()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _points(body: bytes) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Metric name -> (attributes, value) of every data point of an OTLP metrics export."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    request = ExportMetricsServiceRequest.FromString(body)
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                data = m.sum if m.HasField("sum") else m.gauge
                for p in data.data_points:
                    value = p.as_double if p.HasField("as_double") else p.as_int
                    out.setdefault(m.name, []).append(({a.key: a.value.string_value for a in p.attributes}, value))
    return out


def test_serve_exports_the_same_figures_over_otlp(fixture_logs, start_serve, cli, receiver, monkeypatch):
    monkeypatch.setenv("TEST_BACKEND_KEY", "k-123")
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}/v1/metrics"
    base = _serve(start_serve, config_text=(
        f"metrics:\n  otlp_endpoint: {endpoint}\n  otlp_interval: 1\n"
        "  otlp_headers: {x-team: shop}\n  otlp_headers_env: {api-key: TEST_BACKEND_KEY}\n"))
    totals = _usage(cli)["totals"]

    def exported_totals() -> dict[str, float] | None:
        """The token sums by type of the newest export, once it has them."""
        if not receiver.exports:
            return None
        tokens = _points(receiver.exports[-1][1]).get("llm_session_tokens", [])
        return {kind: sum(v for a, v in tokens if a["type"] == kind) for kind in TOKEN_TYPES} if tokens else None

    with receiver.changed:
        assert receiver.changed.wait_for(
            lambda: exported_totals() == {kind: totals[field] for kind, field in TOKEN_TYPES.items()}, timeout=30), \
            exported_totals()
        headers, body = receiver.exports[-1]
    assert headers["content-type"] == "application/x-protobuf"
    assert (headers["x-team"], headers["api-key"]) == ("shop", "k-123")
    points = _points(body)
    assert sum(v for _, v in points["llm_session_cost_usd"]) == pytest.approx(totals["cost_usd"])
    scraped = _samples(httpx2.get(f"{base}/metrics", timeout=30).text)
    assert sorted(v for _, v in points["llm_session_sessions"]) == sorted(v for _, v in scraped["llm_session_sessions"])
    assert {f"llm_session_{name}" for name in ("memories", "ingest_lag_seconds", "live_sessions", "active_sessions",
                                                "context_fill_ratio_bucket", "unpriced_responses")} <= set(points)


def test_a_header_from_an_unset_variable_stops_serve_with_one_line(fixture_logs, cli, tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text("metrics:\n  otlp_endpoint: http://127.0.0.1:9/v1/metrics\n"
                      "  otlp_headers_env: {DD-API-KEY: NO_SUCH_VARIABLE_SET}\n")
    r = cli("serve", "--port", "0", "--lsp-port", "0", env={"LLM_SESSION_CONFIG": str(config)})
    assert r.code == 1
    assert r.err.strip() == ("error: metrics.otlp_headers_env.DD-API-KEY: the environment variable "
                             "NO_SUCH_VARIABLE_SET is not set")


def _snapshot_text() -> str:
    """/metrics' text for the store now, as serve renders it (without a server)."""
    from llm_session_manager import services
    from llm_session_manager.frontends.serve.metrics_route import exposition
    from llm_session_manager.services.metrics import snapshot

    conn = services.connect()
    try:
        return exposition(snapshot(conn, services.load_config()))[0].decode()
    finally:
        conn.close()


def test_models_past_the_cap_are_summed_as_other(store, cli, use_config):
    use_config("metrics:\n  max_models: 1\n")
    by_model = {row["key"]: row["total_tokens"] for row in _usage(cli, "--by", "model")["rows"]}
    assert len(by_model) > 2
    tokens = _samples(_snapshot_text())["llm_session_tokens_total"]
    shown = _by(tokens, "model")
    biggest = max(by_model, key=lambda m: by_model[m])
    assert set(shown) == {biggest, "other"}
    assert shown[biggest] == by_model[biggest]
    assert shown["other"] == sum(by_model.values()) - by_model[biggest]


def test_log_writes_the_store_has_not_read_show_as_ingest_lag(store, fixture_logs):
    assert _samples(_snapshot_text())["llm_session_ingest_lag_seconds"] == [({}, 0.0)]
    log = fixture_logs.recent
    before = log.stat().st_mtime
    append_codex_turn(log, "2026-03-02T15:00:00.000Z", 10, 5)
    os.utime(log, (before + 90, before + 90))  # written 90 s after the write the store read last
    assert _samples(_snapshot_text())["llm_session_ingest_lag_seconds"] == [({}, pytest.approx(90, abs=1e-3))]


def test_a_backend_that_refuses_exports_is_reported_once_and_serve_goes_on(fixture_logs, start_serve, receiver):
    receiver.status = 503
    endpoint = f"http://127.0.0.1:{receiver.server_address[1]}/v1/metrics"
    _serve(start_serve, config_text=f"metrics:\n  otlp_endpoint: {endpoint}\n  otlp_interval: 1\n  otlp_timeout: 3\n")
    with receiver.changed:
        assert receiver.changed.wait_for(lambda: len(receiver.exports) >= 3, timeout=30)
        receiver.status = 200
    with start_serve.changed:
        assert start_serve.changed.wait_for(
            lambda: any("works again" in line for line in start_serve.lines), timeout=30), "".join(start_serve.lines)
        failed = [line for line in start_serve.lines if "metrics export to" in line and "failed" in line]
    assert len(failed) == 1 and endpoint in failed[0] and "Service Unavailable" in failed[0]
