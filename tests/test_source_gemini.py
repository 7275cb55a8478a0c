"""The Gemini CLI source, told through the chats in tests/fixtures/gemini."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from llm_session_manager.core.models import Batch
from llm_session_manager.sources import SOURCES
from llm_session_manager.sources.gemini import RECORDS_SOURCE, SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "gemini"
GEMINI = FIXTURES / "home" / ".gemini"
TMP = GEMINI / "tmp"
WEATHER_HASH = hashlib.sha256(b"/home/dev/weather-cli").hexdigest()
LEGACY = TMP / WEATHER_HASH / "chats" / "session-2025-10-18T14-57-91ff4a35.json"
NOTES = TMP / "notes-app" / "chats" / "session-2026-01-12T09-30-5c8e2d41.json"
RECORDS = TMP / "notes-app" / "chats" / "session-2026-04-20T09-00-6a6a6a6a.jsonl"
RECORDS_ID = "6a6a6a6a-0b1c-4d2e-8f3a-5b6c7d8e9f01"
SUBAGENT = TMP / "notes-app" / "chats" / RECORDS_ID / "0la501.jsonl"
GATEWAY = TMP / "api-gateway" / "chats" / "session-2026-02-03T16-45-0d9b7e23.json"
HALF_WRITTEN = FIXTURES / "half-written" / "session-2026-02-03T16-45-0d9b7e23.json"


@pytest.fixture(autouse=True)
def no_gemini_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own GEMINI_CLI_HOME must not leak into a scan."""
    monkeypatch.delenv("GEMINI_CLI_HOME", raising=False)


def parse(path: Path) -> Batch:
    source = RECORDS_SOURCE if path.suffix == ".jsonl" else SOURCE
    return source.parse(path, path.read_bytes(), None)


def counts(batch: Batch) -> list[tuple[int, int, int]]:
    """(input, cache read, output) of each billed response."""
    return [(r.input_tokens, r.cache_read_tokens, r.output_tokens) for r in batch.usage]


def stored(*batches: Batch) -> dict[str, dict]:
    """The rows as the store keeps them: a response's fullest copy, any other row's first."""
    usage: dict[str, tuple] = {}
    kept: dict[str, dict[str, tuple]] = {"messages": {}, "file_refs": {}}
    for batch in batches:
        for row in batch.usage:
            old = usage.get(row.dedup_key)
            if old is None or sum(row[4:8]) > sum(old[4:8]):
                usage[row.dedup_key] = row
        for kind, rows in kept.items():
            for row in getattr(batch, kind):
                rows.setdefault(row.key, row)
    merged = Batch()
    for batch in batches:
        for session in batch.sessions.values():
            merged.see_session(session)
    return {"usage": usage, **kept, "sessions": merged.sessions}


# --- where the chats are ------------------------------------------------------------


def test_both_layouts_are_registered_for_the_gemini_provider():
    assert [s.layout for s in SOURCES if s.provider == "gemini"] == ["document", "lines"]


def test_gemini_cli_home_replaces_the_home_gemini_keeps_its_data_in(tmp_path):
    for source in (SOURCE, RECORDS_SOURCE):
        assert source.default_roots({}, tmp_path) == [tmp_path / ".gemini" / "tmp"]
        assert source.default_roots({"GEMINI_CLI_HOME": "/srv/profile-2"}, tmp_path) == [
            Path("/srv/profile-2/.gemini/tmp")
        ]


def test_documents_and_record_files_are_found_in_every_projects_chats():
    documents = sorted(str(p) for p in (GATEWAY, LEGACY, NOTES))
    assert sorted(SOURCE.discover(TMP)) == documents
    assert sorted(RECORDS_SOURCE.discover(TMP)) == sorted(str(p) for p in (RECORDS, SUBAGENT))
    # a configured path may name the .gemini directory instead of its tmp/
    assert sorted(SOURCE.discover(GEMINI)) == documents


def test_a_missing_gemini_directory_yields_nothing(tmp_path):
    assert list(SOURCE.discover(tmp_path / "nope")) == []
    assert list(RECORDS_SOURCE.discover(tmp_path / "nope")) == []


# --- usage ----------------------------------------------------------------------------


def test_cached_input_is_kept_apart_and_thoughts_are_output():
    batch = parse(LEGACY)
    # tokens {input, output, cached, thoughts} of the four responses, by hand:
    # (8396, 20, 0, 24), (8642, 156, 0, 310), (9104, 45, 6200, 120), (10480, 212, 8192, 0)
    assert counts(batch) == [
        (8396, 0, 20 + 24),
        (8642, 0, 156 + 310),
        (9104 - 6200, 6200, 45 + 120),
        (10480 - 8192, 8192, 212),
    ]
    # input + cache read + output is Gemini's own `total` of each response
    assert [r.input_tokens + r.cache_read_tokens + r.output_tokens for r in batch.usage] == [
        8440, 9108, 9269, 10692,
    ]
    assert all(r.model == "gemini-2.5-pro" and r.cost_usd is None for r in batch.usage)
    # what the model had in its window is the prompt, cached part included
    assert [r.context_tokens for r in batch.usage] == [8396, 8642, 9104, 10480]


def test_tool_use_prompt_tokens_are_input_the_prompt_count_leaves_out():
    (row,) = parse(NOTES).usage
    # input 15230 with 12288 cached, tool 14, output 96, thoughts 182; total 15522
    assert (row.input_tokens, row.cache_read_tokens, row.output_tokens) == (15230 - 12288 + 14, 12288, 96 + 182)
    assert row.input_tokens + row.cache_read_tokens + row.output_tokens == 15522


def test_a_response_recorded_again_and_again_counts_once():
    batch = parse(RECORDS)
    # the first response is appended four times (tokens null, then with tokens, with a
    # running and a finished tool call) and repeated in a `$set` messages list; the
    # second is repeated there too; the third comes after a rewind
    assert counts(batch) == [
        (12000, 0, 80 + 400),
        (13500 - 11800, 11800, 640 + 210),
        (14900 - 13000, 13000, 120),
    ]
    assert len({r.dedup_key for r in batch.usage}) == 3
    assert [r.model for r in batch.usage] == ["gemini-3-pro-preview"] * 2 + ["gemini-3-flash-preview"]


def test_a_rewound_response_was_billed_and_stays_counted():
    batch = parse(RECORDS)
    rewound = "7b6a5948-3726-4150-8f9e-ad0c1b2e3f40"  # {"$rewindTo": …} names it
    assert any(r.dedup_key.endswith(rewound) for r in batch.usage)


def test_a_sub_agent_is_billed_to_its_parent_session_as_a_side_chain():
    batch = parse(SUBAGENT)
    assert {r.session_id for r in batch.usage} == {RECORDS_ID}
    assert counts(batch) == [(2507, 0, 10 + 56), (2790, 0, 41 + 12)]
    assert all(r.sidechain for r in batch.usage)
    # the parent's instructions are not the user's prompts, nor its answers the session's
    assert batch.messages == []
    assert [(r.path, r.action) for r in batch.file_refs] == [("/home/dev/notes-app/src", "list")]
    (session,) = batch.sessions.values()
    assert (session.id, session.title, session.model) == (RECORDS_ID, None, None)
    # its keys are its own: the parent's responses are never replaced by its
    assert {r.dedup_key for r in batch.usage}.isdisjoint(r.dedup_key for r in parse(RECORDS).usage)


def test_a_resumed_document_copied_into_a_record_file_counts_once(tmp_path):
    # Resuming a .json chat, the JSONL recorder writes its metadata and every message
    # into session-….jsonl beside it, then {"$set": {"sessionId": …}}
    conv = json.loads(LEGACY.read_text())
    lines = [{k: conv[k] for k in ("sessionId", "projectHash", "startTime", "lastUpdated")}]
    lines += conv["messages"] + [{"$set": {"sessionId": conv["sessionId"]}}]
    copy = tmp_path / "chats" / (LEGACY.name + "l")
    copy.parent.mkdir()
    copy.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    document, records = parse(LEGACY), parse(copy)
    assert [r.dedup_key for r in records.usage] == [r.dedup_key for r in document.usage]
    assert [m.key for m in records.messages] == [m.key for m in document.messages]


# --- the session ------------------------------------------------------------------------


def test_the_project_directory_comes_from_the_marker_or_the_registry():
    cwd = {s.id: s.cwd for path in (LEGACY, NOTES, RECORDS, GATEWAY) for s in parse(path).sessions.values()}
    assert cwd == {
        "5c8e2d41-7b3a-4f6e-9a1d-c2b8e0f4a7d3": "/home/dev/notes-app",  # tmp/notes-app/.project_root
        RECORDS_ID: "/home/dev/notes-app",
        "0d9b7e23-5a4c-4e1f-b2d8-9c6a3f1e7b50": "/home/dev/api-gateway",  # projects.json
        "91ff4a35-0f7b-492d-8a04-ee206be11ec6": None,  # a hash directory nothing names
    }


def test_without_marker_or_registry_a_directory_the_chat_names_is_used_if_it_hashes_to_the_project(tmp_path):
    chats = tmp_path / ".gemini" / "tmp" / "notes-app" / "chats"
    chats.mkdir(parents=True)
    copy = chats / RECORDS.name
    shutil.copyfile(RECORDS, copy)
    # its <session_context> lists /home/dev/notes-app, whose sha256 is the chat's projectHash
    assert [s.cwd for s in parse(copy).sessions.values()] == ["/home/dev/notes-app"]
    # a context naming another directory is not believed
    copy.write_text(RECORDS.read_text().replace("  - /home/dev/notes-app", "  - /home/dev/elsewhere"))
    assert [s.cwd for s in parse(copy).sessions.values()] == [None]


def test_the_session_says_when_it_ran_on_what_and_what_it_was_about():
    (session,) = parse(RECORDS).sessions.values()
    assert (session.id, session.provider) == (RECORDS_ID, "gemini")
    assert session.title == "Add a search command to the CLI"  # not the injected context
    assert session.model == "gemini-3-flash-preview"  # the latest response's
    # from the metadata's startTime to the last record's lastUpdated
    assert (session.started_at, session.last_activity) == (1776675641.912, 1776675901.777)


def test_prompts_answers_errors_and_summary_are_kept_but_not_context_or_tool_results():
    messages = parse(RECORDS).messages
    assert [(m.role, m.kind) for m in messages] == [
        ("user", "prompt"), ("assistant", "text"), ("user", "prompt"), ("assistant", "text"),
        ("system", "api_error"), ("system", "summary"),
    ]
    assert messages[2].text == "Make search case-insensitive"
    assert messages[-1].text == "Add a case-insensitive search command to the notes CLI"
    assert not any("session_context" in m.text or "functionResponse" in m.text for m in messages)


def test_a_prompt_is_what_the_user_typed_not_the_file_contents_it_was_expanded_with():
    prompts = [m.text for m in parse(NOTES).messages if m.kind == "prompt"]
    assert prompts == ["Summarize @README.md into docs/summary.md"]


def test_tool_calls_that_ran_name_the_files_they_touched():
    refs = {path.name: [(r.path, r.action) for r in parse(path).file_refs] for path in (LEGACY, NOTES, RECORDS)}
    assert refs == {
        LEGACY.name: [
            ("/home/dev/weather-cli", "list"),  # list_directory {path}
            ("/home/dev/weather-cli/forecast.py", "read"),  # read_file {absolute_path}; the failed one is not
            ("/home/dev/weather-cli/forecast.py", "edit"),  # replace
        ],
        NOTES.name: [("/home/dev/notes-app/docs/summary.md", "write")],  # relative to the project
        RECORDS.name: [
            ("/home/dev/notes-app/src/cli.py", "read"),  # once, though recorded running and done
            ("/home/dev/notes-app/src/cli.py", "edit"),
            ("/home/dev/notes-app/src/cli.py", "search"),  # grep -n search src/cli.py && ls docs
            ("/home/dev/notes-app/docs", "list"),
        ],
    }


# --- damaged and partial input ------------------------------------------------------------


def test_a_line_cut_short_is_counted_as_malformed_and_skipped():
    assert parse(RECORDS).malformed == 1
    assert parse(LEGACY).malformed == 0


def test_a_document_caught_mid_write_is_one_malformed_record():
    batch = parse(HALF_WRITTEN)
    assert (batch.malformed, batch.usage, batch.sessions) == (1, [], {})


@pytest.mark.parametrize("path", [RECORDS, SUBAGENT], ids=lambda p: p.name)
def test_reading_appended_lines_later_gives_the_rows_reading_all_at_once_gives(path):
    data = path.read_bytes()
    whole = stored(RECORDS_SOURCE.parse(path, data, None))
    cuts = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")][:-1]
    for cut in cuts:
        head = RECORDS_SOURCE.parse(path, data[:cut], None)
        tail = RECORDS_SOURCE.parse(path, data[cut:], head.state)
        assert stored(head, tail) == whole, cut


def test_a_state_it_cannot_read_starts_the_file_afresh():
    batch = RECORDS_SOURCE.parse(RECORDS, RECORDS.read_bytes(), b"\x00not msgpack")
    assert len(batch.usage) == 3


# --- through the CLI ----------------------------------------------------------------------


@pytest.fixture
def gemini_home(sandbox_home: Path) -> Path:
    """The fixture chats where Gemini CLI keeps them: ~/.gemini."""
    shutil.copytree(GEMINI, sandbox_home / ".gemini")
    return sandbox_home / ".gemini"


def test_a_scan_lists_every_chat_as_one_session_and_a_rescan_adds_nothing(gemini_home, cli):
    first = cli("scan", "--json")
    assert first.code == 0, first.err
    assert first.json()["malformed"] == 1  # the line cut short
    sessions = {s["id"]: s for s in cli("list", "--json", "--provider", "gemini").json()}
    assert {sid: (s["project"], s["tokens"]["source"]) for sid, s in sessions.items()} == {
        "91ff4a35-0f7b-492d-8a04-ee206be11ec6": (None, "exact"),
        "5c8e2d41-7b3a-4f6e-9a1d-c2b8e0f4a7d3": ("notes-app", "exact"),
        RECORDS_ID: ("notes-app", "exact"),
        "0d9b7e23-5a4c-4e1f-b2d8-9c6a3f1e7b50": ("api-gateway", "exact"),
    }
    # the JSONL session with its sub-agent: 12000+1700+1900+2507+2790 input,
    # 480+850+120+66+53 output, 11800+13000 cached
    assert sessions[RECORDS_ID]["tokens"] == {
        "input": 20897, "output": 1569, "cache_creation": 0, "cache_read": 24800,
        "total": 47266, "source": "exact",
    }
    # context fill is the main chain's last prompt, not the sub-agent's
    assert sessions[RECORDS_ID]["context"]["used"] == 14900
    assert sessions[RECORDS_ID]["title"] == "Add a case-insensitive search command to the notes CLI"
    again = cli("scan", "--json").json()
    assert (again["records"], again["sessions"], again["files_read"]) == (0, 0, 0)


def test_usage_by_day_adds_up_each_days_responses(gemini_home, cli):
    assert cli("scan", "--json").code == 0
    rows = {r["key"]: r for r in cli("usage", "--by", "day", "--json", "--provider", "gemini").json()["rows"]}
    assert sorted(rows) == ["2025-10-18", "2026-01-12", "2026-02-03", "2026-04-20"]
    # 2025-10-18: the legacy chat (see test_cached_input_is_kept_apart_and_thoughts_are_output)
    day = rows["2025-10-18"]
    assert (day["input_tokens"], day["cache_read_tokens"], day["output_tokens"]) == (
        8396 + 8642 + 2904 + 2288, 6200 + 8192, 44 + 466 + 165 + 212,
    )
    assert day["total_tokens"] == 8440 + 9108 + 9269 + 10692
    # 2026-02-03: one gemini-2.5-flash response, priced from the bundled table
    table = json.loads((Path(__file__).parents[1] / "server/llm_session_manager/data/pricing.json").read_text())
    price = table["gemini-2.5-flash"]
    day = rows["2026-02-03"]
    assert (day["input_tokens"], day["output_tokens"]) == (6079, 52 + 62)
    assert day["cost_usd"] == pytest.approx(
        6079 * price["input_cost_per_token"] + 114 * price["output_cost_per_token"], abs=1e-6
    )


def test_a_rewritten_document_is_read_again_without_counting_twice(gemini_home, cli):
    assert cli("scan", "--json").code == 0
    path = gemini_home / "tmp" / "api-gateway" / "chats" / GATEWAY.name
    conv = json.loads(path.read_text())
    conv["messages"].append({
        "id": "8a7f6e5d-4c3b-4a29-b8c7-f6e5d4c3b2a1", "timestamp": "2026-02-03T16:46:02.118Z",
        "type": "gemini", "content": "Warm the pool before the probe.", "thoughts": [],
        "tokens": {"input": 6300, "output": 40, "cached": 4096, "thoughts": 0, "tool": 0, "total": 6340},
        "model": "gemini-2.5-flash",
    })
    conv["lastUpdated"] = "2026-02-03T16:46:02.118Z"
    path.write_text(json.dumps(conv, indent=2))  # Gemini CLI rewrites the whole file
    scan = cli("scan", "--json").json()
    assert (scan["files_read"], scan["records"]) == (1, 2)  # the new response and its answer
    (day,) = [r for r in cli("usage", "--by", "day", "--json").json()["rows"] if r["key"] == "2026-02-03"]
    assert (day["input_tokens"], day["cache_read_tokens"], day["output_tokens"]) == (
        6079 + 6300 - 4096, 4096, 114 + 40,
    )


def test_appended_records_are_read_without_rereading_the_rest(gemini_home, cli):
    assert cli("scan", "--json").code == 0
    path = gemini_home / "tmp" / "notes-app" / "chats" / RECORDS.name
    message = {
        "id": "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", "timestamp": "2026-04-20T09:06:30.000Z",
        "type": "gemini", "content": "Done.", "thoughts": [], "model": "gemini-3-flash-preview",
        "tokens": {"input": 15100, "output": 12, "cached": 14000, "thoughts": 3, "tool": 0, "total": 15115},
    }
    with path.open("a") as f:
        f.write(json.dumps(message, separators=(",", ":")) + "\n")
        f.write(json.dumps(dict(message, content="Done, twice."), separators=(",", ":")) + "\n")
    scan = cli("scan", "--json").json()
    assert (scan["files_read"], scan["records"]) == (1, 2)  # one response, one answer
    (session,) = [s for s in cli("list", "--json", "--provider", "gemini").json() if s["id"] == RECORDS_ID]
    assert session["tokens"]["input"] == 20897 + 1100
    assert session["context"]["used"] == 15100


def test_gemini_cli_home_moves_where_the_scan_looks(tmp_path, cli):
    profile = tmp_path / "profile"
    shutil.copytree(GEMINI, profile / ".gemini")
    scan = cli("scan", "--json", env={"GEMINI_CLI_HOME": str(profile)}).json()
    assert scan["files"] == 5  # three documents, two record files
    ids = {s["id"] for s in cli("list", "--json", "--provider", "gemini").json()}
    assert len(ids) == 4
