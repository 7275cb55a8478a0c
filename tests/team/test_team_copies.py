"""A response whose log was pushed mid-write (Claude Code's streaming snapshot first, the
whole response after it) ends on the server as the whole response: the machine sends its
better copy again once its log has it, and a stale copy from elsewhere never replaces it."""

from __future__ import annotations

from pathlib import Path

import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

SESSION_A = Path(__file__).parents[1] / "fixtures" / "claude-code" / "projects" / "-home-dev-shop" / \
    "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b.jsonl"
SNAPSHOT_LINES = 6  # up to A1's streaming snapshots (output_tokens 3); its whole (168) is line 7


def machine(root: Path, lines: list[str]) -> tuple[dict[str, str], Path]:
    """A machine whose only log is session A's transcript holding ``lines``; its environment and that log."""
    log = root / "claude" / "projects" / "-home-dev-shop" / SESSION_A.name
    log.parent.mkdir(parents=True)
    log.write_text("".join(lines))
    env = {"HOME": str(root), "XDG_CONFIG_HOME": str(root / ".config"), "LLM_SESSION_DATA_DIR": str(root / "data"),
           "CLAUDE_CONFIG_DIR": str(root / "claude"), "CODEX_HOME": str(root / "codex")}
    return env, log


def test_the_whole_response_replaces_its_snapshot_and_a_stale_copy_does_not(team_server, database_url, cli,
                                                                           tmp_path) -> None:
    lines = SESSION_A.read_text().splitlines(keepends=True)
    laptop, log = machine(tmp_path / "laptop", lines[:SNAPSHOT_LINES])
    stale, _ = machine(tmp_path / "stale", lines[:SNAPSHOT_LINES])  # a synced copy that stopped mid-write
    for env, token in zip((laptop, stale), enroll(database_url, "ann", "admin", "laptop", "stale")):
        assert cli("team", "join", team_server.url, "--token", token, env=env).code == 0

    assert cli("team", "push", env=laptop).code == 0
    snapshot = cli("team", "usage", "--by", "model", "--json", env=laptop).json()["totals"]
    assert snapshot["output_tokens"] == 3

    with log.open("a") as f:  # Claude Code writes the rest of the response
        f.writelines(lines[SNAPSHOT_LINES:])
    resent = cli("team", "push", "--json", env=laptop).json()
    assert resent["usage"] > resent["usage_new"]  # the whole of A1 went again, beside A's newer responses
    whole = cli("usage", "--by", "day", "--json", "--no-scan", env=laptop).json()
    assert cli("team", "usage", "--by", "day", "--json", env=laptop).json() == whole

    assert cli("team", "push", env=stale).code == 0
    assert cli("team", "usage", "--by", "day", "--json", env=laptop).json() == whole
