"""The GitHub Copilot sources, told through the sessions in tests/fixtures/copilot:
VS Code Copilot Chat session files (a JSON document, or the mutation log replayed into
one) and Copilot CLI event logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from llm_session_manager.core import pricing
from llm_session_manager.core.encoding import count_o200k
from llm_session_manager.core.models import Batch
from llm_session_manager.sources.copilot import CLI_SOURCE, SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "copilot"
CODE = FIXTURES / "Code"
USER = CODE / "User"
OLD = "3f9c2a71-5b8e-4d1a-9c64-2e7f0b1d8a53"  # .json, Copilot Chat 0.28: no token counts
JOURNAL = "b7e4c1d0-2a9f-4e63-8d15-6c3b0a9f7e21"  # .jsonl, with VS Code's token counts
EMPTY = "d2c1b0a9-8f7e-4d6c-9b5a-4e3d2c1b0a98"  # .jsonl of a window with no folder
WORKSPACES = USER / "workspaceStorage"
OLD_FILE = WORKSPACES / "7d8a1c4f0e2b9a6d3c5e8f1a2b4c6d8e" / "chatSessions" / f"{OLD}.json"
JOURNAL_FILE = WORKSPACES / "4b1e9f2a6c3d8e7f0a5b2c9d1e8f3a6b" / "chatSessions" / f"{JOURNAL}.jsonl"
EMPTY_FILE = USER / "globalStorage" / "emptyWindowChatSessions" / f"{EMPTY}.jsonl"

COPILOT_HOME = FIXTURES / "copilot-home"
CLI_ID = "5e0c9a7d-3b14-4f62-8a9e-1d7c6b5a4f30"  # shut down; resumed, compacted; resumed, crashed
FLAT_ID = "9a4d2f61-0c8b-4e37-b5a9-6f1e3d7c2b80"  # an older CLI's flat log, no outputTokens
CLI_FILE = COPILOT_HOME / "session-state" / CLI_ID / "events.jsonl"
FLAT_FILE = COPILOT_HOME / "session-state" / f"{FLAT_ID}.jsonl"


@pytest.fixture(autouse=True)
def _no_real_copilot_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COPILOT_HOME", "VSCODE_APPDATA", "VSCODE_PORTABLE", "APPDATA"):
        monkeypatch.delenv(name, raising=False)


def chat(path: Path) -> Batch:
    return SOURCE.parse(path, path.read_bytes(), None)


def complete_lines(path: Path) -> bytes:
    """What ingest hands a lines source: the file up to its last newline."""
    data = path.read_bytes()
    return data[: data.rfind(b"\n") + 1]


def cli_log(path: Path = CLI_FILE) -> Batch:
    return CLI_SOURCE.parse(path, complete_lines(path), None)


def requests_of(path: Path) -> list[dict]:
    return json.loads(path.read_text())["requests"]


def finish_third_request(journal: Path) -> None:
    """What VS Code appends when the journal's third answer completes: the rest of the
    line it was writing, the result with the extension's counts, the final state."""
    done = [
        {"kind": 1, "k": ["requests", 2, "result"],
         "v": {"timings": {"firstProgress": 800, "totalElapsed": 5000},
               "metadata": {"resolvedModel": "gpt-5-mini", "promptTokens": 27400, "outputTokens": 205}}},
        {"kind": 1, "k": ["requests", 2, "modelState"],
         "v": {"value": 1, "completedAt": 1773151805000}},
    ]
    with journal.open("ab") as f:
        f.write(b'tor."}]}\n' + b"".join(json.dumps(e).encode() + b"\n" for e in done))


# --- where the sessions are --------------------------------------------------------------


def test_vs_code_user_data_dirs_are_looked_for_on_linux_macos_and_windows(tmp_path):
    assert SOURCE.provider == CLI_SOURCE.provider == "copilot"
    roots = SOURCE.default_roots({}, tmp_path)
    for base in (tmp_path / ".config", tmp_path / "Library" / "Application Support",
                 tmp_path / "AppData" / "Roaming"):
        assert [r for r in roots if r.parent == base] == [
            base / "Code", base / "Code - Insiders", base / "VSCodium"
        ]
    env = {"XDG_CONFIG_HOME": "/xdg", "APPDATA": "C:/Users/dev/AppData/Roaming",
           "VSCODE_APPDATA": "/moved", "VSCODE_PORTABLE": "/opt/vscode/data"}
    roots = SOURCE.default_roots(env, tmp_path)
    assert roots[:2] == [Path("/opt/vscode/data/user-data"), Path("/moved/Code")]
    assert Path("/xdg/Code - Insiders") in roots and tmp_path / ".config" / "Code" not in roots
    assert Path("C:/Users/dev/AppData/Roaming/VSCodium") in roots


def test_sessions_of_every_workspace_and_of_empty_windows_are_found():
    every = [str(p) for p in (JOURNAL_FILE, OLD_FILE, EMPTY_FILE)]
    assert list(SOURCE.discover(CODE)) == every
    # a configured path may name the User directory, or a chat directory itself
    assert list(SOURCE.discover(USER)) == every
    assert list(SOURCE.discover(OLD_FILE.parent)) == [str(OLD_FILE)]
    assert list(SOURCE.discover(CODE.parent / "nope")) == []
    assert list(SOURCE.discover(COPILOT_HOME)) == []  # the CLI's logs are the other source's


def test_copilot_home_is_honoured_and_defaults_to_dot_copilot(tmp_path):
    assert CLI_SOURCE.default_roots({}, tmp_path) == [tmp_path / ".copilot"]
    # CLIs before 1.0 kept their directory under XDG_CONFIG_HOME when it was set
    assert CLI_SOURCE.default_roots({"XDG_CONFIG_HOME": "/xdg"}, tmp_path) == [
        tmp_path / ".copilot", Path("/xdg/.copilot")
    ]
    env = {"COPILOT_HOME": "~/cp", "XDG_CONFIG_HOME": "/xdg"}
    assert CLI_SOURCE.default_roots(env, tmp_path) == [Path("~/cp").expanduser()]


def test_cli_sessions_are_found_in_their_directories_and_as_older_flat_logs():
    both = [str(CLI_FILE), str(FLAT_FILE)]
    assert list(CLI_SOURCE.discover(COPILOT_HOME)) == both
    assert list(CLI_SOURCE.discover(COPILOT_HOME / "session-state")) == both
    assert list(CLI_SOURCE.discover(OLD_FILE.parent)) == []  # VS Code's .jsonl are not CLI logs
    assert list(CLI_SOURCE.discover(COPILOT_HOME / "nope")) == []


# --- VS Code: the mutation log ------------------------------------------------------------


def test_a_journal_is_replayed_and_its_recorded_token_counts_are_exact():
    batch = chat(JOURNAL_FILE)
    assert batch.malformed == 0  # the last line is still being written: read it next time
    rows = [(r.model, r.input_tokens, r.output_tokens, r.exact) for r in batch.usage]
    assert rows == [
        # VS Code's completionTokens (every call of the agent turn) over the extension's
        # outputTokens (the last call only); the prompt is the last call's whole prompt
        ("claude-sonnet-4.5", 24210, 1186, True),
        # picked "copilot/auto": billed to the model auto resolved to
        ("gpt-5-mini", 26950, 310, True),
    ]
    # the third request is still being answered: its prompt is kept, its usage waits
    prompts = [m.text for m in batch.messages if m.role == "user"]
    assert prompts[-1] == "Now document it in the README"
    assert all(r.cost_usd is None and not r.sidechain for r in batch.usage)


def test_what_a_turn_put_in_the_window_is_its_recorded_prompt_against_the_pickers_limit():
    first, second = chat(JOURNAL_FILE).usage
    assert (first.context_tokens, second.context_tokens) == (24210, 26950)
    # the session's model picker says Copilot serves "auto" with 127,805 input tokens;
    # it was switched from Sonnet before the second request, so only that one knows its window
    assert (first.context_window, second.context_window) == (None, 127805)


def test_a_journal_session_says_its_folder_title_model_and_extension_version():
    (session,) = chat(JOURNAL_FILE).sessions.values()
    assert session.id == JOURNAL  # Copilot's own UUID, like Claude's and Codex's
    assert (session.provider, session.cwd, session.title) == (
        "copilot", "/home/dev/acme-api", "Rate limiting for the login route"
    )
    assert (session.model, session.version) == ("gpt-5-mini", "0.38.2026030402")
    assert (session.started_at, session.last_activity) == (1773151260.0, 1773151800.0)


def test_answers_and_the_files_a_turn_read_and_edited_are_kept():
    batch = chat(JOURNAL_FILE)
    answers = [m.text for m in batch.messages if m.role == "assistant"]
    # the markdown around the tool call and the edit, as two paragraphs
    assert answers[0] == (
        "I'll add a limiter to the login route.\n\nLogin now allows 5 attempts per minute per IP."
    )
    assert [(r.path, r.action) for r in batch.file_refs] == [
        ("/home/dev/acme-api/src/routes/login.ts", "read"),  # attached as #file
        ("/home/dev/acme-api/src/routes/login.ts", "edit"),  # its textEditGroup
    ]


def test_finishing_a_request_adds_its_turn_and_keeps_the_others_keys(tmp_path):
    grown = tmp_path / JOURNAL_FILE.name
    shutil.copyfile(JOURNAL_FILE, grown)
    finish_third_request(grown)
    before, after = chat(JOURNAL_FILE), chat(grown)
    assert after.malformed == 0
    assert after.usage[:2] == before.usage
    third = after.usage[2]
    assert (third.dedup_key, third.input_tokens, third.output_tokens) == (
        f"copilot:{JOURNAL}:request_41e8c2a6-0b9d-4f37-95e1-a3c6d8b2f7e0", 27400, 205
    )
    assert {m.key for m in before.messages} < {m.key for m in after.messages}


def test_a_log_entry_that_cannot_apply_is_counted_and_the_rest_replayed(tmp_path):
    lines = JOURNAL_FILE.read_bytes().split(b"\n")
    broken = tmp_path / JOURNAL_FILE.name
    bad = [b"{not json", b'{"kind":1,"k":["requests",7,"result"],"v":{}}', b'{"kind":9,"k":["x"]}']
    broken.write_bytes(b"\n".join([lines[0], *bad, *lines[1:]]))
    batch = chat(broken)
    assert batch.malformed == 3
    assert [r.dedup_key for r in batch.usage] == [r.dedup_key for r in chat(JOURNAL_FILE).usage]


# --- VS Code: the older JSON document, estimated -------------------------------------------


def test_an_older_session_without_token_counts_is_estimated_turn_by_turn():
    """Counted here from the fixture's own fields: what the extension rendered and sent,
    the tool results read back, and what the model wrote in each round."""
    r1, r2, r3 = requests_of(OLD_FILE)
    md1, md2 = r1["result"]["metadata"], r2["result"]["metadata"]
    sent1 = md1["renderedGlobalContext"][0]["text"] + "\n" + md1["renderedUserMessage"][0]["text"]
    wrote1 = md1["toolCallRounds"][0]["response"]
    as_text, as_tree = (r["content"][0]["value"] for r in md2["toolCallResults"].values())
    read_back = [as_text, "".join(leaf["text"] for leaf in as_tree["node"]["children"])]
    sent2 = "\n".join([md2["renderedUserMessage"][0]["text"], *read_back])
    wrote2 = "\n".join(x for r in md2["toolCallRounds"]
                       for x in [r["response"], *(c["arguments"] for c in r["toolCalls"])])
    sent3 = r3["message"]["text"]  # a cancelled turn: nothing rendered was recorded
    wrote3 = r3["response"][0]["value"]
    tokens = [count_o200k(t) for t in (sent1, wrote1, sent2, wrote2, sent3, wrote3)]

    batch = chat(OLD_FILE)
    assert [(r.model, r.input_tokens, r.output_tokens, r.exact) for r in batch.usage] == [
        ("gpt-4.1", tokens[0], tokens[1], False),
        ("claude-sonnet-4", tokens[2], tokens[3], False),
        ("claude-sonnet-4", tokens[4], tokens[5], False),
    ]
    # Copilot resends the conversation: the window holds everything so far
    assert [r.context_tokens for r in batch.usage] == [
        tokens[0], sum(tokens[:3]), sum(tokens[:5])
    ]


def test_an_older_session_keeps_its_answers_as_shown_and_its_files():
    batch = chat(OLD_FILE)
    (session,) = batch.sessions.values()
    assert (session.id, session.cwd, session.title, session.model, session.version) == (
        OLD, "/home/dev/acme-web", "Login form submits twice", "claude-sonnet-4", "0.28.1"
    )
    # the last response ended 2.3 s after its request
    assert (session.started_at, session.last_activity) == (1749719700.0, 1749720062.3)
    first_answer = next(m.text for m in batch.messages if m.role == "assistant")
    assert "handler in `login.ts`. Each event calls" in first_answer  # an inline file reference
    assert [(r.path, r.action) for r in batch.file_refs] == [
        ("/home/dev/acme-web/src/login.ts", "read"),  # an attached file, also a used reference
        ("/home/dev/acme-web/src/login.ts", "edit"),  # edited in agent mode
    ]


def test_an_empty_windows_session_has_no_folder_and_counts_the_turns_in_its_snapshot():
    batch = chat(EMPTY_FILE)
    (session,) = batch.sessions.values()
    assert (session.cwd, session.title, session.model) == (
        None, "What does `git rebase --onto` do?", "gpt-4.1"
    )
    in_snapshot = json.loads(EMPTY_FILE.read_text().splitlines()[0])["v"]["requests"][0]
    assert [r.input_tokens for r in batch.usage] == [count_o200k(in_snapshot["message"]["text"]),
                                                     count_o200k("Show an example")]
    assert [m.role for m in batch.messages] == ["user", "assistant", "user", "assistant"]


def test_a_session_caught_mid_write_is_counted_malformed_and_read_again_later(tmp_path):
    cut = tmp_path / OLD_FILE.name
    cut.write_bytes(OLD_FILE.read_bytes()[:5000])
    batch = chat(cut)
    assert (batch.malformed, batch.usage, batch.sessions) == (1, [], {})


def test_an_opened_but_unused_chat_is_no_session(tmp_path):
    unused = tmp_path / "chatSessions" / "a8969187-e0be-4408-95dc-a5781793b48f.json"
    unused.parent.mkdir()
    unused.write_text(json.dumps({"version": 3, "responderUsername": "GitHub Copilot",
                                  "initialLocation": "panel", "requests": [],
                                  "sessionId": unused.stem, "creationDate": 1770431633363}))
    batch = chat(unused)
    assert (batch.malformed, batch.sessions) == (0, {})


@pytest.mark.parametrize(("workspace", "cwd"), [
    ({"folder": "vscode-remote://wsl%2Bubuntu/home/dev/acme-api"}, "/home/dev/acme-api"),
    ({"folder": "file:///c%3A/Users/dev/acme%20api"}, "c:/Users/dev/acme api"),
    ({"workspace": "file:///home/dev/acme.code-workspace"}, "/home/dev"),
])
def test_the_folder_of_a_remote_windows_or_multi_root_workspace(tmp_path, workspace, cwd):
    session = tmp_path / "ws" / "chatSessions" / OLD_FILE.name
    session.parent.mkdir(parents=True)
    shutil.copyfile(OLD_FILE, session)
    (tmp_path / "ws" / "workspace.json").write_text(json.dumps(workspace))
    (row,) = chat(session).sessions.values()
    assert row.cwd == cwd


# --- the Copilot CLI ------------------------------------------------------------------------


def test_output_is_billed_per_message_and_input_per_shutdown():
    """By hand from events.jsonl: leg 1's messages write 96+412+58 (Sonnet) and 130+75
    (gpt-5); its shutdown totals, input including the cache, add the rest. Leg 2's two
    messages of one call write 310 once, then 88; a compaction restarted the totals, so
    its shutdown's are all new. Leg 3 writes 12 and the CLI crashed mid-line."""
    usage = cli_log().usage
    rows = [(r.model, r.input_tokens, r.cache_read_tokens, r.output_tokens) for r in usage]
    assert rows == [
        ("claude-sonnet-4.5", 0, 0, 96),
        ("claude-sonnet-4.5", 0, 0, 412),
        ("claude-sonnet-4.5", 0, 0, 58),
        ("gpt-5", 0, 0, 130), ("gpt-5", 0, 0, 75),
        ("claude-sonnet-4.5", 61240 - 42880, 42880, 0),  # output 566 already billed per message
        ("gpt-5", 38400 - 30720, 30720, 251 - (130 + 75)),  # the 46 no message counted
        ("gpt-5", 0, 0, 310), ("gpt-5", 0, 0, 310),  # one call, logged as two messages: one key
        ("gpt-5", 0, 0, 88),
        ("gpt-5", 15200 - 9000, 9000, 0),
        ("gpt-5", 0, 0, 12),
    ]
    keys = [r.dedup_key for r in usage]
    assert keys[7] == keys[8] == f"copilot:{CLI_ID}:resp_0b1c2d3e4f5a6b7c8d9e0f1a"
    assert len(set(keys)) == len(keys) - 1
    assert all(r.exact and r.cost_usd is None and not r.sidechain for r in usage)


def test_the_window_is_what_the_cli_last_measured():
    # currentTokens at each shutdown, postCompactionTokens after the compaction
    assert [r.context_tokens for r in cli_log().usage] == [
        0, 0, 0, 0, 0, 21504, 21504, 21504, 21504, 9100, 12400, 12400
    ]


def test_a_cli_session_says_where_it_ran_on_what_and_what_it_was_about():
    batch = cli_log()
    (session,) = batch.sessions.values()
    assert (session.id, session.cwd, session.git_branch, session.version) == (
        CLI_ID, "/home/dev/acme-api", "feature/rate-limit", "0.0.372"
    )
    assert (session.model, session.title) == ("gpt-5", "Add a rate limiter to the /login route")
    assert [(m.role, m.kind) for m in batch.messages] == [
        ("user", "prompt"), ("assistant", "text"), ("assistant", "text"),
        ("user", "prompt"), ("assistant", "text"),
        ("user", "prompt"), ("system", "compact"), ("assistant", "text"),
        ("user", "prompt"), ("assistant", "text"),
    ]
    assert [(r.path, r.action) for r in batch.file_refs] == [
        ("/home/dev/acme-api/src/routes/login.ts", "read"),  # view
        ("/home/dev/acme-api/src/routes/login.ts", "edit"),  # edit
        ("/home/dev/acme-api/src", "search"),  # bash: rg -n loginLimiter src tests
        ("/home/dev/acme-api/tests", "search"),  # (npx jest is no file reader)
        ("/home/dev/acme-api/src/routes/signup.ts", "edit"),  # edit of a relative path
    ]


def test_an_older_cli_log_without_output_counts_is_estimated():
    batch = cli_log(FLAT_FILE)
    answer = "It builds the image, pushes it to the registry and restarts the service."
    assert [(r.model, r.output_tokens, r.exact) for r in batch.usage] == [
        ("claude-sonnet-4.5", count_o200k(answer), False)  # no model named: the CLI's default
    ]
    (session,) = batch.sessions.values()
    assert (session.id, session.cwd, session.version) == (FLAT_ID, None, "0.0.334")


def test_reading_appended_lines_later_gives_the_same_rows_as_reading_all_at_once():
    data = complete_lines(CLI_FILE)
    whole = CLI_SOURCE.parse(CLI_FILE, data, None)
    for cut in [i + 1 for i, byte in enumerate(data) if byte == ord("\n")][:-1]:
        head = CLI_SOURCE.parse(CLI_FILE, data[:cut], None)
        tail = CLI_SOURCE.parse(CLI_FILE, data[cut:], head.state)
        for kind in ("usage", "messages", "file_refs"):
            assert getattr(head, kind) + getattr(tail, kind) == getattr(whole, kind), cut
        merged = Batch()
        for row in [*head.sessions.values(), *tail.sessions.values()]:
            merged.see_session(row)
        assert merged.sessions == whole.sessions, cut


def test_a_cli_line_that_is_not_json_is_counted_and_a_bad_state_starts_afresh():
    data = complete_lines(CLI_FILE)
    batch = CLI_SOURCE.parse(CLI_FILE, b'{"type":"assistant.message","data":{"mess\n' + data, None)
    assert batch.malformed == 1 and batch.usage == cli_log().usage
    assert CLI_SOURCE.parse(CLI_FILE, data, b"\x00not msgpack").usage == cli_log().usage


# --- the real CLI ----------------------------------------------------------------------------


@pytest.fixture
def copilot_logs(sandbox_home: Path) -> Path:
    """The fixtures where VS Code and the CLI write them on Linux."""
    shutil.copytree(CODE, sandbox_home / ".config" / "Code")
    shutil.copytree(COPILOT_HOME, sandbox_home / ".copilot")
    return sandbox_home


def test_the_cli_lists_copilot_sessions_and_their_usage_by_day(copilot_logs, cli):
    scan = cli("scan", "--json")
    assert scan.code == 0, scan.err
    assert (scan.json()["files"], scan.json()["malformed"], scan.json()["sessions"]) == (5, 0, 5)

    listed = {s["id"]: s for s in cli("list", "--json", "--provider", "copilot").json()}
    assert set(listed) == {OLD, JOURNAL, EMPTY, CLI_ID, FLAT_ID}
    journal = listed[JOURNAL]
    assert (journal["project"], journal["model"]) == ("acme-api", "gpt-5-mini")
    tokens = journal["tokens"]
    assert (tokens["input"], tokens["output"], tokens["source"]) == (24210 + 26950, 1186 + 310, "exact")
    assert journal["context"] == {
        "used": 26950, "limit": 127805, "percent": round(100 * 26950 / 127805, 1)
    }
    # priced at the API's list prices: what the turns would cost outside the subscription
    api_price = pricing.cost("claude-sonnet-4.5", 24210, 1186) + pricing.cost("gpt-5-mini", 26950, 310)
    assert journal["cost_usd"] == pytest.approx(api_price, abs=1e-6)
    assert listed[OLD]["tokens"]["source"] == "estimated"
    assert listed[EMPTY]["project"] is None
    cli_session = listed[CLI_ID]
    assert (cli_session["project"], cli_session["tokens"]["cache_read"]) == (
        "acme-api", 42880 + 30720 + 9000
    )

    usage = cli("usage", "--by", "day", "--json", "--provider", "copilot").json()
    days = {r["key"]: r for r in usage["rows"]}
    assert sorted(days) == ["2025-06-12", "2025-10-06", "2026-02-02", "2026-03-10", "2026-03-11"]
    # the CLI session: every message's output and each shutdown's new input, by hand
    assert (days["2026-03-11"]["input_tokens"], days["2026-03-11"]["output_tokens"]) == (
        (61240 - 42880) + (38400 - 30720) + (15200 - 9000),
        96 + 412 + 58 + 130 + 75 + 46 + 310 + 88 + 12,
    )
    assert days["2026-03-10"]["output_tokens"] == 1186 + 310


def test_rescanning_adds_nothing_and_a_journal_that_grew_is_not_counted_twice(copilot_logs, cli):
    assert cli("scan", "--json").code == 0
    assert cli("scan", "--json").json()["records"] == 0

    finish_third_request(copilot_logs / ".config" / "Code" / JOURNAL_FILE.relative_to(CODE))
    scan = cli("scan", "--json").json()
    assert (scan["files_read"], scan["malformed"]) == (1, 0)
    listed = {s["id"]: s for s in cli("list", "--json", "--provider", "copilot").json()}
    tokens = listed[JOURNAL]["tokens"]
    assert (tokens["input"], tokens["output"]) == (24210 + 26950 + 27400, 1186 + 310 + 205)


def test_a_resumed_cli_session_adds_only_what_its_new_lines_bill(tmp_path, cli):
    home = tmp_path / "cp"
    log = home / "session-state" / CLI_ID / "events.jsonl"
    log.parent.mkdir(parents=True)
    data = CLI_FILE.read_bytes()
    first_leg = data[: data.index(b'{"type":"session.resume"')]
    log.write_bytes(first_leg)
    env = {"COPILOT_HOME": str(home)}
    assert cli("scan", "--json", env=env).code == 0
    with log.open("ab") as f:
        f.write(data[len(first_leg):])
    assert cli("scan", "--json", env=env).json()["malformed"] == 0  # the crash's half line waits
    report = cli("usage", "--by", "session", "--json", "--provider", "copilot", env=env).json()
    totals = report["totals"]
    whole = cli_log()
    assert (totals["input_tokens"], totals["output_tokens"], totals["cache_read_tokens"]) == (
        sum(r.input_tokens for r in whole.usage),
        sum(r.output_tokens for r in whole.usage) - 310,  # one call's two messages, one row
        sum(r.cache_read_tokens for r in whole.usage),
    )


def test_a_disabled_copilot_source_is_not_read(copilot_logs, tmp_path, cli):
    config = tmp_path / "config.yaml"
    config.write_text("sources:\n  copilot:\n    enabled: false\n")
    assert cli("scan", "--json", env={"LLM_SESSION_CONFIG": str(config)}).json()["files"] == 0
