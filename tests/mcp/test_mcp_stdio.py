"""What an assistant sees of `llm-session mcp`: the real server over a real pipe, via the SDK's client."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import anyio
import pytest
from conftest import sandbox
from mcp.shared.exceptions import MCPError
from mcp_helpers import (
    CLAUDE_A,
    CLAUDE_B,
    CODEX_RECENT,
    CONTRACT_TOOLS,
    cli_json,
    error_text,
    mcp_client,
    shop_logs,
    structured,
)

pytestmark = pytest.mark.anyio


# No test here writes to the store or the logs, so they share one sandbox and one
# server: starting and stopping a server per test cost about 20 s of this module.
@pytest.fixture(scope="module")
def anyio_backend():
    return "trio"


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> SimpleNamespace:
    """The module's sandbox: its root, environment and logs."""
    root = tmp_path_factory.mktemp("mcp-stdio")
    with pytest.MonkeyPatch.context() as monkeypatch:
        sandbox(root, monkeypatch)
        logs = shop_logs(root, monkeypatch)
        return SimpleNamespace(root=root, env=dict(os.environ), logs=logs)


@pytest.fixture(autouse=True)
def in_shared_sandbox(shared, monkeypatch) -> None:
    """Every test (and the CLI it runs) sees the module's sandbox, not its own."""
    for name in set(os.environ) - set(shared.env):
        monkeypatch.delenv(name)
    for name, value in shared.env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def logs(shared) -> SimpleNamespace:
    return shared.logs


@pytest.fixture(scope="module")
async def mcp(shared):
    async with mcp_client(shared.root / "server.log", env=shared.env) as session:
        yield session


async def test_initialize_names_the_server_and_what_it_offers(mcp):
    init = mcp.initialize_result
    assert init.server_info.name == "llm-session"
    caps = init.capabilities
    assert caps.tools is not None and caps.resources is not None and caps.prompts is not None
    assert "session_status" in init.instructions


async def test_every_contract_tool_is_listed_with_input_and_output_schemas(mcp):
    tools = {t.name: t for t in (await mcp.list_tools()).tools}
    assert set(tools) == CONTRACT_TOOLS
    for t in tools.values():
        assert t.description and len(t.description) > 40, t.name
        assert t.input_schema["type"] == "object" and t.output_schema["type"] == "object", t.name
        assert t.input_schema["additionalProperties"] is False, t.name
    listing = tools["list_sessions"].input_schema["properties"]
    assert set(listing) >= {"provider", "project", "tag", "active", "since"}
    assert "codex" in json.dumps(listing["provider"])
    assert set(tools["usage"].input_schema["properties"]["by"]["enum"]) == {
        "day", "week", "month", "session", "model", "project", "provider", "agent", "tool", "mcp-server", "skill"}
    assert tools["export_session"].input_schema["required"] == ["session_id", "format"]
    assert tools["recall"].input_schema["properties"]["limit"]["default"] == 5
    # Compact schemas, same meaning: a nullable is a type pair, a field called "title" is kept.
    assert tools["recall"].input_schema["properties"]["project"]["type"] == ["string", "null"]
    # Results in outline: each field's JSON type, nothing nested (the description says the rest).
    assert tools["list_sessions"].output_schema == {"type": "object", "properties": {
        "sessions": {"type": "array"}, "count": {"type": "integer"}, "truncated": {"type": "boolean"},
        "summary": {"type": "object"}}}
    assert all("$defs" not in t.output_schema for t in tools.values())
    assert tools["remember"].annotations.read_only_hint is False
    assert tools["list_sessions"].annotations.read_only_hint is True
    assert "LIKE" not in tools["search_history"].description  # says it plainly instead:
    assert "full-text index" in tools["search_history"].description
    assert tools["search_history"].input_schema["properties"]["sort"]["enum"] == ["best", "newest"]


async def test_list_sessions_shows_what_the_cli_shows(mcp):
    listed = structured(await mcp.call_tool("list_sessions", {}))
    everything = cli_json("list")
    assert [s["id"] for s in listed["sessions"]] == [s["id"] for s in everything]
    assert listed["count"] == 6 and not listed["truncated"]
    assert listed["summary"]["total_tokens"] == sum(s["tokens"]["total"] for s in everything)
    assert listed["summary"]["providers"] == {"codex": 4, "claude-code": 2}
    # Brief rows by default: a part of each session, the same values; all of it on request.
    first = listed["sessions"][0]
    assert set(first) == {"id", "provider", "project", "title", "last_activity", "active", "tokens", "context",
                          "cost_usd", "health", "provenance"}
    assert first["tokens"] == {k: everything[0]["tokens"][k] for k in ("total", "source")}
    assert structured(await mcp.call_tool("list_sessions", {"detail": True}))["sessions"] == everything
    codex = structured(await mcp.call_tool("list_sessions", {"provider": "codex", "limit": 1}))
    assert [s["provider"] for s in codex["sessions"]] == ["codex"] and codex["truncated"]
    shop = structured(await mcp.call_tool("list_sessions", {"project": "shop", "since": "2020-01-01"}))
    assert {s["id"] for s in shop["sessions"]} == {CLAUDE_A, CLAUDE_B}
    assert structured(await mcp.call_tool("list_sessions", {"since": "1d"}))["count"] == 0  # fixtures are old


async def test_session_status_finds_the_latest_session_in_a_directory(mcp, logs):
    status = structured(await mcp.call_tool("session_status", {"cwd": str(logs.shop)}))
    assert status["session"]["id"] == CLAUDE_B
    context = status["session"]["context"]
    assert status["context_remaining"] == context["limit"] - context["used"]
    assert status["session"]["health"]["status"] in ("healthy", "warning", "critical")
    # From a subdirectory of the project, too:
    deeper = structured(await mcp.call_tool("session_status", {"cwd": str(logs.shop / "src" / "cart")}))
    assert deeper["session"]["id"] == CLAUDE_B
    by_prefix = structured(await mcp.call_tool("session_status", {"session_id": CODEX_RECENT[:10]}))
    assert by_prefix["session"]["id"] == CODEX_RECENT
    assert "no session has worked in /nowhere" in error_text(await mcp.call_tool("session_status", {"cwd": "/nowhere"}))


async def test_usage_adds_up_like_the_cli_report(mcp):
    report = structured(await mcp.call_tool("usage", {"by": "provider", "since": "2020-01-01", "detail": True}))
    cli = cli_json("usage", "--by", "provider", "--since", "2020-01-01")
    assert (report["rows"], report["totals"]) == (cli["rows"], cli["totals"])
    assert {r["key"] for r in report["rows"]} == {"claude-code", "codex"}
    brief = structured(await mcp.call_tool("usage", {"by": "provider", "since": "2020-01-01", "limit": 1}))
    assert brief["rows"] == [{k: cli["rows"][0][k] for k in ("key", "total_tokens", "cost_usd", "provenance")}]
    assert brief["truncated"] and brief["totals"] == cli["totals"]  # totals over every row, listed or not
    one_day = structured(await mcp.call_tool("usage", {"by": "day", "since": "2025-08-14", "until": "2025-08-14"}))
    assert [r["key"] for r in one_day["rows"]] == ["2025-08-14"]


async def test_usage_by_tool_and_agent_and_every_figures_provenance_are_the_clis(mcp):
    for by in ("tool", "agent"):
        report = structured(await mcp.call_tool("usage", {"by": by, "since": "2020-01-01"}))
        cli = cli_json("usage", "--by", by, "--since", "2020-01-01")
        fields = ("key", "total_tokens", "cost_usd", "provenance", "calls", "result_tokens")
        assert report["rows"] == [{k: row[k] for k in fields} for row in cli["rows"]]
        assert report["totals"] == cli["totals"] and report["totals"]["provenance"] == {"tokens": "exact", "cost_usd": "exact"}
    agents = {r["key"]: r for r in structured(await mcp.call_tool("usage", {"by": "agent", "since": "2020-01-01"}))["rows"]}
    assert agents["general-purpose"]["calls"] == 1  # session B's Task sub-agent
    listed = structured(await mcp.call_tool("list_sessions", {}))["sessions"]
    assert {s["id"]: s["provenance"] for s in listed} == {s["id"]: s["provenance"] for s in cli_json("list")}
    status = structured(await mcp.call_tool("session_status", {"session_id": CLAUDE_B}))
    assert status["session"]["provenance"] == {"tokens": "exact", "cost_usd": "exact", "context": "exact"}


async def test_usage_covers_the_last_30_days_unless_asked_for_more(mcp):
    recent = structured(await mcp.call_tool("usage", {}))
    thirty_days_ago = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    assert recent["since"] == thirty_days_ago
    assert recent["rows"] == [] and recent["totals"]["total_tokens"] == 0  # the fixtures are from 2025


async def test_recommend_for_one_session_and_for_now(mcp):
    recs = structured(await mcp.call_tool("recommend", {"session_id": CLAUDE_B}))["recommendations"]
    assert recs and all(r["session_id"] == CLAUDE_B for r in recs)
    assert {r["severity"] for r in recs} <= {"critical", "warning", "info"}
    assert structured(await mcp.call_tool("recommend", {})) == {  # nothing is recent
        "recommendations": [], "count": 0, "truncated": False}
    first = structured(await mcp.call_tool("recommend", {"session_id": CLAUDE_B, "limit": 1}))
    assert first["recommendations"] == recs[:1] and first["count"] == len(recs)


async def test_export_session_in_every_format(mcp):
    md = structured(await mcp.call_tool("export_session", {"session_id": CLAUDE_B[:8], "format": "markdown"}))
    assert md["session_id"] == CLAUDE_B and md["text"].startswith("# Fix double coupon discount")
    as_json = structured(await mcp.call_tool("export_session", {"session_id": CLAUDE_B, "format": "json"}))
    assert json.loads(as_json["text"])["session"]["id"] == CLAUDE_B
    rows = list(csv.DictReader(io.StringIO(structured(
        await mcp.call_tool("export_session", {"session_id": CLAUDE_B, "format": "csv"}))["text"])))
    assert rows and {r["session_id"] for r in rows} == {CLAUDE_B}



async def test_export_conversation_is_the_clis_export(mcp):
    """One service behind both doors: the tool's markdown is the CLI's, byte for byte."""
    md = structured(await mcp.call_tool("export_conversation", {"session_id": CLAUDE_A[:8]}))
    assert md["session_id"] == CLAUDE_A and md["format"] == "markdown"
    proc = subprocess.run([sys.executable, "-m", "llm_session_manager", "export-conversation", CLAUDE_A, "--no-scan"],
                          capture_output=True, text=True, timeout=120, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    assert md["text"] == proc.stdout and "## 1. User" in md["text"]
    assert re.search(r"- 5\. \*\*Read\*\* `\S+/src/cart/totals\.ts` · result 78 B", md["text"])  # its tool calls too
    lines = structured(await mcp.call_tool("export_conversation", {"session_id": CLAUDE_A, "format": "jsonl"}))["text"]
    assert [json.loads(line)["messages"][0]["role"] for line in lines.splitlines()] == ["user", "user"]
    assert error_text(await mcp.call_tool("export_conversation", {"session_id": CLAUDE_A, "format": "pdf"})).startswith(
        "invalid arguments for export_conversation: format must be one of markdown, html, json, jsonl")

async def test_search_history_finds_a_word_best_or_newest_first(mcp):
    found = structured(await mcp.call_tool("search_history", {"query": "COUPON"}))
    assert found["matches"] and found["sort"] == "best" and found["complete"]
    assert all("coupon" in m["snippet"].lower() for m in found["matches"])
    assert all(m["snippet"][a:b].lower().startswith("coupon") for m in found["matches"] for a, b in m["highlights"])
    scores = [m["score"] for m in found["matches"]]
    assert scores == sorted(scores, reverse=True)
    newest = structured(await mcp.call_tool("search_history", {"query": "COUPON", "sort": "newest"}))
    times = [m["ts"] for m in newest["matches"]]
    assert times == sorted(times, reverse=True) and len(times) == len(scores)
    assert found["matches"] == structured(await mcp.call_tool("search_history", {"query": "COUPON"}))["matches"]
    assert cli_json("search", "COUPON", "--no-scan") == found
    only_a = structured(await mcp.call_tool("search_history", {"query": "coupon", "session_id": CLAUDE_A[:8]}))
    assert only_a["matches"] and {m["session_id"] for m in only_a["matches"]} == {CLAUDE_A}
    capped = structured(await mcp.call_tool("search_history", {"query": "coupon", "limit": 1}))
    assert len(capped["matches"]) == 1 and capped["truncated"]
    assert structured(await mcp.call_tool("search_history", {"query": "zebra-unicorn"})) == {
        "matches": [], "truncated": False, "sort": "best", "complete": True}
    users = structured(await mcp.call_tool("search_history", {"query": "coupon", "role": "user", "provider": "claude-code"}))
    assert users["matches"] and {(m["role"], m["provider"]) for m in users["matches"]} == {("user", "claude-code")}
    assert structured(await mcp.call_tool("search_history", {"query": "coupon", "since": "2099-01-01"}))["matches"] == []


async def test_optimize_context_ranks_the_session_files_by_token_cost(mcp, logs):
    plan = structured(await mcp.call_tool("optimize_context", {"cwd": str(logs.shop)}))
    assert plan["session_id"] == CLAUDE_B
    paths = [f["path"] for f in plan["files"]]
    # The biggest file first; a file that is gone (and a directory listing) cost nothing now, so last.
    assert paths == [str(logs.shop / p) for p in ("src/cart/coupon.ts", "tests/cart/coupon.test.ts",
                                                  "notebooks/coupons.ipynb", "tests")]
    costs = [f["tokens"] for f in plan["files"]]
    assert costs[0] > 10 * costs[1] > 0 and costs[2:] == [None, None]
    assert [f["state"] for f in plan["files"]] == ["counted", "counted", "gone", "directory"]
    assert plan["total_tokens"] == costs[0] + costs[1]
    assert (plan["count"], plan["gone"], plan["truncated"]) == (4, 1, False)
    top = structured(await mcp.call_tool("optimize_context", {"cwd": str(logs.shop), "limit": 1}))
    assert [f["path"] for f in top["files"]] == paths[:1] and top["truncated"]
    assert top["total_tokens"] == plan["total_tokens"]  # of every file, listed or not
    tests_only = structured(await mcp.call_tool("optimize_context", {"session_id": CLAUDE_B, "query": "cart/"}))
    assert [f["path"] for f in tests_only["files"]] == [str(logs.shop / p) for p in ("src/cart/coupon.ts", "tests/cart/coupon.test.ts")]


async def test_bad_arguments_are_tool_errors_and_the_server_keeps_working(mcp):
    wrong_type = error_text(await mcp.call_tool("list_sessions", {"limit": "ten"}))
    assert wrong_type == "invalid arguments for list_sessions: limit must be a whole number from 1 to 1000, got 'ten'"
    assert error_text(await mcp.call_tool("session_status", {"sesion_id": "x"})) == (
        "invalid arguments for session_status: sesion_id is not an argument here; the arguments are session_id, cwd")
    assert error_text(await mcp.call_tool("export_session", {"session_id": CLAUDE_B, "format": "pdf"})) == (
        "invalid arguments for export_session: format must be one of json, yaml, markdown, csv, got 'pdf'")
    assert error_text(await mcp.call_tool("export_session", {"format": "json"})) == (
        "invalid arguments for export_session: session_id is required")
    assert "no session with id 'deadbeef'" in error_text(await mcp.call_tool("recommend", {"session_id": "deadbeef"}))
    assert "must be a date" in error_text(await mcp.call_tool("list_sessions", {"since": "last tuesday"}))
    with pytest.raises(MCPError, match="unknown tool 'drop_tables'"):
        await mcp.call_tool("drop_tables", {})
    assert structured(await mcp.call_tool("list_sessions", {}))["count"] == 6


async def test_a_session_is_a_resource(mcp):
    templates = {t.uri_template for t in (await mcp.list_resource_templates()).resource_templates}
    assert templates == {"session://{id}", "memory://{id}"}
    listed = {str(r.uri) for r in (await mcp.list_resources()).resources}
    assert f"session://{CLAUDE_B}" in listed
    read = await mcp.read_resource(f"session://{CLAUDE_B[:8]}")
    assert json.loads(read.contents[0].text) == cli_json("show", CLAUDE_B)
    with pytest.raises(MCPError, match="no session with id"):
        await mcp.read_resource("session://nope")


async def test_the_project_memories_prompt_primes_with_the_project(mcp):
    prompts = {p.name: p for p in (await mcp.list_prompts()).prompts}
    assert [a.name for a in prompts["project_memories"].arguments] == ["project"]
    got = await mcp.get_prompt("project_memories", {"project": "shop"})
    text = got.messages[0].content.text
    assert "shop" in text and CLAUDE_B[:8] in text and CLAUDE_A[:8] in text


async def test_two_clients_at_once_each_get_their_answers(logs, tmp_path):
    results = {}

    async def client(name: str, tool: str, args: dict) -> None:
        async with mcp_client(tmp_path / f"{name}.log") as session:
            results[name] = [structured(await session.call_tool(tool, args)) for _ in range(3)]

    async with anyio.create_task_group() as tg:
        tg.start_soon(client, "a", "list_sessions", {})
        tg.start_soon(client, "b", "usage", {"by": "session", "since": "2020-01-01"})
    assert all(r["count"] == 6 for r in results["a"])
    assert len({json.dumps(r) for r in results["b"]}) == 1 and results["b"][0]["rows"]


async def test_concurrent_calls_on_one_connection_run_side_by_side(mcp):
    answers = {}

    async def call(n: int) -> None:
        answers[n] = structured(await mcp.call_tool("list_sessions", {"limit": n}))

    async with anyio.create_task_group() as tg:
        for n in range(1, 7):
            tg.start_soon(call, n)
    assert {n: len(a["sessions"]) for n, a in answers.items()} == {n: n for n in range(1, 7)}
