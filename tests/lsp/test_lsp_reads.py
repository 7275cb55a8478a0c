"""What an editor sees of `llm-session lsp` when it only reads: the real server over
real pipes (pytest-lsp), on a store filled by `llm-session scan` from the Claude Code
and Codex fixtures.

No test here writes to the store or the logs, so they share one sandbox, store and
server (``shared_lsp``), which saves a scan and a server start each; they all run on
the module's event loop, the server's. Tests that change anything live in
test_lsp_server.py, each with its own server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import pytest_asyncio
from conftest import copy_fixture_logs, sandbox
from lsp_client import start
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # the latest Claude Code session, in /home/dev/shop
COMMANDS = {"llmSession.refresh", "llmSession.export", "llmSession.tag", "llmSession.recall",
            "llmSession.optimizeContext"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_server(tmp_path_factory):
    """A server on a store scanned from the fixtures, in a sandbox of the module's; and its environment."""
    root = tmp_path_factory.mktemp("lsp-reads")
    with pytest.MonkeyPatch.context() as monkeypatch:
        sandbox(root, monkeypatch)
        copy_fixture_logs(root, monkeypatch)
        env = dict(os.environ)
    scan = subprocess.run([sys.executable, "-m", "llm_session_manager", "scan", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert scan.returncode == 0, scan.stderr
    server = await start(env=env)
    yield server, env
    await server.stop()


@pytest.fixture
def shared_lsp(shared_server, monkeypatch):
    """The shared server; the test (and the CLI it runs) sees the server's sandbox, not its own."""
    server, env = shared_server
    for name in set(os.environ) - set(env):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return server


async def test_initialize_names_the_server_and_its_features(shared_lsp):
    result = shared_lsp.initialize_result
    assert result.server_info.name == "llm-session"
    caps = result.capabilities
    assert caps.hover_provider and caps.code_lens_provider is not None
    assert set(caps.execute_command_provider.commands) == COMMANDS
    assert caps.text_document_sync.open_close


async def test_sessions_are_exactly_what_list_json_prints(shared_lsp, cli):
    assert await shared_lsp.request("llmSession/sessions", {}) == cli("list", "--json", "--no-scan").json()
    assert await shared_lsp.request("llmSession/sessions") == cli("list", "--json", "--no-scan").json()
    codex = await shared_lsp.request("llmSession/sessions", {"provider": "codex"})
    assert codex == cli("list", "--provider", "codex", "--json", "--no-scan").json()
    assert {s["provider"] for s in codex} == {"codex"} and len(codex) == 4
    shop = await shared_lsp.request("llmSession/sessions", {"project": "shop", "active": False})
    assert [s["id"] for s in shop] == [s["id"] for s in cli("list", "--project", "shop", "--json").json()]
    running = await shared_lsp.request("llmSession/sessions", {"active": True})
    assert running == cli("list", "--active", "--json", "--no-scan").json()


async def test_sessions_and_status_say_where_each_figure_comes_from(shared_lsp):
    exact = {"tokens": "exact", "cost_usd": "exact", "context": "exact"}
    sessions = await shared_lsp.request("llmSession/sessions", {"provider": "claude-code"})
    assert sessions and all(s["provenance"] == exact for s in sessions)
    status = await shared_lsp.request("llmSession/status", {"sessionId": sessions[0]["id"]})
    assert status["session"]["provenance"] == exact


async def test_a_bad_filter_is_an_invalid_params_error(shared_lsp):
    with pytest.raises(JsonRpcException) as e:
        await shared_lsp.request("llmSession/sessions", {"provider": "chatgpt-desktop"})
    assert e.value.code == -32602 and e.value.message.startswith("provider must be one of claude-code, codex, ")
    assert e.value.message.endswith(", got 'chatgpt-desktop'")
    with pytest.raises(JsonRpcException) as e:
        await shared_lsp.request("llmSession/sessions", {"active": "yes"})
    assert e.value.code == -32602 and e.value.message == "active must be true or false, got a string"


async def test_status_for_an_unknown_session_is_the_cli_error_line(shared_lsp):
    with pytest.raises(JsonRpcException) as e:
        await shared_lsp.request("llmSession/status", {"sessionId": "nope"})
    assert e.value.code == -32803
    assert e.value.message == "no session with id 'nope' (see 'llm-session list')"
    assert shared_lsp.client.messages == []  # the request's own problem: no pop-up


async def test_export_returns_the_report_text_in_each_format(shared_lsp, cli):
    markdown = await shared_lsp.command("llmSession.export", CLAUDE_B[:8])
    assert markdown.startswith("# ") and CLAUDE_B in markdown and "## Files touched" in markdown
    report = json.loads(await shared_lsp.command("llmSession.export", CLAUDE_B, "json"))
    assert report["session"]["id"] == CLAUDE_B
    csv_text = await shared_lsp.command("llmSession.export", CLAUDE_B, "csv")
    assert csv_text == cli("export", CLAUDE_B, "--format", "csv", "--no-scan").out
    with pytest.raises(JsonRpcException) as e:
        await shared_lsp.command("llmSession.export", CLAUDE_B, "pdf")
    assert e.value.code == -32602 and e.value.message == "format must be one of json, yaml, markdown, csv, got 'pdf'"


async def test_optimize_context_lists_the_session_files_by_token_cost(shared_lsp):
    from llm_session_manager.core import config
    from llm_session_manager.services import export
    from llm_session_manager.store import connect

    result = await shared_lsp.command("llmSession.optimizeContext", CLAUDE_B)
    expected = export.build_report(connect(), config.load(), CLAUDE_B).files
    assert result["session_id"] == CLAUDE_B
    assert sorted(f["path"] for f in result["files"]) == sorted(f.path for f in expected)
    assert set(result["files"][0]) == {"path", "actions", "uses", "tokens", "token_source"}
    costs = [f["tokens"] for f in result["files"]]
    known = [c for c in costs if c is not None]
    assert costs == known + [None] * (len(costs) - len(known)) and known == sorted(known, reverse=True)
    assert result["total_tokens"] == sum(known)


async def test_an_unknown_command_is_invalid_params(shared_lsp):
    with pytest.raises(JsonRpcException) as e:
        await shared_lsp.command("llmSession.teleport")
    assert e.value.code == -32602


async def test_search_is_what_search_json_prints(shared_lsp, cli):
    found = await shared_lsp.request("llmSession/search", {"query": "coupon applied"})
    assert found["matches"] and found == cli("search", "coupon applied", "--json", "--no-scan").json()
    scoped = await shared_lsp.request("llmSession/search", {"query": "coupon", "session_id": CLAUDE_B[:8],
                                                            "sort": "newest", "role": "user"})
    assert scoped["matches"] and {(m["session_id"], m["role"]) for m in scoped["matches"]} == {(CLAUDE_B, "user")}
    with pytest.raises(JsonRpcException) as e:
        await shared_lsp.request("llmSession/search", {"query": "   "})
    assert e.value.code == -32602 and e.value.message == "query is required"
    with pytest.raises(JsonRpcException) as e:
        await shared_lsp.request("llmSession/search", {"query": "coupon", "sort": "oldest"})
    assert e.value.code == -32602 and e.value.message == "sort must be one of best, newest, got 'oldest'"
