"""`llm-session otel setup` points each assistant's OpenTelemetry export at `serve` (docs/otel.md).

Every test works in a sandboxed HOME, CLAUDE_CONFIG_DIR and CODEX_HOME, never the real ones.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_home: Path) -> dict[str, Path]:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    return {"claude": tmp_path / "claude" / "settings.json", "codex": tmp_path / "codex" / "config.toml",
            "gemini": sandbox_home / ".gemini" / "settings.json"}


def test_without_write_it_prints_the_settings_and_changes_nothing(cli, homes):
    r = cli("otel", "setup", "--client", "claude-code")
    assert r.code == 0, r.err
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in r.out and "export OTEL_LOGS_EXPORTER=otlp" in r.out
    assert not homes["claude"].exists()


def test_claude_code_settings_keep_what_was_there_with_a_backup_and_a_second_run_changes_nothing(cli, homes):
    homes["claude"].parent.mkdir(parents=True)
    homes["claude"].write_text('{"model": "opus", "env": {"FOO": "1"}}')
    r = cli("otel", "setup", "--client", "claude-code", "--write", "--json")
    assert r.code == 0, r.err
    assert r.json()["written"] and Path(r.json()["backup"]).read_text() == '{"model": "opus", "env": {"FOO": "1"}}'
    data = json.loads(homes["claude"].read_text())
    assert data["model"] == "opus" and data["env"]["FOO"] == "1"
    assert data["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:8765"
    assert data["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1" and data["env"]["OTEL_LOGS_EXPORTER"] == "otlp"
    again = cli("otel", "setup", "--client", "claude-code", "--write", "--json")
    assert again.json()["changed"] is False and again.json()["backup"] is None


def test_another_collector_is_not_replaced_without_force(cli, homes):
    homes["claude"].parent.mkdir(parents=True)
    homes["claude"].write_text('{"env": {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.corp:4318"}}')
    r = cli("otel", "setup", "--client", "claude-code", "--write")
    assert r.code == 1 and "collector.corp" in r.err and "--force" in r.err
    assert "collector.corp" in homes["claude"].read_text()
    assert cli("otel", "setup", "--client", "claude-code", "--write", "--force").code == 0
    assert "collector.corp" not in homes["claude"].read_text()


def test_codex_gets_an_otel_table_once(cli, homes):
    homes["codex"].parent.mkdir(parents=True)
    homes["codex"].write_text('model = "gpt-5-codex"\n')
    assert cli("otel", "setup", "--client", "codex", "--write", "--endpoint", "http://127.0.0.1:9000").code == 0
    data = tomllib.loads(homes["codex"].read_text())
    assert data["model"] == "gpt-5-codex"
    assert data["otel"]["exporter"] == {"otlp-http": {"endpoint": "http://127.0.0.1:9000/v1/logs", "protocol": "binary"}}
    r = cli("otel", "setup", "--client", "codex", "--write", "--json", "--endpoint", "http://127.0.0.1:9000")
    assert r.json()["changed"] is False


def test_gemini_telemetry_goes_to_serve(cli, homes):
    assert cli("otel", "setup", "--client", "gemini", "--write").code == 0
    telemetry = json.loads(homes["gemini"].read_text())["telemetry"]
    assert telemetry == {"enabled": True, "target": "local", "otlpEndpoint": "http://127.0.0.1:8765",
                         "otlpProtocol": "http", "logPrompts": False}


def test_copilot_cli_gets_its_environment_lines_and_no_file_is_written(cli, homes, sandbox_home):
    r = cli("otel", "setup", "--client", "copilot", "--endpoint", "http://127.0.0.1:9999/", "--json")
    assert r.code == 0, r.err
    assert r.json()["snippet"] == ("export COPILOT_OTEL_ENABLED=true\n"
                                   "export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9999")
    assert r.json()["path"] is None and not r.json()["written"]
    r = cli("otel", "setup", "--client", "copilot", "--write")
    assert r.code != 0 and "from its environment" in r.err and "export COPILOT_OTEL_ENABLED=true" in r.err
    assert not (sandbox_home / ".copilot").exists()
