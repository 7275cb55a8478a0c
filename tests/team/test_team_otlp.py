"""Claude Code reports to the team server over OTLP (the OpenTelemetry SDK's exporter, with a device
token), and each response counts once however it arrives: heard before its log was pushed, it counts
until the push brings the log's row; heard after, it is not stored again (docs/team.md#otlp)."""

from __future__ import annotations

import copy
import json
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parents[1] / "fixtures"
SESSION = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
LOGGED_REQUEST = "req_011CSB4"  # the last response of that session's transcript


def claude_event(**changes: str) -> dict[str, object]:
    """The attributes of Claude Code's api_request fixture, with ``changes``."""
    export = json.loads((FIXTURES / "claude-code" / "otlp" / "api_request.json").read_text())
    record = export["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    return {**{a["key"]: next(iter(a["value"].values())) for a in record["attributes"]}, **changes}


def export_with_sdk(url: str, token: str, events: list[dict[str, object]]) -> None:
    """``events`` sent as Claude Code sends them: the SDK's OTLP/HTTP protobuf log exporter, gzipped,
    with the headers ``OTEL_EXPORTER_OTLP_HEADERS`` gives it."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    exporter = OTLPLogExporter(endpoint=f"{url}/v1/logs", timeout=10, compression=Compression.Gzip,
                               headers={"Authorization": f"Bearer {token}"})
    provider = LoggerProvider(resource=Resource.create({"service.name": "claude-code", "service.version": "2.0.14"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("com.anthropic.claude_code.events", "2.0.14")
    for attrs in events:
        logger.emit(body="claude_code.api_request", attributes=attrs, timestamp=time.time_ns())  # type: ignore[arg-type]
    provider.shutdown()


def post(url: str, token: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_response_heard_over_otlp_counts_once_when_its_log_is_pushed(team_server, database_url, cli,
                                                                       tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "claude-code", tmp_path / "claude")
    laptop = {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude"), "CODEX_HOME": str(tmp_path / "no-codex"),
              "LLM_SESSION_DATA_DIR": str(tmp_path / "laptop")}
    token, viewer = enroll(database_url, "ann", "admin", "laptop")[0], enroll(database_url, "vic", "viewer", "tv")[0]
    assert cli("team", "join", team_server.url, "--token", token, env=laptop).code == 0
    assert cli("team", "push", env=laptop).code == 0

    def team_totals() -> dict:
        r = cli("team", "usage", "--by", "model", "--json", env=laptop)
        assert r.code == 0, r.err
        return r.json()["totals"]

    pushed = team_totals()
    export_with_sdk(team_server.url, token, [claude_event(request_id=LOGGED_REQUEST)])  # the log came first
    assert team_totals() == pushed

    export_with_sdk(team_server.url, token, [claude_event(
        request_id="req_011NEW", input_tokens="7", output_tokens="40", cache_read_tokens="5120",
        cache_creation_tokens="0")])
    heard = team_totals()
    assert heard["output_tokens"] == pushed["output_tokens"] + 40  # counted before its log is read

    log = tmp_path / "claude" / "projects" / "-home-dev-shop" / f"{SESSION}.jsonl"
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
    assert cli("team", "push", env=laptop).code == 0

    both = team_totals()
    assert both["output_tokens"] == pushed["output_tokens"] + 40  # the log's row, the OTLP one gone
    local = cli("usage", "--json", "--no-scan", env=laptop).json()["totals"]
    assert both == local  # what one machine reading the logs says
    export_with_sdk(team_server.url, token, [claude_event(request_id="req_011NEW")])  # an exporter's retry
    assert team_totals() == local

    metrics = (FIXTURES / "claude-code" / "otlp" / "token_and_cost_metrics.json").read_bytes()
    assert post(team_server.url + "/v1/metrics", token, metrics) == 200  # accepted, not kept
    assert post(team_server.url + "/v1/metrics", "lsmt_" + "x" * 43, metrics) == 401
    assert post(team_server.url + "/v1/logs", viewer, b"{}") == 403  # a viewer's device does not push


def test_copilot_cli_chat_spans_reach_the_team_server_and_count_once(team_server, database_url, cli,
                                                                      tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "copilot" / "copilot-home", tmp_path / "copilot")
    laptop = {"COPILOT_HOME": str(tmp_path / "copilot"), "CLAUDE_CONFIG_DIR": str(tmp_path / "no-claude"),
              "CODEX_HOME": str(tmp_path / "no-codex"), "LLM_SESSION_DATA_DIR": str(tmp_path / "laptop")}
    token = enroll(database_url, "cora", "member", "laptop")[0]
    assert cli("team", "join", team_server.url, "--token", token, env=laptop).code == 0
    assert cli("team", "push", env=laptop).code == 0

    def team_output() -> int:
        r = cli("team", "usage", "--by", "model", "--json", env=laptop)
        assert r.code == 0, r.err
        return r.json()["totals"]["output_tokens"]

    pushed = team_output()
    spans = (FIXTURES / "copilot" / "otlp" / "chat_spans.json").read_bytes()
    for _ in range(2):  # an exporter retrying
        assert post(team_server.url + "/v1/traces", token, spans) == 200
    # The call the pushed log already has is not stored again; the other counts, once.
    assert team_output() == pushed + 88
