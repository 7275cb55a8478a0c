"""The billing session of tests/fixtures/claude-code-context, where the right answer is known.

A private copy: the project (``billing/``) under ``tmp_path`` and the transcript
rewritten to name it, so the files the session read exist and have a cost now.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "claude-code-context"
SESSION = "c07e8a15-5b2d-4e6f-9a1c-3d4e5f6a7b8c"
MODEL = "claude-sonnet-4-5-20250929"


def billing_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    project = tmp_path / "billing"
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURE / "billing", project)
    shutil.copytree(FIXTURE / "projects", claude / "projects")
    [log] = claude.rglob("*.jsonl")
    log.write_text(log.read_text().replace("/home/dev/billing", str(project)))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    return SimpleNamespace(project=project, claude=claude, log=log)


def read_results(log: Path) -> dict[str, str]:
    """The text each Read returned, by file path: what the session paid for it then."""
    calls, out = {}, {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        content = entry["message"]["content"]
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_use" and block["name"] == "Read":
                calls[block["id"]] = block["input"]["file_path"]
            elif block.get("type") == "tool_result" and block["tool_use_id"] in calls:
                out[calls[block["tool_use_id"]]] = block["content"]
    return out
