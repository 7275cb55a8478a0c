"""``ci report --team-url``: a CI job reads the team server's usage (a real server on a real
PostgreSQL) instead of transcripts, with a device standing for the author (docs/ci.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

sys.path.insert(0, str(Path(__file__).parents[1]))  # the CI tests' repository fixture
from ci_repo import make_repo

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_the_ci_report_of_a_team_server_has_its_usage_by_model_day_and_device(team_server, database_url, cli,
                                                                               tmp_path: Path) -> None:
    laptop = {"CLAUDE_CONFIG_DIR": str(FIXTURES / "claude-code"), "CODEX_HOME": str(FIXTURES / "codex" / "home"),
              "LLM_SESSION_DATA_DIR": str(tmp_path / "laptop")}
    (token,) = enroll(database_url, "ann", "admin", "laptop")
    assert cli("team", "join", team_server.url, "--token", token, env=laptop).code == 0
    pushed = cli("team", "push", "--json", env=laptop)
    assert pushed.code == 0, pushed.err
    local = cli("usage", "--by", "model", "--json", "--no-scan", env=laptop).json()
    repo = make_repo(tmp_path / "shop")
    ci_runner = {"LLM_SESSION_DATA_DIR": str(tmp_path / "runner"), "LLM_SESSION_TEAM_TOKEN": token}

    r = cli("ci", "report", "--team-url", team_server.url, "--repo", str(repo), "--branch", "fix/coupon",
            "--max-cost", "0.01", "--min-health", "50", "--json", env=ci_runner)

    assert r.code == 1
    report = r.json()
    assert report["source"] == "team"
    assert report["totals"] == local["totals"]
    assert report["by_model"] == local["rows"]
    assert [row["key"] for row in report["by_author"]] == ["ann/laptop"]
    assert report["sessions"] == []  # the server keeps no branches
    assert [(g["name"], g["passed"]) for g in report["gates"]] == [("max-cost", False), ("min-health", True)]
    assert "nothing for min-health to judge" in report["gates"][1]["message"]
    assert r.err.startswith("error: max-cost: cost $") and r.err.count("\n") == 1
    assert report["instruction_files"][0]["path"] == "CLAUDE.md"
