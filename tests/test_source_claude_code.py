"""Reading Claude Code transcripts: what counts as usage (as ccusage counts it),
which session it belongs to, and what is kept of the conversation.

The fixture project and its hand-made totals are described in
``fixtures/claude-code/README.md``.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llm_session_manager.core.models import Batch, UsageRow
from llm_session_manager.sources.claude_code import SOURCE

FIXTURE = Path(__file__).parent / "fixtures" / "claude-code"
PROJECT = "projects/-home-dev-shop"
A = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"
B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"
SUB = f"{B}/subagents/agent-a1b2c3d.jsonl"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """The fixture config dir, copied where the test may touch it."""
    return Path(shutil.copytree(FIXTURE, tmp_path / ".claude"))


def parse(path: Path) -> Batch:
    return SOURCE.parse(path, path.read_bytes(), None)


def parse_project(config_dir: Path) -> dict[str, Batch]:
    """Every log of the fixture project, by its path under the project dir."""
    project = config_dir / PROJECT
    return {str(p.relative_to(project)): parse(p) for p in map(Path, SOURCE.discover(config_dir))}


def tokens(row: UsageRow) -> tuple[int, int, int, int]:
    return (row.input_tokens, row.output_tokens, row.cache_creation_tokens, row.cache_read_tokens)


def by_key(*batches: Batch) -> dict[str, UsageRow]:
    """Usage of several logs by dedup key, as the store keeps it: the copies here are
    equal, and of equal copies the first stays."""
    rows: dict[str, UsageRow] = {}
    for batch in batches:
        for row in batch.usage:
            kept = rows.setdefault(row.dedup_key, row)
            assert tokens(kept) == tokens(row)
    return rows


def line(**fields: object) -> str:
    """One transcript line with Claude Code's envelope; ``fields`` come after it."""
    envelope = {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": "/home/dev/app",
        "sessionId": "s-1",
        "version": "1.0.83",
        "gitBranch": "main",
    }
    return json.dumps({**envelope, **fields}, separators=(",", ":"))


def response(uuid: str, ts: str, usage: dict, message_id: str | None = "msg_01X", request_id: str | None = "req_01X",
             model: str = "claude-sonnet-4-20250514", **fields: object) -> str:
    message = {"type": "message", "role": "assistant", "model": model, "content": [{"type": "text", "text": "ok"}],
               "stop_reason": None, "stop_sequence": None, "usage": usage}
    if message_id is not None:
        message = {"id": message_id, **message}
    extra = {"requestId": request_id} if request_id is not None else {}
    return line(message=message, **extra, type="assistant", uuid=uuid, timestamp=ts, **fields)


def usage(fresh: int, output: int, written: int = 0, read: int = 0, **extra: object) -> dict:
    return {"input_tokens": fresh, "cache_creation_input_tokens": written, "cache_read_input_tokens": read,
            "output_tokens": output, "service_tier": "standard", **extra}


def transcript(tmp_path: Path, *lines: str, session: str = "s-1") -> Path:
    path = tmp_path / ".claude" / "projects" / "-home-dev-app" / f"{session}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
    return path


# --- usage, counted as ccusage counts it -------------------------------------


def test_a_response_written_once_per_content_block_counts_once_with_its_final_usage(config_dir: Path) -> None:
    session_a = parse_project(config_dir)[f"{A}.jsonl"]
    first = [row for row in session_a.usage if row.dedup_key == "msg_01A1coupon7Hq2:req_011CRA1"]
    # Three lines carry this response; the first two hold a streaming snapshot (3 output tokens).
    assert [tokens(row) for row in first] == [(4, 168, 6120, 11250)]
    assert first[0].context_tokens == 4 + 6120 + 11250
    assert len(session_a.usage) == 6


def test_a_response_repeated_by_a_resumed_session_counts_once(config_dir: Path) -> None:
    logs = parse_project(config_dir)
    keys_a = {row.dedup_key for row in logs[f"{A}.jsonl"].usage}
    keys_b = {row.dedup_key for row in logs[f"{B}.jsonl"].usage}
    assert keys_a & keys_b == {"msg_01A3editPz8v:req_011CRA3", "msg_01A4doneXc2d:req_011CRA4"}
    assert len(by_key(*logs.values())) == 12


def test_the_project_adds_up_to_what_ccusage_daily_reports(config_dir: Path) -> None:
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in by_key(*parse_project(config_dir).values()).values():
        day = datetime.fromtimestamp(row.ts, UTC).date().isoformat()
        days[day] = [total + part for total, part in zip(days[day], tokens(row))]
    assert dict(days) == {"2025-08-14": [32, 812, 11160, 68660], "2025-08-15": [47, 992, 13030, 67070]}


def test_an_api_error_is_a_message_not_usage(config_dir: Path) -> None:
    session_a = parse_project(config_dir)[f"{A}.jsonl"]
    assert not [row for row in session_a.usage if row.model == "<synthetic>"]
    errors = [m for m in session_a.messages if m.kind == "api_error"]
    assert [(m.key, m.role) for m in errors] == [("a0000001-0000-4000-8000-000000000015", "assistant")]
    assert errors[0].text.startswith("API Error: 529")


def test_a_sub_agent_response_relayed_by_a_progress_line_is_the_same_response(config_dir: Path) -> None:
    logs = parse_project(config_dir)
    relayed = [row for row in logs[f"{B}.jsonl"].usage if row.dedup_key == "msg_01SUB1lsYy6f:req_011CSUB1"]
    own = [row for row in logs[SUB].usage if row.dedup_key == "msg_01SUB1lsYy6f:req_011CSUB1"]
    assert [tokens(row) for row in relayed] == [tokens(row) for row in own] == [(9, 61, 4210, 0)]
    assert relayed[0].sidechain and own[0].sidechain
    assert relayed[0].model == "claude-haiku-4-5-20251001"


def test_a_btw_replay_of_a_response_counts_once_as_the_parent(tmp_path: Path) -> None:
    path = transcript(
        tmp_path,
        response("u1", "2025-09-01T10:00:00.000Z", usage(2, 20, read=300), "msg_01Par", "req_P"),
        # /btw replays the parent's response in a sidechain, under a new request id
        response("u2", "2025-09-01T10:00:30.000Z", usage(2, 20, read=50_000), "msg_01Par", "req_Q", isSidechain=True),
        response("u3", "2025-09-01T10:00:40.000Z", usage(3, 30, read=700), "msg_01Btw", "req_R", isSidechain=True),
    )
    rows = parse(path).usage
    assert [(row.dedup_key, row.cache_read_tokens, row.sidechain) for row in rows] == [
        ("msg_01Par:req_P", 300, False),
        ("msg_01Btw:req_R", 700, True),
    ]


def test_lines_without_ids_are_counted_each_with_a_key_that_survives_a_reread(tmp_path: Path) -> None:
    path = transcript(
        tmp_path,
        response("u1", "2025-09-01T10:00:00.000Z", usage(1000, 1), message_id=None),
        response("u2", "2025-09-01T10:00:00.000Z", usage(1000, 1), message_id=None),
        # no requestId: one response per session and timestamp
        response("u3", "2025-09-01T10:01:00.000Z", usage(7, 1), request_id=None),
        response("u4", "2025-09-01T10:01:00.000Z", usage(7, 3), request_id=None),
        response("u5", "2025-09-01T10:01:01.000Z", usage(7, 5), request_id=None),
    )
    first, second = parse(path), parse(path)
    assert [(row.dedup_key, row.output_tokens) for row in first.usage] == [
        ("uuid:u1", 1),
        ("uuid:u2", 1),
        ("s-1:msg_01X:1756720860000", 3),
        ("s-1:msg_01X:1756720861000", 5),
    ]
    assert first.usage == second.usage


def test_lines_ccusage_does_not_count_are_not_counted(tmp_path: Path) -> None:
    at = "2025-09-01T10:00:00.000Z"
    path = transcript(
        tmp_path,
        response("u1", at, usage(1, 1), "msg_01N1", "req_N1", costUSD=None),
        response("u2", at, usage(1, 1), "msg_01N2", ""),
        response("u3", at, usage(1, 1), "msg_01N3", "req_N3", version="dev"),
        response("u4", at, {"input_tokens": 1, "output_tokens": 1, "cache_read_input_tokens": None}, "msg_01N4"),
        response("u5", at, {"output_tokens": 9}, "msg_01N5", "req_N5"),
        response("u6", at, usage(1, 1), "msg_01N6", "req_N6", model=""),
    )
    batch = parse(path)
    assert batch.usage == []
    assert batch.malformed == 0


def test_a_logged_cost_is_kept_and_its_absence_left_to_pricing(tmp_path: Path) -> None:
    path = transcript(
        tmp_path,
        response("u1", "2025-09-01T10:00:00.000Z", usage(1, 1), "msg_01C1", "req_1", costUSD=0.5),
        response("u2", "2025-09-01T10:00:01.000Z", usage(1, 1), "msg_01C2", "req_2"),
    )
    assert [row.cost_usd for row in parse(path).usage] == [0.5, None]


def test_cache_writes_are_the_ttl_buckets_when_the_log_has_them(tmp_path: Path) -> None:
    buckets = {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 20}
    path = transcript(tmp_path, response("u1", "2025-09-01T10:00:00.000Z", usage(1, 1, 999, cache_creation=buckets)))
    assert [row.cache_creation_tokens for row in parse(path).usage] == [120]


def test_advisor_calls_are_billed_at_their_own_model_and_fast_mode_at_its_own(tmp_path: Path) -> None:
    iterations = [
        {"type": "message", "model": None, "input_tokens": 4, "output_tokens": 40},
        {"type": "advisor_message", "model": "claude-opus-4-1-20250805", "input_tokens": 90, "output_tokens": 9,
         "cache_creation_input_tokens": 0, "cache_read_input_tokens": 11},
    ]
    path = transcript(
        tmp_path,
        response("u1", "2025-09-01T10:00:00.000Z", usage(4, 40, iterations=iterations), "msg_01Adv", "req_A"),
        response(
            "u2", "2025-09-01T10:00:01.000Z", usage(6, 60, speed="fast"), "msg_01Fst", "req_F", model="claude-opus-4-6"
        ),
    )
    rows = parse(path).usage
    assert [(row.dedup_key, row.model, tokens(row), row.sidechain) for row in rows] == [
        ("msg_01Adv:req_A", "claude-sonnet-4-20250514", (4, 40, 0, 0), False),
        ("msg_01Adv:advisor:0:req_A", "claude-opus-4-1-20250805", (90, 9, 0, 11), True),
        ("msg_01Fst:req_F", "claude-opus-4-6-fast", (6, 60, 0, 0), False),
    ]


# --- malformed input -----------------------------------------------------------


def test_a_line_cut_off_mid_write_is_counted_and_skipped(config_dir: Path) -> None:
    session_b = parse_project(config_dir)[f"{B}.jsonl"]
    assert session_b.malformed == 1
    # what Claude Code wrote after it is all there
    assert "msg_01B4doneQw1r:req_011CSB4" in {row.dedup_key for row in session_b.usage}
    assert [m.kind for m in session_b.messages if m.kind == "compact"] == ["compact"]


def test_lines_that_are_not_transcript_records_are_malformed_and_blank_lines_nothing(tmp_path: Path) -> None:
    path = transcript(
        tmp_path,
        "not json",
        "[]",
        "",
        "   ",
        line(type="user", message={"role": "user", "content": "hi"}, uuid="u1", timestamp="yesterday"),
        response("u2", "2025-09-01T10:00:00.000Z", usage(1, 1)),
    )
    batch = parse(path)
    assert batch.malformed == 3
    assert [row.dedup_key for row in batch.usage] == ["msg_01X:req_01X"]


def test_a_response_whose_content_has_a_shape_we_cannot_read_still_counts(tmp_path: Path) -> None:
    # ccusage 20.0.24 sums these responses (it never reads the content); the text is lost, the usage not.
    lines = []
    for n, content in enumerate([12345, [{"type": "text", "text": 5}], ["a bare string"], [{"type": "text", "text": "ok"}]]):
        record = json.loads(response(f"u{n}", f"2025-09-01T10:0{n}:00.000Z", usage(1, 10), f"msg_0{n}", f"req_0{n}"))
        record["message"]["content"] = content
        lines.append(json.dumps(record, separators=(",", ":")))
    path = transcript(tmp_path, *lines)
    whole, usage_only = parse(path), SOURCE.parse_usage(path, path.read_bytes(), None)
    assert [row.dedup_key for row in whole.usage] == [f"msg_0{n}:req_0{n}" for n in range(4)]
    assert whole.usage == usage_only.usage
    assert [m.text for m in whole.messages] == ["ok"]
    assert whole.malformed == 3


# --- sessions and conversation ---------------------------------------------------


def test_a_session_is_titled_by_its_first_typed_prompt_not_by_command_echoes(config_dir: Path) -> None:
    session_a = parse_project(config_dir)[f"{A}.jsonl"]
    (row,) = session_a.sessions.values()
    assert row.title == "The checkout page shows the wrong total when a coupon is applied. Can you find w"
    assert (row.id, row.provider, row.cwd) == (A, "claude-code", "/home/dev/shop")
    assert (row.git_branch, row.version) == ("main", "1.0.83")
    assert row.model == "claude-sonnet-4-20250514"
    assert (row.started_at, row.last_activity) == (
        datetime(2025, 8, 14, 9, 0, 1, 109000, UTC).timestamp(),
        datetime(2025, 8, 14, 9, 1, 2, 945000, UTC).timestamp(),
    )
    prompts = [m.text for m in session_a.messages if m.kind == "prompt" and m.session_id == A]
    assert prompts[0].startswith("The checkout page")
    assert not [text for text in prompts if text.startswith(("Caveat", "<command-name>", "<local-command"))]


def test_a_summary_line_titles_the_session_its_file_is_named_for(config_dir: Path) -> None:
    session_b = parse_project(config_dir)[f"{B}.jsonl"]
    row = session_b.sessions[B]
    assert row.title == "Fix double coupon discount in cart total"
    assert (row.model, row.git_branch, row.version) == ("claude-sonnet-4-5-20250929", "fix/coupon", "2.0.14")
    summaries = [(m.key, m.session_id, m.kind, m.text) for m in session_b.messages if m.kind == "summary"]
    assert summaries == [
        (f"summary:{B}:a0000001-0000-4000-8000-000000000016", B, "summary", "Fix double coupon discount in cart total")
    ]


def test_a_compact_boundary_is_kept_and_its_summary_is_no_prompt(config_dir: Path) -> None:
    session_b = parse_project(config_dir)[f"{B}.jsonl"]
    compact = [(m.key, m.role, m.text) for m in session_b.messages if m.kind == "compact"]
    assert compact == [
        ("b0000001-0000-4000-8000-000000000012", "system", "Conversation compacted (manual, 25340 tokens before)")
    ]
    prompts = [m.text for m in session_b.messages if m.kind == "prompt"]
    assert not [text for text in prompts if text.startswith("This session is being continued")]


def test_sub_agent_work_belongs_to_the_parent_session(config_dir: Path) -> None:
    logs = parse_project(config_dir)
    sub = logs[SUB]
    assert set(sub.sessions) == {B}
    assert sub.sessions[B].model is None  # the sub-agent's model is not the session's
    assert {row.session_id for row in sub.usage} == {B}
    assert all(row.sidechain for row in sub.usage)
    inline = [row for row in logs[f"{A}.jsonl"].usage if row.sidechain]
    assert [(row.dedup_key, row.session_id) for row in inline] == [
        ("msg_01S1sideKk3n:req_011CRS1", A),
        ("msg_01S2sideRr5w:req_011CRS2", A),
    ]
    assert logs[f"{A}.jsonl"].sessions[A].title.startswith("The checkout page")


def test_file_tools_become_file_refs_with_absolute_paths(config_dir: Path) -> None:
    refs = {ref.key: (ref.action, ref.path) for batch in parse_project(config_dir).values() for ref in batch.file_refs}
    assert refs == {
        "toolu_01GrepA1": ("search", "/home/dev/shop/src"),  # a relative path, joined to the cwd
        "toolu_01ReadA2": ("read", "/home/dev/shop/src/cart/totals.ts"),
        "toolu_01EditA3": ("edit", "/home/dev/shop/src/cart/total.ts"),
        "toolu_01GrepS1": ("search", "/home/dev/shop"),
        "toolu_01WriteB1": ("write", "/home/dev/shop/tests/cart/coupon.test.ts"),
        "toolu_01MultiB2": ("edit", "/home/dev/shop/src/cart/coupon.ts"),
        "toolu_01NoteB2": ("edit", "/home/dev/shop/notebooks/coupons.ipynb"),
        "toolu_01LsSUB1": ("list", "/home/dev/shop/tests"),
    }  # Glob without a path and Task name no file


def test_a_failed_tool_call_is_kept_and_tool_output_is_not(config_dir: Path) -> None:
    messages = [m for batch in parse_project(config_dir).values() for m in batch.messages]
    errors = [(m.key, m.role, m.text) for m in messages if m.kind == "tool_error"]
    assert errors == [
        (
            "a0000001-0000-4000-8000-000000000011",
            "user",
            "<tool_use_error>File does not exist. Did you mean total.ts?</tool_use_error>",
        )
    ]
    assert not [m for m in messages if "applyCoupon(total, coupon)" in m.text]


def test_assistant_text_is_kept_one_message_per_line(config_dir: Path) -> None:
    session_a = parse_project(config_dir)[f"{A}.jsonl"]
    texts = [(m.key, m.text) for m in session_a.messages if m.kind == "text"]
    assert texts[0] == ("a0000001-0000-4000-8000-000000000005", "I'll look at how the cart total is computed.")
    assert [key[-2:] for key, _ in texts] == ["05", "12", "04", "16"]  # tool-use-only lines say nothing


def test_an_assistant_line_with_several_text_blocks_is_one_message(tmp_path: Path) -> None:
    blocks = [
        {"type": "text", "text": "First I read the file."},
        {"type": "tool_use", "id": "toolu_01R", "name": "Read", "input": {"file_path": "src/a.py"}},
        {"type": "text", "text": ""},
        {"type": "text", "text": "Then I say so."},
    ]
    message = {"id": "msg_01T", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
               "content": blocks, "usage": usage(1, 9)}
    path = transcript(tmp_path, line(type="assistant", message=message, requestId="req_T", uuid="u1",
                                     timestamp="2025-09-01T10:00:00.000Z"))
    batch = parse(path)
    assert [(m.key, m.kind, m.text) for m in batch.messages] == [
        ("u1", "text", "First I read the file.\nThen I say so.")
    ]
    assert [(ref.key, ref.path) for ref in batch.file_refs] == [("toolu_01R", "/home/dev/app/src/a.py")]


def test_a_typed_prompt_and_failed_tool_calls_in_one_user_line_are_kept_in_order(tmp_path: Path) -> None:
    content = [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "fine", "is_error": False},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "No such file", "is_error": True},
        {"type": "text", "text": "Try the other one."},
        {"type": "tool_result", "tool_use_id": "toolu_3", "is_error": True,
         "content": [{"type": "text", "text": "Exit code 1"}, {"type": "text", "text": "boom"}]},
    ]
    path = transcript(tmp_path, line(type="user", message={"role": "user", "content": content}, uuid="u1",
                                     timestamp="2025-09-01T10:00:00.000Z"))
    batch = parse(path)
    assert [(m.key, m.kind, m.text) for m in batch.messages] == [
        ("u1", "prompt", "Try the other one."),
        ("u1:1", "tool_error", "No such file"),
        ("u1:2", "tool_error", "Exit code 1\nboom"),
    ]
    assert batch.sessions["s-1"].title == "Try the other one."


def test_a_file_read_in_two_chunks_gives_the_same_usage_and_places_a_late_summary(config_dir: Path) -> None:
    path = config_dir / PROJECT / f"{B}.jsonl"
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    head = SOURCE.parse(path, data[:cut], None)
    tail = SOURCE.parse(path, data[cut:], head.state)
    whole = parse(path)
    assert by_key(head, tail) == {row.dedup_key: row for row in whole.usage}
    assert head.malformed + tail.malformed == whole.malformed

    # A summary appended on its own is placed at the session's last known time.
    late = SOURCE.parse(path, b'{"type":"summary","summary":"Coupons","leafUuid":"x"}\n', whole.state)
    (row,) = late.sessions.values()
    assert (row.id, row.title, row.started_at) == (B, "Coupons", whole.sessions[B].last_activity)


# --- where the logs are ------------------------------------------------------------


def test_claude_config_dir_lists_every_config_dir_to_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"CLAUDE_CONFIG_DIR": " /work/a , ~/b,,/work/c/projects, /work/a "}
    assert SOURCE.default_roots(env, home) == [Path("/work/a"), home / "b", Path("/work/c")]


def test_without_claude_config_dir_both_default_places_are_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert SOURCE.default_roots({}, home) == [home / ".config" / "claude", home / ".claude"]
    assert SOURCE.default_roots({"CLAUDE_CONFIG_DIR": " "}, home) == [home / ".config" / "claude", home / ".claude"]
    assert SOURCE.default_roots({"XDG_CONFIG_HOME": "/xdg"}, home) == [Path("/xdg/claude"), home / ".claude"]


def test_discover_finds_every_transcript_and_nothing_where_there_is_none(config_dir: Path, tmp_path: Path) -> None:
    (config_dir / "projects" / "notes.txt").write_text("not a log")
    found = [Path(p).relative_to(config_dir / PROJECT).as_posix() for p in SOURCE.discover(config_dir)]
    assert found == [f"{A}.jsonl", SUB, f"{B}.jsonl"]
    assert list(SOURCE.discover(tmp_path / "missing")) == []


def test_transcripts_come_in_path_order_a_project_before_those_whose_names_extend_it(tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    logs = [  # the order of sorted Paths; as plain strings "-home-dev-shop-api/" would come first
        projects / "-home-dev-shop" / f"{A}.jsonl",
        projects / "-home-dev-shop" / SUB,
        projects / "-home-dev-shop" / f"{B}.jsonl",
        projects / "-home-dev-shop-api" / f"{A}.jsonl",
        projects / "-home-dev-shop.old" / f"{B}.jsonl",
    ]
    assert logs == sorted(logs)
    for log in reversed(logs):
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
    assert list(SOURCE.discover(tmp_path)) == [str(log) for log in logs]
