"""``llm-session doctor`` checks the whole installation and says how to fix each
problem (issue 12, item 5); exit 0 when all is well, 1 when something needs fixing."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

SESSION = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"


def _checks(result) -> dict[str, dict]:
    return {c["name"]: c for c in result.json()["checks"]}


def test_a_scanned_installation_is_in_order_and_keeps_the_store_check_s_keys(fixture_logs, cli):
    assert cli("scan").code == 0
    r = cli("doctor", "--json")
    assert r.code == 0, r.out + r.err
    report = r.json()
    assert report["ok"] is True and report["problems"] == []
    assert report["database"].endswith("sessions.db")
    checks = _checks(r)
    for check in checks.values():
        assert set(check) == {"name", "ok", "detail", "fix"}
    assert str(fixture_logs.claude) in checks["logs: claude-code"]["detail"]
    assert "every transcript is in the store" in checks["claude-code retention"]["detail"]
    assert checks["serve"]["ok"] and "not running" in checks["serve"]["detail"]
    assert "schema 18" in checks["versions"]["detail"]
    human = cli("doctor")
    assert human.code == 0 and "Everything is in order." in human.out


def test_a_transcript_claude_code_is_about_to_delete_unread_needs_a_scan(fixture_logs, cli):
    (fixture_logs.claude / "settings.json").write_text(json.dumps({"cleanupPeriodDays": 10}))
    old = time.time() - 9 * 86400  # a day before Claude Code's cleanup takes it
    transcript = next(fixture_logs.claude.rglob(f"{SESSION}.jsonl"))
    os.utime(transcript, (old, old))

    r = cli("doctor", "--json")
    assert r.code == 1
    retention = _checks(r)["claude-code retention"]
    assert retention["ok"] is False
    assert "cleanupPeriodDays 10" in retention["detail"] and "due in 1.0 days" in retention["detail"]
    assert "llm-session scan" in retention["fix"]
    human = cli("doctor")
    assert human.code == 1 and "FIX claude-code retention" in human.out and "fix: llm-session scan" in human.out

    assert cli("scan").code == 0
    assert _checks(cli("doctor", "--json"))["claude-code retention"]["ok"] is True


def test_an_mcp_entry_whose_program_is_gone_is_a_problem_that_mcp_install_fixes(fixture_logs, cli, sandbox_home):
    config = sandbox_home / ".cursor" / "mcp.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"mcpServers": {"llm-session": {"command": "/gone/venv/bin/llm-session",
                                                                  "args": ["mcp"]}}}))
    r = cli("doctor", "--json")
    assert r.code == 1
    cursor = _checks(r)["mcp: cursor"]
    assert cursor["ok"] is False and "/gone/venv/bin/llm-session" in cursor["detail"]
    assert cursor["fix"] == "llm-session mcp install --client cursor"
    assert _checks(r)["mcp: codex"]["ok"] is True  # not registered: optional, no problem

    assert cli("mcp", "install", "--client", "cursor").code == 0
    r = cli("doctor", "--json")
    assert _checks(r)["mcp: cursor"] == {"name": "mcp: cursor", "ok": True, "detail": f"registered in {config}",
                                         "fix": None}


def test_a_config_that_does_not_load_is_named_with_its_fix(fixture_logs, cli, tmp_path: Path):
    bad = tmp_path / "config.yaml"
    bad.write_text("health_thresholds: [not, a, mapping]\n")
    r = cli("doctor", "--json", env={"LLM_SESSION_CONFIG": str(bad)})
    assert r.code == 1 and "Traceback" not in r.err
    config = _checks(r)["config"]
    assert config["ok"] is False and str(bad) in config["detail"]
    assert "llm-session config init --force" in config["fix"]
