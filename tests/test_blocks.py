"""Claude's 5-hour billing blocks, drawn by ccusage's rules from real-shaped Claude Code logs.

The logs are written line by line as Claude Code 2.x writes them (the envelope and
key order of tests/fixtures/claude-code, see its README), with chosen timestamps.
ccusage's rules (``apps/ccusage/src/_session-blocks.ts``): a block starts at its
first response floored to the UTC hour and lasts 5 h; a response more than 5 h
after the block's start, or after the response before it, starts the next one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest

from llm_session_manager import ingest
from llm_session_manager.core import config
from llm_session_manager.services import blocks, usage
from llm_session_manager.store import connect

S1 = "1b0c5a2e-7d41-4c8e-9f30-5a6b7c8d9e01"
S2 = "2c1d6b3f-8e52-4d9f-a041-6b7c8d9e0f12"


class Response(NamedTuple):
    ts: str
    fresh: int
    output: int
    written: int = 0
    read: int = 0
    model: str = "claude-sonnet-4-5-20250929"


def write_session(claude_dir: Path, session: str, responses: list[Response], cwd: str = "/home/dev/app",
                  api_error: tuple[str, str] | None = None) -> Path:
    """A Claude Code 2.x transcript: a typed prompt before each response, as the app writes them.

    ``api_error`` (timestamp, text) adds the line Claude Code writes when the API
    refuses a request (``isApiErrorMessage``, model ``<synthetic>``, zero usage).
    """
    envelope = {"isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": session,
                "version": "2.0.14", "gitBranch": "main"}
    lines, parent = [], None
    for n, r in enumerate(responses):
        prompt_uuid, answer_uuid = f"{session[:8]}-u{n:03d}", f"{session[:8]}-a{n:03d}"
        lines.append({"parentUuid": parent, **envelope, "type": "user",
                      "message": {"role": "user", "content": f"Step {n + 1}: carry on with the refactor."},
                      "uuid": prompt_uuid, "timestamp": r.ts})
        usage_ = {"input_tokens": r.fresh, "cache_creation_input_tokens": r.written,
                  "cache_read_input_tokens": r.read,
                  "cache_creation": {"ephemeral_5m_input_tokens": r.written, "ephemeral_1h_input_tokens": 0},
                  "output_tokens": r.output, "service_tier": "standard"}
        lines.append({"parentUuid": prompt_uuid, **envelope,
                      "message": {"id": f"msg_01{session[:6]}{n:04d}", "type": "message", "role": "assistant",
                                  "model": r.model, "content": [{"type": "text", "text": "Done."}],
                                  "stop_reason": "end_turn", "stop_sequence": None, "usage": usage_},
                      "requestId": f"req_011{session[:6]}{n:04d}", "type": "assistant", "uuid": answer_uuid,
                      "timestamp": r.ts})
        parent = answer_uuid
    if api_error:
        ts, text = api_error
        lines.append({"parentUuid": parent, **envelope, "type": "assistant", "uuid": f"{session[:8]}-err",
                      "timestamp": ts,
                      "message": {"id": f"{session[:8]}-synthetic", "model": "<synthetic>", "role": "assistant",
                                  "stop_reason": "stop_sequence", "stop_sequence": "", "type": "message",
                                  "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                            "cache_read_input_tokens": 0, "server_tool_use": {"web_search_requests": 0},
                                            "service_tier": None},
                                  "content": [{"type": "text", "text": text}]},
                      "isApiErrorMessage": True})
    path = claude_dir / "projects" / ("-" + cwd.strip("/").replace("/", "-")) / f"{session}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path


def at(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# One day of Claude work, 2025-06-02 (UTC):
#   S1  08:20  100 in, 200 out, 1000 cache write            1,300 tokens
#       09:50   50 in, 300 out, 2000 cache read             2,350
#       13:00   10 in,  90 out                                100   exactly 5 h after 08:00: still block 1
#       13:00:01 1 in,   9 out                                 10   over 5 h after 08:00: block 2 from 13:00
#   S2  18:40   10 in, 290 out, 2000 cache write            2,300   5 h 39 min after 13:00:01: block 3 from 18:00
#       19:10   20 in, 680 out, 3000 cache read             3,700
DAY = [
    (S1, Response("2025-06-02T08:20:00.000Z", 100, 200, written=1000)),
    (S1, Response("2025-06-02T09:50:00.000Z", 50, 300, read=2000)),
    (S1, Response("2025-06-02T13:00:00.000Z", 10, 90)),
    (S1, Response("2025-06-02T13:00:01.000Z", 1, 9)),
    (S2, Response("2025-06-02T18:40:00.000Z", 10, 290, written=2000)),
    (S2, Response("2025-06-02T19:10:00.000Z", 20, 680, read=3000)),
]


@pytest.fixture
def claude_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "claude"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(d))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "no-codex"))
    for session in (S1, S2):
        write_session(d, session, [r for s, r in DAY if s == session])
    return d


@pytest.fixture
def conn(claude_dir: Path):
    c = connect()
    ingest.scan(c, config.load())
    return c


def test_blocks_start_on_the_hour_and_a_response_past_five_hours_starts_the_next(conn):
    found = blocks.blocks(conn, now=at("2025-06-03T12:00:00Z"))
    assert [(b.start, b.end) for b in found] == [
        (at("2025-06-02T08:00:00Z"), at("2025-06-02T13:00:00Z")),  # 08:20 floored to 08:00
        (at("2025-06-02T13:00:00Z"), at("2025-06-02T18:00:00Z")),  # 13:00:01 is 5 h 1 s after 08:00
        (at("2025-06-02T18:00:00Z"), at("2025-06-02T23:00:00Z")),  # after a gap of 5 h 39 min
    ]
    assert [b.responses for b in found] == [3, 1, 2]
    first = found[0]  # 100 + 50 + 10 in, 200 + 300 + 90 out, 1000 written, 2000 read
    assert (first.input_tokens, first.output_tokens, first.cache_creation_tokens, first.cache_read_tokens) == (
        160, 590, 1000, 2000)
    assert first.total_tokens == 3750
    assert first.last_activity == at("2025-06-02T13:00:00Z")
    assert not any(b.active for b in found)  # the next day, every block is over


def test_the_active_block_has_a_burn_rate_and_a_projection_to_its_end(conn):
    now = at("2025-06-02T19:30:00Z")
    block = blocks.current_block(conn, now)
    assert block is not None and block.start == at("2025-06-02T18:00:00Z")
    assert block.active and block.responses == 2 and block.total_tokens == 6000
    # The block's cost is what the usage report says S2 (its only session) cost.
    cost = next(r.cost_usd for r in usage.report(conn, "session").rows if r.key == S2)
    assert block.cost_usd == pytest.approx(cost)
    public = blocks.to_public(block, now)
    rate = public.burn_rate
    # 18:40 to 19:10 is 30 minutes: 6000 tokens / 30 = 200 a minute; input + output only: 1000 / 30.
    assert rate.tokens_per_minute == pytest.approx(200)
    assert rate.tokens_per_minute_for_indicator == pytest.approx(1000 / 30)
    assert rate.cost_per_hour == pytest.approx(cost * 2)
    # 210 minutes from 19:30 to 23:00 at 200 a minute: 6000 + 42000 tokens; the cost likewise 8 times
    # what 30 minutes cost, rounded to the cent as ccusage rounds it.
    assert (public.projection.total_tokens, public.projection.remaining_minutes) == (48000, 210)
    assert public.projection.cost_usd == round(cost * 8, 2)
    assert (public.start, public.end, public.last_activity) == (
        "2025-06-02T18:00:00Z", "2025-06-02T23:00:00Z", "2025-06-02T19:10:00Z")
    # Blocks since 19:00 (say, today's when it is early morning) still show the one running now.
    assert [b.start for b in blocks.blocks(conn, since=at("2025-06-02T19:00:00Z"), now=now)] == [block.start]


def test_a_past_moment_sees_only_the_responses_before_it(conn):
    block = blocks.current_block(conn, at("2025-06-02T12:00:00Z"))  # 13:00 and 13:00:01 have not happened
    assert block.start == at("2025-06-02T08:00:00Z") and block.responses == 2 and block.total_tokens == 3650
    projection = blocks.to_public(block, at("2025-06-02T12:00:00Z")).projection
    # 3650 tokens in the 90 minutes from 08:20 to 09:50, 60 minutes left: 3650 + 3650 / 90 * 60 = 6083.3
    assert projection.total_tokens == 6083 and projection.remaining_minutes == 60


def test_a_block_of_one_response_has_no_rate_and_an_ended_block_is_not_current(conn):
    block = blocks.current_block(conn, at("2025-06-02T13:30:00Z"))
    assert block.responses == 1 and block.start == at("2025-06-02T13:00:00Z")
    public = blocks.to_public(block, at("2025-06-02T13:30:00Z"))
    assert public.burn_rate is None and public.projection is None  # no time between first and last
    assert blocks.current_block(conn, at("2025-06-02T23:00:00Z")) is None  # block 3 ends at 23:00
    assert blocks.current_block(conn, at("2025-06-02T07:00:00Z")) is None  # before any response


def test_the_current_block_is_found_after_a_long_gapless_chain(claude_dir, conn):
    """Blocks chain from the last gap of over 5 h; a day of responses every 2 hours has none."""
    chain = [Response(f"2025-06-0{3 + h // 24}T{h % 24:02d}:30:00.000Z", 1, 1) for h in range(0, 48, 2)]
    write_session(claude_dir, "3d2e7c40-9f63-4ea0-b152-7c8d9e0f1a23", chain)
    ingest.scan(conn, config.load())
    # 2025-06-03 00:30 starts a block at 00:00 (5 h 20 min after 19:10); then 06:30 -> 06:00,
    # 12:30 -> 12:00, 18:30 -> 18:00, 2025-06-04 00:30 -> 00:00, 06:30 -> 06:00, ...
    found = blocks.blocks(conn, since=at("2025-06-03T00:00:00Z"), now=at("2025-06-04T20:00:00Z"))
    assert [datetime.fromtimestamp(b.start, UTC).strftime("%d %H:%M") for b in found] == [
        "03 00:00", "03 06:00", "03 12:00", "03 18:00", "04 00:00", "04 06:00", "04 12:00", "04 18:00"]
    # Asked from mid-chain, the blocks are the same: 02:30 on the 4th is inside the 00:00 block.
    later = blocks.blocks(conn, since=at("2025-06-04T12:00:00Z"), now=at("2025-06-04T20:00:00Z"))
    assert [b.start for b in later] == [at("2025-06-04T12:00:00Z"), at("2025-06-04T18:00:00Z")]
    current = blocks.current_block(conn, at("2025-06-04T20:00:00Z"))
    assert current.start == at("2025-06-04T18:00:00Z") and current.responses == 1  # 18:30; 20:30 is later


def test_blocks_cli_lists_them_as_json_and_rejects_a_bad_window_in_one_line(cli, claude_dir):
    r = cli("blocks", "--json")
    assert r.code == 0, r.err
    listed = r.json()
    assert [(b["start"], b["end"], b["responses"], b["total_tokens"]) for b in listed] == [
        ("2025-06-02T08:00:00Z", "2025-06-02T13:00:00Z", 3, 3750),
        ("2025-06-02T13:00:00Z", "2025-06-02T18:00:00Z", 1, 10),
        ("2025-06-02T18:00:00Z", "2025-06-02T23:00:00Z", 2, 6000),
    ]
    assert all(b["active"] is False and b["burn_rate"] is None and b["projection"] is None for b in listed)
    assert listed[0]["models"] == ["claude-sonnet-4-5-20250929"]
    assert cli("blocks", "--active", "--json").json() == []
    assert cli("blocks", "--days", "7", "--json").json() == []  # all of it was in 2025
    for bad in ("0", "a week", "-3"):
        r = cli("blocks", "--days", bad)
        assert r.code == 1 and r.out == ""
        assert r.err.count("\n") == 1 and r.err.startswith("error: --days must be a whole number from 1 to 3650")


def test_blocks_table_shows_each_block(cli, claude_dir):
    r = cli("blocks", env={"COLUMNS": "100"})
    assert r.code == 0, r.err
    starts = [line.split()[:2] for line in r.out.splitlines()[1:]]
    assert starts == [["2025-06-02", "08:00"], ["2025-06-02", "13:00"], ["2025-06-02", "18:00"]]
    assert "3,750" in r.out and "6,000" in r.out


def test_blocks_follow_the_utc_hour_whatever_the_local_zone(cli, claude_dir):
    """Blocks are UTC hours (as ccusage floors them); only the table shows them in local time."""
    r = cli("blocks", "--json", env={"TZ": "Asia/Kolkata"})
    assert [b["start"] for b in r.json()] == ["2025-06-02T08:00:00Z", "2025-06-02T13:00:00Z", "2025-06-02T18:00:00Z"]
    table = cli("blocks", env={"TZ": "Asia/Kolkata", "COLUMNS": "100"}).out
    assert "2025-06-02 13:30" in table  # 08:00 UTC is 13:30 in India
