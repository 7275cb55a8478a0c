"""The Codex CLI source, told through the rollouts in tests/fixtures/codex."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from llm_session_manager.core.models import Batch
from llm_session_manager.sources.codex import SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "codex"
HOME = FIXTURES / "home"
MAIN = next(HOME.glob("sessions/2026/02/23/*019c8a10-*.jsonl"))
FORK = next(HOME.glob("sessions/2026/02/23/*019c8a1a-*.jsonl"))
LEGACY = next(HOME.glob("sessions/2025/09/12/*.jsonl"))
COMPACTION = next(HOME.glob("archived_sessions/*.jsonl"))
HALF_WRITTEN = next((FIXTURES / "half-written").glob("*.jsonl"))
CWD = "/home/dev/acme-api"


def parse(path: Path) -> Batch:
    return SOURCE.parse(path, path.read_bytes(), None)


def totals(batch: Batch) -> tuple[int, int, int, int]:
    """(input, cache_creation, cache_read, output) summed over the batch."""
    u = batch.usage
    return (
        sum(r.input_tokens for r in u),
        sum(r.cache_creation_tokens for r in u),
        sum(r.cache_read_tokens for r in u),
        sum(r.output_tokens for r in u),
    )


def test_codex_home_is_honoured_and_defaults_to_dot_codex(tmp_path):
    assert SOURCE.provider == "codex"
    assert SOURCE.default_roots({}, tmp_path) == [tmp_path / ".codex"]
    assert SOURCE.default_roots({"CODEX_HOME": "/srv/codex"}, tmp_path) == [Path("/srv/codex")]
    assert SOURCE.default_roots({"CODEX_HOME": "~/work-codex"}, tmp_path) == [
        Path("~/work-codex").expanduser()
    ]


def test_rollouts_are_found_in_sessions_and_archived_sessions():
    assert list(SOURCE.discover(HOME)) == [str(p) for p in (LEGACY, MAIN, FORK, COMPACTION)]
    # a configured path may name the sessions directory itself
    assert list(SOURCE.discover(HOME / "sessions")) == [str(p) for p in (LEGACY, MAIN, FORK)]


def test_a_missing_codex_home_yields_nothing(tmp_path):
    assert list(SOURCE.discover(tmp_path / "nope")) == []


def test_each_request_is_billed_once_though_codex_repeats_its_token_counts():
    batch = parse(MAIN)
    # five requests; their repeats (same totals, next turn_context) and `info: null` add nothing
    assert len(batch.usage) == 5
    input_, creation, cache_read, output = totals(batch)
    assert input_ == (
        (17203 - 3456) + (19243 - 3456) + (21648 - 19456) + (24010 - 21504) + (25120 - 23552)
    )
    # cached and output add up to the session's final cumulative counts
    assert (creation, cache_read, output) == (0, 71424, 1383)
    # the four fields add up to Codex's own total_tokens, which ccusage reports as totalTokens
    assert input_ + cache_read + output == 108607
    assert all(r.cost_usd is None and not r.sidechain for r in batch.usage)
    assert len({r.dedup_key for r in batch.usage}) == 5


def test_a_model_switch_bills_later_requests_to_the_new_model():
    by_model: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in parse(MAIN).usage:
        by_model[r.model][0] += r.input_tokens
        by_model[r.model][1] += r.cache_read_tokens
        by_model[r.model][2] += r.output_tokens
    assert by_model == {
        "gpt-5.3-codex": [13747 + 15787 + 2192, 3456 + 3456 + 19456, 358 + 239 + 278],
        "gpt-5.2": [2506 + 1568, 21504 + 23552, 412 + 96],
    }


def test_context_fill_is_the_last_requests_total_in_the_window_codex_reports():
    last = parse(MAIN).usage[-1]
    assert (last.context_tokens, last.context_window) == (25216, 258400)


def test_a_line_cut_short_is_counted_as_malformed_and_skipped():
    assert parse(MAIN).malformed == 1


def test_the_session_says_where_it_ran_on_what_and_what_it_was_about():
    (session,) = parse(MAIN).sessions.values()
    assert session.id == "019c8a10-4b7e-7c21-9d3a-5e6f7a8b9c0d"
    assert (session.provider, session.cwd, session.git_branch, session.version) == (
        "codex", CWD, "feature/rate-limit", "0.104.0",
    )
    assert session.model == "gpt-5.2"  # the latest turn_context
    # the first real prompt, on one line
    assert session.title == (
        "Add rate limiting to the /login endpoint: at most 5 attempts per minute per IP."
    )
    assert (session.started_at, session.last_activity) == (1771841708.412, 1771841892.096)


def test_messages_keep_prompts_and_answers_but_not_codexs_injected_context():
    messages = parse(MAIN).messages
    assert [(m.role, m.kind) for m in messages] == [
        ("user", "prompt"), ("assistant", "text"), ("assistant", "text"),
        ("user", "prompt"), ("assistant", "text"),
    ]
    assert messages[3].text == "Now run the tests and fix any failures"
    assert not any("environment_context" in m.text or "AGENTS.md" in m.text for m in messages)


def test_tool_calls_name_the_files_they_read_searched_listed_and_changed():
    refs = [(r.path, r.action) for r in parse(MAIN).file_refs]
    assert refs == [
        (f"{CWD}/src/auth/login.py", "read"),  # sed -n '1,120p' src/auth/login.py
        (f"{CWD}/src", "search"),  # rg -n "rate_limit" src tests
        (f"{CWD}/tests", "search"),
        (f"{CWD}/src/auth/login.py", "edit"),  # apply_patch: *** Update File
        (f"{CWD}/src/auth/ratelimit.py", "write"),  # apply_patch: *** Add File
        (f"{CWD}/tests", "list"),  # ls tests && cat tests/test_login.py
        (f"{CWD}/tests/test_login.py", "read"),
    ]


def test_an_old_rollout_without_turn_context_is_billed_to_gpt_5():
    batch = parse(LEGACY)
    # first count carries last_token_usage; its repeat adds nothing; the last has only
    # cumulative totals, so it is the difference: 8200-5000 in, 2048 cached, 1400-1000 out
    rows = [(r.model, r.input_tokens, r.cache_read_tokens, r.output_tokens) for r in batch.usage]
    assert rows == [
        ("gpt-5", 5000, 0, 1000),
        ("gpt-5", 3200 - 2048, 2048, 400),
    ]
    (session,) = batch.sessions.values()
    assert session.title == "explain the retry logic in client.py and bump retries to 5"
    assert [(r.path, r.action) for r in batch.file_refs] == [
        ("/home/dev/tool/client.py", "read"),  # shell ["bash", "-lc", "cat client.py"]
        ("/home/dev/tool/docs", "list"),  # local_shell_call ["ls", "-la", "docs"]
        ("/home/dev/tool/client.py", "edit"),  # apply_patch <<'PATCH' … Update File
    ]


def test_a_fork_does_not_bill_its_parents_copied_history_again():
    fork = parse(FORK)
    # only the fork's own two requests; the copied three are the parent's
    assert [(r.input_tokens, r.cache_read_tokens, r.output_tokens) for r in fork.usage] == [
        (30500 - 28160, 28160, 350),
        (31020 - 30208, 30208, 120),
    ]
    (session,) = fork.sessions.values()
    assert session.id == "019c8a1a-77c4-7e90-8b12-3c4d5e6f7a81"  # not the copied parent's id
    refs = [(r.path, r.action) for r in fork.file_refs]
    assert refs == [(f"{CWD}/src/auth/ratelimit.py", "write")]  # cat > … <<'EOF'
    parent_keys = {r.dedup_key for r in parse(MAIN).usage}
    assert parent_keys.isdisjoint(r.dedup_key for r in fork.usage)


def test_a_remote_compaction_is_billed_once_and_a_local_one_not_twice():
    batch = parse(COMPACTION)
    rows = [
        (r.input_tokens, r.cache_read_tokens, r.output_tokens, r.sidechain) for r in batch.usage
    ]
    assert rows == [
        (120000 - 100000, 100000, 800, False),  # its usage record matched this count: not added
        (130000, 0, 2500, True),  # remote compaction: only its record bills it
        (9000, 0, 300, False),
    ]
    assert batch.usage[1].dedup_key == "codex:response:resp_c0mpact9f8e"
    assert [m.kind for m in batch.messages] == ["prompt", "text", "compact"]


def test_archiving_a_session_does_not_count_it_twice(tmp_path):
    moved = tmp_path / "archived_sessions" / MAIN.name
    moved.parent.mkdir()
    shutil.copyfile(MAIN, moved)
    before, after = parse(MAIN), parse(moved)
    for kind in ("usage", "messages", "file_refs"):
        assert [r[0] for r in getattr(before, kind)] == [r[0] for r in getattr(after, kind)]


@pytest.mark.parametrize("path", [MAIN, FORK, LEGACY, COMPACTION], ids=lambda p: p.name[-14:])
def test_reading_appended_lines_later_gives_the_same_rows_as_reading_all_at_once(path):
    data = path.read_bytes()
    whole = SOURCE.parse(path, data, None)
    cuts = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")][:-1]
    for cut in cuts:
        head = SOURCE.parse(path, data[:cut], None)
        tail = SOURCE.parse(path, data[cut:], head.state)
        for kind in ("usage", "messages", "file_refs"):
            assert getattr(head, kind) + getattr(tail, kind) == getattr(whole, kind), cut
        assert head.malformed + tail.malformed == whole.malformed
        merged = Batch()
        for row in [*head.sessions.values(), *tail.sessions.values()]:
            merged.see_session(row)
        assert merged.sessions == whole.sessions


def test_the_complete_lines_before_a_half_written_one_parse_cleanly():
    data = HALF_WRITTEN.read_bytes()
    assert not data.endswith(b"\n")
    complete = data[: data.rfind(b"\n") + 1]  # what ingest hands over
    batch = SOURCE.parse(HALF_WRITTEN, complete, None)
    assert batch.malformed == 0
    assert [(r.input_tokens, r.cache_read_tokens, r.output_tokens) for r in batch.usage] == [
        (16208 - 3456, 3456, 142)
    ]


def test_a_state_it_cannot_read_starts_the_file_afresh():
    batch = SOURCE.parse(MAIN, MAIN.read_bytes(), b"\x00not msgpack")
    assert len(batch.usage) == 5


def test_a_rollout_with_crlf_line_endings_gives_the_same_rows():
    data = MAIN.read_bytes()
    crlf = SOURCE.parse(MAIN, data.replace(b"\n", b"\r\n"), None)
    whole = parse(MAIN)
    for kind in ("usage", "messages", "file_refs", "sessions", "malformed"):
        assert getattr(crlf, kind) == getattr(whole, kind), kind


def test_lines_in_another_field_order_are_read_the_same():
    # Codex writes timestamp, type, payload (payload.type first); other writers may not
    def reorder(line: bytes) -> bytes:
        try:
            obj = json.loads(line)
        except ValueError:
            return line  # the line cut short stays as it is
        obj["payload"] = dict(reversed(obj["payload"].items()))
        return json.dumps(dict(reversed(obj.items())), separators=(",", ":")).encode()

    for path in (MAIN, FORK, COMPACTION):
        lines = path.read_bytes().splitlines()
        shuffled = SOURCE.parse(path, b"\n".join(map(reorder, lines)) + b"\n", None)
        whole = parse(path)
        for kind in ("usage", "messages", "file_refs", "sessions", "malformed"):
            assert getattr(shuffled, kind) == getattr(whole, kind), (path.name, kind)


def test_a_prompt_that_is_not_utf8_is_read_with_the_byte_replaced():
    prompt = b'"type":"user_message","message":"Now run the tests'
    data = MAIN.read_bytes().replace(prompt, prompt.replace(b"the ", b"the \xff"))
    batch = SOURCE.parse(MAIN, data, None)
    assert batch.malformed == 1  # only the line cut short
    assert "Now run the \ufffdtests and fix any failures" in [m.text for m in batch.messages]
