"""The demo and benchmark logs look like real ones and show every promised case."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from llm_session_manager.demo_logs import CLAUDE_WINDOW, DemoLayout, write_corpus, write_demo_logs

NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _session_file(layout: DemoLayout, case: str) -> Path:
    sid = layout.sessions[case]
    return next(p for p in layout.files if p.name == f"{sid}.jsonl")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoLayout:
    return write_demo_logs(tmp_path_factory.mktemp("demo"), NOW)


def test_every_demo_line_is_json_with_a_type(demo: DemoLayout) -> None:
    for path in demo.files:
        for line in _lines(path):
            assert "type" in line


def test_logs_sit_where_the_assistants_put_them(demo: DemoLayout) -> None:
    claude = [p for p in demo.files if demo.claude_config_dir in p.parents]
    codex = [p for p in demo.files if demo.codex_home in p.parents]
    assert claude and codex and len(claude) + len(codex) == len(demo.files)
    assert all(p.parent.parent == demo.claude_config_dir / "projects" for p in claude)
    for path in codex:
        meta = _lines(path)[0]
        assert (
            meta["type"] == "session_meta" and path.name.startswith("rollout-") and meta["payload"]["id"] in path.name
        )
        assert path.parent.relative_to(demo.codex_home / "sessions").parts[0].isdigit()


def test_one_session_is_nearly_out_of_context_and_failing(demo: DemoLayout) -> None:
    lines = _lines(_session_file(demo, "degraded"))
    billed = [x for x in lines if x["type"] == "assistant" and x["message"]["model"] != "<synthetic>"]
    usage = billed[-1]["message"]["usage"]
    used = usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]
    assert 0.85 * CLAUDE_WINDOW < used < CLAUDE_WINDOW
    results = [c for x in lines if x["type"] == "user" for c in x["message"]["content"] if isinstance(c, dict)]
    assert sum(1 for c in results if c.get("is_error")) >= 2
    assert any(x.get("isApiErrorMessage") for x in lines)


def test_sessions_are_idle_long_and_live(demo: DemoLayout) -> None:
    def span(case: str) -> tuple[datetime, datetime]:
        stamps = [
            _ts(x["timestamp"]) for x in _lines(_session_file(demo, case)) if "timestamp" in x and "sessionId" in x
        ]
        return min(stamps), max(stamps)

    assert NOW - span("idle")[1] > timedelta(hours=1)
    first, last = span("long")
    assert last - first > timedelta(hours=4) and NOW - last < timedelta(minutes=15)
    assert NOW - span("degraded")[1] < timedelta(minutes=30)
    assert all(span(case)[1] <= NOW for case in demo.sessions if case != "codex")


def test_two_live_sessions_share_a_project(demo: DemoLayout) -> None:
    a, b = _session_file(demo, "consolidate_a"), _session_file(demo, "consolidate_b")
    assert a != b and a.parent == b.parent
    assert {x["cwd"] for x in _lines(a) if "cwd" in x} == {x["cwd"] for x in _lines(b) if "cwd" in x}


def test_streamed_responses_are_written_more_than_once(demo: DemoLayout) -> None:
    lines = [x for x in _lines(_session_file(demo, "long")) if x["type"] == "assistant"]
    seen = Counter((x["message"]["id"], x["requestId"]) for x in lines)
    assert {2, 3} <= set(seen.values())
    for key in seen:
        copies = [x for x in lines if (x["message"]["id"], x["requestId"]) == key]
        outputs = [x["message"]["usage"]["output_tokens"] for x in copies]
        assert outputs[-1] == max(outputs) and copies[-1]["message"]["stop_reason"] is not None


def test_a_resumed_session_repeats_the_earlier_one_under_its_own_id(demo: DemoLayout) -> None:
    earlier, resumed = _lines(_session_file(demo, "resumed_from")), _lines(_session_file(demo, "resumed"))
    assert resumed[0]["type"] == "summary"
    ids = {x["message"]["id"] for x in earlier if x["type"] == "assistant"}
    repeated = [x for x in resumed if x["type"] == "assistant" and x["message"]["id"] in ids]
    assert len(repeated) == sum(1 for x in earlier if x["type"] == "assistant")
    assert {x["sessionId"] for x in repeated} == {demo.sessions["resumed"]}


def test_a_sub_agent_writes_a_sidechain_of_its_parent(demo: DemoLayout) -> None:
    agents = [p for p in demo.files if p.name.startswith("agent-")]
    assert len(agents) == 1
    lines = [x for x in _lines(agents[0]) if "sessionId" in x]
    assert all(x["isSidechain"] and x["sessionId"] == demo.sessions["sidechain"] for x in lines)
    parent = _lines(_session_file(demo, "sidechain"))
    assert any(c.get("name") == "Task" for x in parent if x["type"] == "assistant" for c in x["message"]["content"])


def test_codex_token_counts_accumulate(demo: DemoLayout) -> None:
    for path in (p for p in demo.files if p.name.startswith("rollout-")):
        counts = [x["payload"]["info"] for x in _lines(path) if x["payload"].get("type") == "token_count"]
        running = 0
        for info in counts:
            running += info["last_token_usage"]["total_tokens"]
            assert info["total_token_usage"]["total_tokens"] == running and info["model_context_window"]


def test_same_seed_same_bytes_and_nothing_outside_root(tmp_path: Path, sandbox_home: Path) -> None:
    out = tmp_path / "out"
    write_demo_logs(out / "a", NOW)
    write_demo_logs(out / "b", NOW)
    write_demo_logs(out / "c", NOW, seed=8)
    assert sorted(p.name for p in out.iterdir()) == ["a", "b", "c"] and not any(sandbox_home.iterdir())
    assert _snapshot(out / "a") == _snapshot(out / "b") != _snapshot(out / "c")


def test_corpus_stats_match_what_a_correct_reader_finds(tmp_path: Path, sandbox_home: Path) -> None:
    out = tmp_path / "out"
    stats = write_corpus(out / "corpus", 3_000_000, 40, seed=3)
    paths = list((out / "corpus").rglob("*.jsonl"))
    assert (
        len(paths) == stats.files == 40
        and [p.name for p in out.iterdir()] == ["corpus"]
        and not any(sandbox_home.iterdir())
    )
    assert sum(p.stat().st_size for p in paths) == stats.bytes and 2_400_000 < stats.bytes < 3_600_000
    best: dict[tuple[str, str], dict] = {}
    lines = assistant = 0
    for path in paths:
        for line in _lines(path):
            lines += 1
            if line["type"] == "assistant":
                assistant += 1
                key = (line["message"]["id"], line.get("requestId", ""))
                usage = line["message"]["usage"]
                if key not in best or usage["output_tokens"] > best[key]["message"]["usage"]["output_tokens"]:
                    best[key] = line
    billed = [x for x in best.values() if x["message"]["model"] != "<synthetic>"]
    assert (lines, assistant, len(billed)) == (stats.lines, stats.assistant_lines, stats.unique_responses)
    assert len(billed) < assistant  # repeated lines and resumed copies exist
    days: Counter[tuple[str, str]] = Counter()
    for x in billed:
        day, usage = x["timestamp"][:10], x["message"]["usage"]
        days[day, "input_tokens"] += usage["input_tokens"]
        days[day, "output_tokens"] += usage["output_tokens"]
        days[day, "cache_creation_tokens"] += usage["cache_creation_input_tokens"]
        days[day, "cache_read_tokens"] += usage["cache_read_input_tokens"]
    assert {(d, k): v for d, fields in stats.days.items() for k, v in fields.items()} == dict(days)
    assert any(x.get("isSidechain") for x in best.values())


def test_corpus_is_deterministic(tmp_path: Path) -> None:
    write_corpus(tmp_path / "a", 400_000, 12, seed=5)
    write_corpus(tmp_path / "b", 400_000, 12, seed=5)
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")
