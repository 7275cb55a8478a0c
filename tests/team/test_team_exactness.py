"""Three machines push overlapping logs to one team server, one push killed half-way and
retried: the server's per-day totals equal one machine scanning the union of the logs,
to the token and the cent (docs/team.md)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from held_proxy import HeldProxy
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parents[1] / "fixtures"
CLAUDE = FIXTURES / "claude-code" / "projects" / "-home-dev-shop"
CODEX = FIXTURES / "codex" / "home"
SESSION_A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b.jsonl"
SESSION_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # resumed from A: repeats some of A's lines
CODEX_RECENT = "sessions/2026/02/23/rollout-2026-02-23T11-15-02-019c8a10-4b7e-7c21-9d3a-5e6f7a8b9c0d.jsonl"


def machine(root: Path, claude: list[str], codex: list[str]) -> dict[str, str]:
    """The environment of a machine whose logs are the named fixture files (paths under the fixtures)."""
    home = root / "home"
    projects = root / "claude" / "projects" / "-home-dev-shop"
    projects.mkdir(parents=True)
    (root / "codex").mkdir()
    home.mkdir()
    for name in claude:
        (shutil.copytree if (CLAUDE / name).is_dir() else shutil.copy2)(CLAUDE / name, projects / name)
    for name in codex:
        (root / "codex" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CODEX / name, root / "codex" / name)
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local"),
            "LLM_SESSION_DATA_DIR": str(root / "data"), "CLAUDE_CONFIG_DIR": str(root / "claude"),
            "CODEX_HOME": str(root / "codex")}


def test_three_machines_and_a_killed_push_count_each_response_once(team_server, database_url, cli,
                                                                   tmp_path: Path) -> None:
    codex_all = [str(p.relative_to(CODEX)) for p in CODEX.rglob("*.jsonl")]
    laptop = machine(tmp_path / "laptop", [SESSION_A, f"{SESSION_B}.jsonl", SESSION_B], [])
    desktop = machine(tmp_path / "desktop", [f"{SESSION_B}.jsonl"], codex_all)  # session B's transcript on two
    ci_box = machine(tmp_path / "ci", [], [CODEX_RECENT])
    union = machine(tmp_path / "union", [SESSION_A, f"{SESSION_B}.jsonl", SESSION_B], codex_all)

    laptop_token, desktop_token = enroll(database_url, "ann", "admin", "laptop", "desktop")
    ci_token, = enroll(database_url, "bob", "member", "ci")
    # The laptop's push: 1 its first three responses (stored, the answer lost), 2... never sent.
    # Its next responses (session A's sub-agent turns) are on no other machine: only its retry can bring them.
    proxy = HeldProxy(team_server.url, hold=1)
    for env, token, url in ((laptop, laptop_token, proxy.url), (desktop, desktop_token, team_server.url),
                            (ci_box, ci_token, team_server.url)):
        r = cli("team", "join", url, "--token", token, env=env)
        assert r.code == 0, r.err

    killed = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "team", "push", "--batch-size", "3"],
                              env={**os.environ, **laptop}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert proxy.held.wait(60), "the push never sent its first responses"
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    proxy.hold = 0  # the network is back

    for env in (desktop, ci_box, laptop):  # the laptop's retry resends the batch whose answer was lost
        r = cli("team", "push", "--batch-size", "3", "--json", env=env)
        assert r.code == 0, r.err
    retried = r.json()
    assert retried["usage_new"] > 0 and retried["usage_seen"] >= 3  # the lost batch comes again, and changes nothing
    again = cli("team", "push", "--json", env=laptop).json()
    assert again["usage"] == 0 and again["sessions"] == 0  # nothing new to send

    expected = cli("usage", "--by", "day", "--json", env=union).json()
    team = cli("team", "usage", "--by", "day", "--json", env=laptop).json()  # ann is an admin: the team's
    assert team["rows"] == expected["rows"]
    assert team["totals"] == expected["totals"]
    assert [r["key"] for r in team["rows"]][:2] == ["2025-08-14", "2025-08-15"]

    devices = cli("team", "usage", "--by", "device", "--json", env=laptop).json()
    by_device = {r["key"]: r for r in devices["rows"]}
    assert set(by_device) == {"ann/laptop", "ann/desktop", "bob/ci"}
    assert devices["totals"] == expected["totals"]  # each response once
    assert sum(r["total_tokens"] for r in by_device.values()) > expected["totals"]["total_tokens"]  # the overlap

    # bob, a member, sees what his own machine pushed, and nothing only ann's machines had
    bob = cli("team", "usage", "--by", "day", "--json", env=ci_box).json()
    assert bob == cli("usage", "--by", "day", "--json", "--no-scan", env=ci_box).json()
    proxy.close()
