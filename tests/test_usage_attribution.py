"""``usage --by agent|tool|mcp-server|skill``: what each response did, from Claude Code's logs.

The fixture (tests/fixtures/claude-code-attribution, counted by hand in its
README) holds MCP calls (ours and GitHub's), a Skill, a Task sub-agent in its own
log (2.x) and one inline (1.x), and a response calling two tools.
"""

from __future__ import annotations

import json
import random
import shutil
import string
from pathlib import Path

import apsw
import pytest

from llm_session_manager.core.encoding import count_o200k

FIXTURE = Path(__file__).parent / "fixtures" / "claude-code-attribution"
GROUPS = ("agent", "tool", "mcp-server", "skill")
ALL = 149_881  # every response's tokens, by hand


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the attribution fixture, which the environment points at."""
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURE, claude)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    return claude


def by_key(report: dict) -> dict[str, dict]:
    return {row["key"]: row for row in report["rows"]}


def our_answers(claude: Path) -> list[str]:
    """The text of every result of our MCP tools in the logs, as Claude Code wrote it."""
    calls, texts = set(), []
    for log in claude.rglob("*.jsonl"):
        for line in log.read_text().splitlines():
            content = json.loads(line).get("message", {}).get("content")
            for block in content if isinstance(content, list) else []:
                if block.get("type") == "tool_use" and block["name"].startswith("mcp__llm-session__"):
                    calls.add(block["id"])
                elif block.get("type") == "tool_result" and block["tool_use_id"] in calls:
                    texts += [part["text"] for part in block["content"]]
    return texts


def test_a_sub_agents_usage_goes_to_the_type_its_task_call_named_in_both_log_layouts(notes, cli) -> None:
    rows = by_key(cli("usage", "--by", "agent", "--json").json())
    assert {key: row["total_tokens"] for key, row in rows.items()} == {
        "(main)": 132_400,
        "code-reviewer": 11_234,  # its own subagents/agent-<id>.jsonl, named by the Task's toolUseResult
        "general-purpose": 6_247,  # 1.x: sidechain lines right after the Task call
    }
    # One run each; what the sub-agent handed back is the Task result's text.
    assert rows["code-reviewer"]["calls"] == 1
    review = "src/export.ts:4: toCsv() returns '' for no rows, so the header row is lost; return the header alone."
    assert rows["code-reviewer"]["result_tokens"] == count_o200k(review)


def test_a_response_goes_to_the_first_tool_it_called_and_every_call_is_counted(notes, cli) -> None:
    rows = by_key(cli("usage", "--by", "tool", "--json").json())
    assert rows["Read"]["total_tokens"] == 19_456 + 5_276  # N4 called Read, then GitHub's MCP tool
    assert rows["Read"]["calls"] == 2
    assert rows["mcp__github__get_issue"]["total_tokens"] == 0
    assert rows["mcp__github__get_issue"]["calls"] == 1
    assert rows["(none)"]["total_tokens"] == 41_734
    assert rows["Skill"]["total_tokens"] == 16_043
    assert all(row["provenance"] == {"tokens": "exact", "cost_usd": "exact", "result_tokens": "estimated"}
               for row in rows.values())


def test_mcp_servers_and_skills_get_the_responses_that_called_them(notes, cli) -> None:
    servers = by_key(cli("usage", "--by", "mcp-server", "--json").json())
    assert {k: r["total_tokens"] for k, r in servers.items()} == {
        "(none)": ALL - 35_391 - 19_456, "llm-session": 35_391, "github": 19_456,
    }
    assert servers["llm-session"]["ours"] is True and "ours" not in servers["github"]
    skills = by_key(cli("usage", "--by", "skill", "--json").json())
    assert {k: r["total_tokens"] for k, r in skills.items()} == {"(none)": ALL - 16_043, "code-review": 16_043}
    assert skills["code-review"]["calls"] == 1


@pytest.mark.parametrize("filters", [(), ("--since", "2025-10-06T12:00:00Z"), ("--project", "notes")])
def test_every_attribution_adds_up_to_the_usage_reports_totals(notes, cli, filters) -> None:
    expected = cli("usage", "--by", "day", "--json", *filters).json()["totals"]
    assert expected["total_tokens"] > 0
    for by in GROUPS:
        report = cli("usage", "--by", by, "--json", "--no-scan", *filters).json()
        assert report["totals"] == expected, by
        fields = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "total_tokens")
        for field in fields:
            assert sum(row[field] for row in report["rows"]) == expected[field], (by, field)


def test_our_mcp_servers_footprint_is_the_tokens_of_its_answers_in_the_logs(notes, cli) -> None:
    answers = our_answers(notes)
    assert len(answers) == 2  # a recall and a remember
    tokens = sum(count_o200k(text) for text in answers)
    ours = by_key(cli("usage", "--by", "mcp-server", "--json").json())["llm-session"]
    assert (ours["calls"], ours["result_tokens"]) == (2, tokens)
    doctor = cli("doctor", "--json").json()
    (check,) = [c for c in doctor["checks"] if c["name"] == "mcp footprint"]
    assert check["ok"] and f"answered 2 calls in 1 session, adding about {tokens:,} tokens (estimated)" in check["detail"]


def test_reading_the_logs_again_adds_no_attribution(notes, cli, tmp_path: Path) -> None:
    first = cli("usage", "--by", "tool", "--json").json()
    db = Path(cli("init", "--json").json()["database"])
    conn = apsw.Connection(str(db))
    tables = ("tool_calls", "tool_results", "agent_runs", "response_agents")
    counts = [conn.execute(f"SELECT count(*) FROM {t}").get for t in tables]
    conn.execute("UPDATE source_files SET offset = 0, size = -1, state = NULL")  # as a rotated log is read again
    conn.close()
    assert cli("scan", "--json").code == 0
    conn = apsw.Connection(str(db))
    assert [conn.execute(f"SELECT count(*) FROM {t}").get for t in tables] == counts
    assert cli("usage", "--by", "tool", "--json", "--no-scan").json() == first


def test_breakdown_by_model_is_refused_for_attribution(notes, cli) -> None:
    r = cli("usage", "--by", "tool", "--breakdown")
    assert r.code == 1 and "breakdown" in r.err and "Traceback" not in r.err


def test_a_log_read_as_it_is_written_is_attributed_as_one_read_whole(notes, cli) -> None:
    """A call's result, or a sub-agent's Task result, logged after the scan that read the call."""
    whole = {by: cli("usage", "--by", by, "--json").json() for by in GROUPS}
    db = Path(cli("init", "--json").json()["database"])
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    log = next(notes.rglob("4c1d2e3f-*.jsonl"))
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:2]))  # the recall call, not its result
    assert cli("scan", "--json").code == 0
    with log.open("a") as f:
        f.write("".join(lines[2:7]))  # up to the Task call, not its result
    assert cli("scan", "--json").code == 0
    with log.open("a") as f:
        f.write("".join(lines[7:]))
    assert {by: cli("usage", "--by", by, "--json").json() for by in GROUPS} == whole


def test_the_table_shows_calls_and_result_tokens_when_they_fit(notes, cli) -> None:
    wide = cli("usage", "--by", "tool", env={"COLUMNS": "160"}).out
    assert "Calls" in wide and "Results ~tokens" in wide and "mcp__llm-session__recall" in wide
    narrow = cli("usage", "--by", "tool", "--no-scan", env={"COLUMNS": "80"}).out
    assert "Calls" not in narrow and "Total tokens" in narrow


def test_an_mcp_answer_waits_for_the_tokenizer_without_its_secrets_and_then_without_its_text(notes, cli) -> None:
    token = "ghp_" + "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=36))
    log = next(notes.rglob("4c1d2e3f-*.jsonl"))
    log.write_text(log.read_text().replace("Exports are CSV with a header row", f"Exports use token {token}"))
    assert cli("scan", "--json").code == 0
    db = Path(cli("init", "--json").json()["database"])
    (text,) = apsw.Connection(str(db)).execute("SELECT text FROM tool_results WHERE id = 'toolu_01RecallN1'").fetchone()
    assert token not in text and "[REDACTED:github-token]" in text
    assert token.encode() not in b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    ours = by_key(cli("usage", "--by", "mcp-server", "--json", "--no-scan").json())["llm-session"]
    assert ours["result_tokens"] == count_o200k(text) + sum(count_o200k(t) for t in our_answers(notes)[1:])
    left = apsw.Connection(str(db)).execute("SELECT count(*) FROM tool_results WHERE text IS NOT NULL").fetchone()
    assert left == (0,)  # counted: the text is gone
