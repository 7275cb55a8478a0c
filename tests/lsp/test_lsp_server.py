"""What an editor sees of `llm-session lsp`: the real server over real pipes (pytest-lsp).

Every server runs in the sandbox home with a store filled by `llm-session scan`
over copies of the Claude Code and Codex fixtures, so tests can append lines.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import CODEX_ARCHIVED, CODEX_RECENT, append_codex_turn
from damage import damage_page
from lsp_client import start
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from llm_session_manager.services import tokens

pytestmark = pytest.mark.asyncio

CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # the latest Claude Code session, in /home/dev/shop
COMMANDS = {"llmSession.refresh", "llmSession.export", "llmSession.tag", "llmSession.recall",
            "llmSession.optimizeContext"}


@pytest.fixture
def fast_config(tmp_path, monkeypatch):
    """Poll the store every 0.2 s; health bands that the fixtures' sessions straddle."""
    path = tmp_path / "config.yaml"
    path.write_text("dashboard:\n  refresh_interval: 0.2\nhealth_thresholds:\n  healthy: 90\n  warning: 70\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(path))
    return path


@pytest_asyncio.fixture
async def servers():
    """Start servers with ``await servers()``; each is shut down cleanly after the test."""
    started = []

    async def launch(**options):
        server = await start(options or None)
        started.append(server)
        return server

    yield launch
    for server in started:
        await server.stop()


@pytest_asyncio.fixture
async def lsp(store, servers):
    return await servers()



def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the handshake -------------------------------------------------------------




async def test_shutdown_then_exit_ends_the_process_with_0(lsp):
    assert await lsp.stop() == 0


async def test_exit_without_shutdown_ends_the_process_with_1(lsp):
    lsp.client.exit(None)
    await asyncio.wait_for(lsp.client._server.wait(), 20)
    assert lsp.returncode == 1


# --- custom requests -----------------------------------------------------------




async def test_a_change_by_another_process_shows_at_once_though_lists_are_reused(lsp, cli):
    first = await lsp.request("llmSession/sessions")
    assert await lsp.request("llmSession/sessions") == first  # served again: nothing moved
    assert cli("tag", CLAUDE_B, "hot").code == 0  # the CLI commits through its own connection
    tags = {s["id"]: s["tags"] for s in await lsp.request("llmSession/sessions")}
    assert tags[CLAUDE_B] == ["hot"]




async def test_status_gives_the_workspace_session_and_a_status_bar_summary(fixture_logs, store, cli, servers):
    append_codex_turn(fixture_logs.recent, _now(), 1200, 80)  # this Codex session is working right now
    assert cli("scan", "--json").json()["sessions"] == 1
    lsp = await servers()

    status = await lsp.request("llmSession/status", {"cwd": "/home/dev/acme-api"})
    assert status["session"]["id"] == CODEX_RECENT  # the latest session in that directory
    assert status["session"] == cli("show", CODEX_RECENT, "--json", "--no-scan").json()
    assert status["summary"] == {"count": 1, "healthy": 1, "warning": 0, "critical": 0}
    assert status["label"] == "LLM: 1 session ✅1"

    # Sessions a day old or more are history: they do not count in the status bar.
    shop = await lsp.request("llmSession/status", {"cwd": Path("/home/dev/shop").as_uri()})
    assert shop["session"]["id"] == CLAUDE_B
    assert shop["summary"] == {"count": 0, "healthy": 0, "warning": 0, "critical": 0}
    assert shop["label"] == "LLM: none active"

    by_id = await lsp.request("llmSession/status", {"sessionId": CLAUDE_B[:8]})
    assert by_id["session"]["id"] == CLAUDE_B and by_id["summary"]["count"] == 1
    nowhere = await lsp.request("llmSession/status", {"cwd": "/somewhere/else"})
    assert nowhere["session"] is None and nowhere["label"] == "LLM: none active"




async def test_recall_finds_what_another_session_remembered(lsp, cli):
    r = cli("remember", "The coupon bug was a rounding error in total.ts; fixed by using cents",
            "--project", "shop", "--json")
    assert r.code == 0, r.err
    answer = await lsp.request("llmSession/recall", {"query": "how did we fix the coupon bug?"})
    assert [m["id"] for m in answer["memories"]][:1] == [r.json()["id"]]
    assert set(answer["memories"][0]) >= {"id", "text", "score", "project", "session_id", "created_at", "tags"}
    assert await lsp.command("llmSession.recall", "how did we fix the coupon bug?") == answer
    assert (await lsp.request("llmSession/recall", {"query": "coupon", "project": "elsewhere"}))["memories"] == []
    with pytest.raises(JsonRpcException) as e:
        await lsp.request("llmSession/recall", {})
    assert e.value.code == -32602 and e.value.message == "query is required"


# --- commands ------------------------------------------------------------------




async def test_tag_adds_tags_that_every_door_then_sees(lsp, cli):
    assert await lsp.command("llmSession.tag", CLAUDE_B[:8], "auth", "urgent") == {
        "id": CLAUDE_B, "tags": ["auth", "urgent"]}
    tagged = await lsp.request("llmSession/sessions", {"tag": "auth"})
    assert [s["id"] for s in tagged] == [CLAUDE_B]
    assert [s["id"] for s in cli("list", "--tag", "urgent", "--json", "--no-scan").json()] == [CLAUDE_B]
    with pytest.raises(JsonRpcException) as e:
        await lsp.command("llmSession.tag", CLAUDE_B)
    assert e.value.code == -32602 and "takes 2 or more arguments, got 1" in e.value.message






# --- store changes -------------------------------------------------------------


async def test_refresh_scans_and_announces_the_changed_session(fixture_logs, store, servers):
    lsp = await servers(scanOnStart=False)
    before = {s["id"]: s for s in await lsp.request("llmSession/sessions")}
    append_codex_turn(fixture_logs.recent, _now(), 3000, 150)
    changed = lsp.expect("llmSession/didChangeSessions")
    scan = await lsp.command("llmSession.refresh")
    assert scan["records"] == 1 and scan["sessions"] == 1 and scan["malformed"] == 0
    assert await lsp.arrived(changed) == {"changed": [CODEX_RECENT]}
    after = {s["id"]: s for s in await lsp.request("llmSession/sessions")}
    assert after[CODEX_RECENT]["tokens"]["total"] == before[CODEX_RECENT]["tokens"]["total"] + 3150

    # A refresh that finds nothing still tells the client it may redraw.
    again = lsp.expect("llmSession/didChangeSessions")
    assert (await lsp.command("llmSession.refresh"))["records"] == 0
    assert await lsp.arrived(again) == {"changed": []}


async def test_a_scan_shows_its_progress_from_begin_to_end(fixture_logs, store, servers):
    lsp = await servers(scanOnStart=False)
    append_codex_turn(fixture_logs.recent, _now(), 3000, 150)
    await lsp.command("llmSession.refresh")
    [(token, reports)] = lsp.client.progress_reports.items()
    assert token.startswith("llm-session/")
    begin, *steps, end = reports
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.title == "Scanning assistant logs"
    assert isinstance(end, types.WorkDoneProgressEnd)
    percents = [step.percentage for step in steps]
    assert percents and percents == sorted(percents) and percents[-1] == 100


async def test_a_server_starts_by_scanning_what_is_new(fixture_logs, store, fast_config, servers):
    append_codex_turn(fixture_logs.recent, _now(), 3000, 150)
    lsp = await servers()
    changed = lsp.expect("llmSession/didChangeSessions")
    assert await lsp.arrived(changed) == {"changed": [CODEX_RECENT]}


async def test_a_scan_by_another_process_is_noticed_and_a_health_fall_shown_once(
    fixture_logs, store, fast_config, cli, servers
):
    lsp = await servers(scanOnStart=False)

    # The archived Codex session's context fills to 97%: its health drops from 80 to 43.
    append_codex_turn(fixture_logs.archived, "2026-03-02T13:05:40.000Z", 250000, 100)
    changed = lsp.expect("llmSession/didChangeSessions")
    assert cli("scan", "--json").json()["sessions"] == 1  # the CLI writes; the server only watches
    assert await lsp.arrived(changed) == {"changed": [CODEX_ARCHIVED]}
    # A check sends its alerts before its didChangeSessions, and this one came after the
    # baseline: only the fall is news, not the sessions already critical at start.
    [alert] = lsp.client.messages
    assert alert.type == types.MessageType.Warning
    assert CODEX_ARCHIVED[:8] in alert.message and "critical" in alert.message and "context 97% full" in alert.message

    # Falling further is not a new transition: no second message for the same session.
    append_codex_turn(fixture_logs.archived, "2026-03-02T13:05:50.000Z", 258000, 100)
    changed = lsp.expect("llmSession/didChangeSessions")
    cli("scan")
    await lsp.arrived(changed)  # after the check's alerts, had there been any
    assert len(lsp.client.messages) == 1


# --- instruction files -----------------------------------------------------------


def _claude_md(tmp_path: Path, filler_sentences: int) -> Path:
    path = tmp_path / "repo" / "CLAUDE.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Shop conventions\n\nTypeScript strict mode everywhere.\n\n"
        "## Testing\n\nRun `npm test` before every commit. " + "Keep tests small and fast. " * filler_sentences
        + "\n\n## Style\n\nPrefer small functions.\n"
    )
    return path


async def test_hover_and_code_lens_show_what_claude_md_costs_every_turn(lsp, tmp_path):
    path = _claude_md(tmp_path, 40)
    uri = lsp.open(path)
    # Counted with the model Claude Code runs here: that of the latest Claude session.
    expected = tokens.count_tokens(path.read_text(), "claude-sonnet-4-5-20250929")
    assert expected.source == "estimated"

    hover = await lsp.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=6, character=3)))
    text = hover.contents.value
    assert f"CLAUDE.md: {expected.tokens:,} tokens every turn (estimated, claude-sonnet-4-5-20250929)" in text
    assert "Within the 2,000-token budget" in text
    assert "This section (`Testing`): about" in text
    assert "Claude Code" in text and expected.method in text

    lenses = await lsp.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    titles = {lens.range.start.line: lens.command.title for lens in lenses}
    assert titles[0].startswith(f"{expected.tokens:,} tokens every turn") and "budget 2,000" in titles[0]
    assert set(titles) == {0, 4, 8}  # the file, then each heading below the first
    assert all(titles[line].startswith("about ") for line in (4, 8))


async def test_agents_md_is_counted_with_the_codex_model_and_other_files_are_ignored(lsp, tmp_path):
    path = tmp_path / "repo" / "AGENTS.md"
    path.parent.mkdir(parents=True)
    path.write_text("# Agents\n\nRun `make lint` before finishing.\n")
    uri = lsp.open(path)
    hover = await lsp.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)))
    count = tokens.count_tokens(path.read_text(), "gpt-5.3-codex")
    assert f"{count.tokens:,} tokens every turn (exact, gpt-5.3-codex)" in hover.contents.value

    readme = tmp_path / "repo" / "README.md"
    readme.write_text("# Readme\n")
    other = lsp.open(readme)
    assert await lsp.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=other), position=types.Position(line=0, character=0))) is None


async def test_an_instruction_file_over_budget_gets_a_warning_until_trimmed(lsp, tmp_path):
    path = _claude_md(tmp_path, 600)
    published = lsp.expect("textDocument/publishDiagnostics")
    uri = lsp.open(path)
    await lsp.arrived(published)
    [warning] = lsp.client.diagnostics[uri]
    count = tokens.count_tokens(path.read_text(), "claude-sonnet-4-5-20250929").tokens
    assert count > 2000
    assert warning.severity == types.DiagnosticSeverity.Warning
    assert warning.source == "llm-session" and warning.code == "instruction-budget"
    assert warning.message.startswith(f"CLAUDE.md costs {count:,} tokens with every turn")
    assert f"{count - 2000:,} over the 2,000-token budget" in warning.message
    assert warning.range.start.line == 0

    published = lsp.expect("textDocument/publishDiagnostics")
    lsp.replace(uri, 2, "# Shop conventions\n\nTypeScript strict mode everywhere.\n")
    await lsp.arrived(published)
    assert list(lsp.client.diagnostics[uri]) == []


# --- a broken store ------------------------------------------------------------


async def test_a_corrupt_database_is_one_clear_message_and_an_error_never_a_crash(servers, tmp_path):
    db = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"
    db.parent.mkdir(parents=True)
    garbage = b"this is not sqlite, but it may be somebody's data\n" * 200
    db.write_bytes(garbage)
    lsp = await servers()

    for _ in range(2):
        with pytest.raises(JsonRpcException) as e:
            await lsp.request("llmSession/sessions", {})
        assert e.value.code == -32803
        assert "is damaged" in e.value.message and "doctor --recover" in e.value.message
    with pytest.raises(JsonRpcException):
        await lsp.command("llmSession.refresh")
    [shown] = lsp.client.messages  # once, however often it is met
    assert shown.type == types.MessageType.Error
    assert shown.message == f"llm-session: {e.value.message}"

    # What needs no store still works: an instruction file is counted with the default model.
    uri = lsp.open(_claude_md(tmp_path, 5))
    hover = await lsp.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0)))
    assert "tokens every turn (estimated, claude-sonnet-4-5)" in hover.contents.value

    assert db.read_bytes() == garbage  # never recreated over: it may be somebody's history

    # Moved aside, the store is rebuilt and the same server carries on.
    db.rename(db.with_name("sessions.db.broken"))
    assert await lsp.request("llmSession/sessions", {}) == []
    assert await lsp.stop() == 0


async def test_a_page_damaged_mid_file_is_the_same_one_line_as_the_cli_and_no_crash(lsp):
    db = Path(os.environ["LLM_SESSION_DATA_DIR"]) / "sessions.db"
    damage_page(db)

    for _ in range(2):
        with pytest.raises(JsonRpcException) as e:
            await lsp.request("llmSession/sessions", {})
        assert e.value.code == -32803
        assert e.value.message.startswith(f"the database {db} is damaged")
        assert "llm-session doctor --recover" in e.value.message
    [shown] = lsp.client.messages  # once, though the store poll succeeds in between
    assert shown.message == f"llm-session: {e.value.message}"
    assert await lsp.stop() == 0


async def test_a_data_directory_that_cannot_be_created_is_reported(servers, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be\n")
    monkeypatch.setenv("LLM_SESSION_DATA_DIR", str(blocker / "data"))
    lsp = await servers()
    with pytest.raises(JsonRpcException) as e:
        await lsp.request("llmSession/status", {})
    assert e.value.code == -32803 and e.value.message.startswith("cannot create data directory")
    assert [m.message for m in lsp.client.messages] == [f"llm-session: {e.value.message}"]
    assert await lsp.stop() == 0



async def test_a_config_typo_is_reported_not_half_used(store, servers, tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text("dashbaord:\n  refresh_interval: 1\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    lsp = await servers()
    with pytest.raises(JsonRpcException) as e:
        await lsp.request("llmSession/sessions", {})
    assert "unknown key 'dashbaord'" in e.value.message and "dashboard" in e.value.message
    assert [m.message for m in lsp.client.messages] == [f"llm-session: {e.value.message}"]
    assert await lsp.stop() == 0
