"""``usage --by tool|mcp-server|agent`` from Codex rollouts and Gemini CLI chats.

The fixtures (tests/fixtures/codex/attribution, tests/fixtures/gemini/attribution,
each counted by hand in its README) hold calls of our MCP server and GitHub's in
every naming the assistants used, built-in tools, a response calling two tools,
and a Codex sub-agent thread.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import apsw
import pytest

from llm_session_manager.core.encoding import count_o200k

CODEX = Path(__file__).parent / "fixtures" / "codex" / "attribution"
GEMINI = Path(__file__).parent / "fixtures" / "gemini" / "attribution"
GROUPS = ("agent", "tool", "mcp-server")
CODEX_ALL = 70_500  # every billed response's tokens, by hand
GEMINI_ALL = 33_810


@pytest.fixture
def codex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "codex"
    shutil.copytree(CODEX, home)
    monkeypatch.setenv("CODEX_HOME", str(home))
    return home


@pytest.fixture
def gemini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "gemini"
    shutil.copytree(GEMINI, home)
    monkeypatch.setenv("GEMINI_CLI_HOME", str(home))
    return home


def report(cli, by: str, provider: str, *more: str) -> dict[str, dict]:
    return {row["key"]: row for row in cli("usage", "--by", by, "--provider", provider, "--json", *more).json()["rows"]}


def tokens(rows: dict[str, dict]) -> dict[str, int]:
    return {key: row["total_tokens"] for key, row in rows.items()}


def test_a_codex_response_goes_to_the_first_tool_it_called_whatever_codex_named_the_mcp_tool(codex, cli) -> None:
    rows = report(cli, "tool", "codex")
    assert tokens(rows) == {
        "mcp__llm-session__recall": 12_300,  # called with exec_command in one response: the first is named
        "mcp__github__get_issue": 13_200,  # mcp__<server>__<tool>, as 0.104 writes it
        "mcp__llm-session__remember": 8_400,  # namespace "mcp__llm-session", name "remember" (newer)
        "mcp__github__search_code": 3_100,  # <server>__<tool>, as the first releases wrote it
        "apply_patch": 9_250,  # a custom tool call
        "exec_command": 5_120,  # the sub-agent's
        "(none)": 13_650 + 5_480,  # answers that called nothing
    }
    assert rows["exec_command"]["calls"] == 2 and rows["mcp__llm-session__recall"]["calls"] == 1
    assert all(row["provenance"]["result_tokens"] == "estimated" for row in rows.values())


def test_codex_mcp_servers_and_sub_agent_threads_get_their_responses(codex, cli) -> None:
    servers = report(cli, "mcp-server", "codex")
    assert tokens(servers) == {"llm-session": 20_700, "github": 16_300, "(none)": CODEX_ALL - 37_000}
    assert servers["llm-session"]["ours"] is True
    agents = report(cli, "agent", "codex", "--no-scan")
    assert tokens(agents) == {"(main)": CODEX_ALL - 10_600, "explorer": 10_600}  # thread_spawn's agent_role


def test_gemini_responses_go_to_their_first_tool_call_and_mcp_tools_to_their_server(gemini, cli) -> None:
    rows = report(cli, "tool", "gemini")
    assert tokens(rows) == {
        "mcp__llm-session__recall": 10_320,  # "recall (llm-session MCP Server)", called with read_file
        "read_file": 0,
        "mcp__github__get_issue": 11_090,  # named github__get_issue when two servers offer get_issue
        "(none)": 12_400,
    }
    assert (rows["read_file"]["calls"], rows["read_file"]["result_tokens"]) == (1, 47)  # its output's bytes / 4
    servers = report(cli, "mcp-server", "gemini", "--no-scan")
    assert tokens(servers) == {"llm-session": 10_320, "github": 11_090, "(none)": 12_400}
    assert servers["llm-session"]["ours"] is True


@pytest.mark.parametrize("provider", ["codex", "gemini"])
def test_every_attribution_adds_up_to_the_usage_totals(codex, gemini, cli, provider) -> None:
    expected = cli("usage", "--by", "day", "--provider", provider, "--json").json()["totals"]
    assert expected["total_tokens"] == {"codex": CODEX_ALL, "gemini": GEMINI_ALL}[provider]
    for by in GROUPS:
        got = cli("usage", "--by", by, "--provider", provider, "--json", "--no-scan").json()
        assert got["totals"] == expected, by
        assert sum(row["total_tokens"] for row in got["rows"]) == expected["total_tokens"], by


def test_our_footprint_counts_our_answers_in_codex_and_gemini_sessions(codex, gemini, cli) -> None:
    answers = [
        "Remembered for acme-api:\n- login handlers stay thin; rate limits live in src/auth/ratelimit.py\n"
        "- run pytest -q before committing",  # Codex 0.104: the output string
        "Saved: rate limits are attached per route with dependencies=[limit(...)].",  # newer: content items
        "Noted for shop-api:\n- payments retry on timeout without an idempotency key\n- see issue #88",  # Gemini
    ]
    expected = sum(count_o200k(text) for text in answers)
    codex_ours = report(cli, "mcp-server", "codex")["llm-session"]
    gemini_ours = report(cli, "mcp-server", "gemini", "--no-scan")["llm-session"]
    assert codex_ours["calls"] + gemini_ours["calls"] == 3
    assert codex_ours["result_tokens"] + gemini_ours["result_tokens"] == expected
    (check,) = [c for c in cli("doctor", "--json").json()["checks"] if c["name"] == "mcp footprint"]
    assert f"answered 3 calls in 3 sessions, adding about {expected:,} tokens (estimated)" in check["detail"]


def _read_in_two(cli, log: Path, cut: int) -> None:
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:cut]))
    assert cli("scan", "--json").code == 0
    with log.open("a") as f:
        f.write("".join(lines[cut:]))


def test_a_codex_rollout_read_in_two_halves_is_attributed_as_one_read_whole(codex, cli, tmp_path: Path) -> None:
    """The cut falls between a response's calls and the token_count that bills it."""
    whole = {by: report(cli, by, "codex") for by in GROUPS}
    db = Path(cli("init", "--json").json()["database"])
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    log = next(codex.rglob("rollout-*019cd0a1-*.jsonl"))
    assert '"name":"exec_command"' in log.read_text().splitlines()[5]
    _read_in_two(cli, log, 6)
    assert {by: report(cli, by, "codex") for by in GROUPS} == whole


def test_a_gemini_chat_read_in_two_halves_is_attributed_as_one_read_whole(gemini, cli) -> None:
    """The cut falls after the calls were recorded running, before their results."""
    whole = {by: report(cli, by, "gemini") for by in GROUPS}
    db = Path(cli("init", "--json").json()["database"])
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    log = next(gemini.rglob("session-*.jsonl"))
    assert '"status":"executing"' in log.read_text().splitlines()[5]
    _read_in_two(cli, log, 6)
    assert {by: report(cli, by, "gemini") for by in GROUPS} == whole


def test_a_store_made_before_reads_codex_and_gemini_logs_once_more_to_attribute_the_past(codex, gemini, cli) -> None:
    """Migration 032: the logs an older release read whole are read again, adding no usage."""
    whole = {p: report(cli, "tool", p) for p in ("codex", "gemini")}
    db = Path(cli("init", "--json").json()["database"])
    conn = apsw.Connection(str(db))
    for table in ("tool_calls", "tool_results", "agent_runs", "response_agents"):
        conn.execute(f"DELETE FROM {table}")  # as an older release left them: nothing for Codex or Gemini
    conn.execute("PRAGMA user_version = 31")
    conn.close()
    assert {p: report(cli, "tool", p) for p in ("codex", "gemini")} == whole
