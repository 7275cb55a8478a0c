"""The Aider source, told through the chat histories in tests/fixtures/aider."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from llm_session_manager.core.models import Batch
from llm_session_manager.sources.aider import HISTORY, SOURCE

FIXTURES = Path(__file__).parent / "fixtures" / "aider"
SHOP = FIXTURES / "shop-api" / HISTORY
NOTES = FIXTURES / "notes-cli" / HISTORY


@pytest.fixture(autouse=True)
def no_history_file_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own AIDER_CHAT_HISTORY_FILE must not leak into a scan."""
    monkeypatch.delenv("AIDER_CHAT_HISTORY_FILE", raising=False)


def parse(path: Path) -> Batch:
    return SOURCE.parse(path, path.read_bytes(), None)


def local(stamp: str) -> float:
    """A header's time: local time, as aider writes it (TZ is UTC in tests)."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").timestamp()


def history(directory: Path, text: str = "\n# aider chat started at 2025-01-01 10:00:00\n\n") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / HISTORY
    path.write_text(text)
    return path


# --- where the histories are ----------------------------------------------------------


def test_aider_is_one_source_of_appended_lines_that_is_not_watched():
    assert (SOURCE.provider, SOURCE.layout, SOURCE.exact, SOURCE.watched) == ("aider", "lines", False, False)


def test_the_usual_code_directories_and_the_home_directory_one_level_down_are_searched(tmp_path):
    home = tmp_path / "home"
    at_home = history(home)
    in_child = history(home / "scratch")
    history(home / "scratch" / "deeper")  # two levels below home: not looked for
    roots = SOURCE.default_roots({}, home)
    assert {home / d for d in ("src", "code", "projects", "work", "dev", "git", "repos")} <= set(roots)
    assert at_home in roots and in_child in roots
    assert home / "scratch" / "deeper" / HISTORY not in roots


def test_an_absolute_aider_chat_history_file_is_read_and_a_relative_one_is_not(tmp_path):
    roots = SOURCE.default_roots({"AIDER_CHAT_HISTORY_FILE": "/var/log/aider.md"}, tmp_path)
    assert roots[-1] == Path("/var/log/aider.md")
    assert SOURCE.default_roots({"AIDER_CHAT_HISTORY_FILE": "notes.md"}, tmp_path) == SOURCE.default_roots(
        {}, tmp_path
    )


def test_a_search_goes_four_levels_down_but_not_into_hidden_dependency_or_repository_trees(tmp_path):
    found = [
        history(tmp_path / "a"),
        history(tmp_path / "a" / "b" / "c" / "d"),  # four levels down
        history(tmp_path / "monorepo"),  # a git repository: its file is at its top
    ]
    history(tmp_path / "a" / "b" / "c" / "d" / "e")  # five levels down
    history(tmp_path / ".cache" / "p")
    history(tmp_path / "web" / "node_modules" / "pkg")
    (tmp_path / "monorepo" / ".git").mkdir()
    history(tmp_path / "monorepo" / "services" / "api")
    assert list(SOURCE.discover(tmp_path)) == [str(p) for p in sorted(found)]
    assert list(SOURCE.discover(found[0])) == [str(found[0])]  # a root may name the file itself
    assert list(SOURCE.discover(tmp_path / "nope")) == []


# --- usage ------------------------------------------------------------------------------


def test_each_usage_report_is_one_row_with_the_cost_aider_printed():
    rows = [
        (r.model, r.input_tokens, r.cache_creation_tokens, r.cache_read_tokens, r.output_tokens, r.cost_usd)
        for r in parse(SHOP).usage
    ]
    assert rows == [
        # 2,746 sent with 1,024 of them cached (DeepSeek counts hits in what was sent), 187 received
        ("deepseek/deepseek-coder", 2746 - 1024, 0, 1024, 187, 0.00044),
        ("deepseek/deepseek-coder", 3112 - 2048, 0, 2048, 96, 0.00031),
        # 5.4k sent, of which 4.9k were written to the cache
        ("anthropic/claude-sonnet-4-20250514", 5400 - 4900, 4900, 0, 612, 0.03),
        # 6.1k sent: 1.2k cache write and 4.1k cache hit inside it; the cost is on the next line
        ("anthropic/claude-sonnet-4-20250514", 6100 - 1200 - 4100, 1200, 4100, 1100, 0.02),
    ]
    # the whole prompt is what the turn put in the context window
    assert [r.context_tokens for r in parse(SHOP).usage] == [2746, 3112, 5400, 6100]


def test_counts_printed_in_full_are_exact_and_rounded_ones_estimated():
    assert [r.exact for r in parse(SHOP).usage] == [True, True, False, False]
    assert [r.exact for r in parse(NOTES).usage] == [False, False, False]


def test_cache_hits_larger_than_what_was_sent_are_not_taken_out_of_it(tmp_path):
    # LiteLLM releases that left cache reads out of the prompt count: hits exceed "sent"
    path = history(tmp_path, "\n# aider chat started at 2025-01-01 10:00:00\n\n"
                   "> Main model: anthropic/claude-sonnet-4-20250514 with diff edit format  \n"
                   "> Tokens: 2.2k sent, 40k cache hit, 310 received. Cost: $0.02 message, $0.02 session.  \n")
    (row,) = parse(path).usage
    assert (row.input_tokens, row.cache_read_tokens, row.output_tokens) == (2200, 40000, 310)


def test_a_report_without_a_price_is_left_to_the_price_table():
    assert [(r.model, r.input_tokens, r.output_tokens, r.cost_usd) for r in parse(NOTES).usage] == [
        ("ollama_chat/qwen2.5-coder:14b", 2100, 310, None),
        ("ollama_chat/llama3.1:8b", 1300, 96, None),  # after /model: the new model's
        ("ollama_chat/qwen2.5-coder:14b", 2400, 188, None),  # the next run
    ]


def test_a_report_cut_short_by_a_crash_is_malformed_and_skipped():
    batch = parse(NOTES)
    assert batch.malformed == 1  # "> Tokens: 1.5k sent, 2"
    assert parse(SHOP).malformed == 0


# --- sessions, prompts, answers and files -------------------------------------------------------


def test_each_run_is_a_session_with_a_stable_id_of_its_file_and_header():
    sessions = list(parse(SHOP).sessions.values())
    assert [s.started_at for s in sessions] == [local("2024-08-14 09:12:03"), local("2025-09-22 12:04:00")]
    assert len({s.id for s in sessions}) == 2 and all(s.id.startswith("aider:") for s in sessions)
    assert [s.id for s in sessions] == [s.id for s in parse(SHOP).sessions.values()]
    assert {s.cwd for s in sessions} == {os.path.realpath(SHOP.parent)}
    assert [(s.version, s.model) for s in sessions] == [
        ("0.50.1", "deepseek/deepseek-coder"), ("0.86.1", "anthropic/claude-sonnet-4-20250514"),
    ]
    assert [s.title for s in sessions] == [
        "add a `total_cents` property to Order that sums the line items",
        "refactor total_cents to use Decimal and keep the old name working",
    ]


def test_the_same_history_in_another_project_is_another_session(tmp_path):
    copy = tmp_path / "fork" / HISTORY
    copy.parent.mkdir()
    shutil.copyfile(SHOP, copy)
    assert {s.id for s in parse(copy).sessions.values()}.isdisjoint(parse(SHOP).sessions)


def test_a_run_ends_at_its_next_run_and_the_last_one_when_the_file_last_changed(tmp_path):
    copy = tmp_path / HISTORY
    shutil.copyfile(NOTES, copy)
    written = local("2025-03-03 08:40:00")
    os.utime(copy, (written, written))
    assert [(s.started_at, s.last_activity) for s in parse(copy).sessions.values()] == [
        (local("2025-03-02 21:15:40"), local("2025-03-02 21:15:40")),  # lines carry no time
        (local("2025-03-03 08:02:11"), written),
    ]


def test_prompts_and_answers_are_kept_but_not_commands_or_aiders_own_output():
    messages = [(m.role, m.kind, m.text) for m in parse(SHOP).messages]
    assert [m[:2] for m in messages] == [("user", "prompt"), ("assistant", "text")] * 4
    prompts = [m[2] for m in messages if m[0] == "user"]
    assert prompts == [
        "add a `total_cents` property to Order that sums the line items",
        "why does the discount test fail on Sundays?",  # once: /ask writes it again as a prompt
        "refactor total_cents to use Decimal\nand keep the old name working",  # two lines typed
        "now update the tests",
    ]
    answers = [m[2] for m in messages if m[0] == "assistant"]
    assert answers[1].startswith("`apply_discount` uses")
    assert answers[1].endswith("Pass the date in explicitly instead of reading the clock.")  # blank lines inside
    assert not any(text.startswith(("Tokens:", "Applied edit", "/")) for _, _, text in messages)


def test_unmarked_lines_after_aiders_output_are_not_an_answer():
    answers = [m.text for m in parse(NOTES).messages if m.role == "assistant"]
    assert not any("python notes.py list" in a for a in answers)  # a suggested shell command
    assert len(answers) == 4


def test_files_added_to_the_chat_were_read_and_applied_edits_edited():
    root = os.path.realpath(SHOP.parent)
    assert [(r.path, r.action) for r in parse(SHOP).file_refs] == [
        (f"{root}/app/orders.py", "read"),  # Added app/orders.py to the chat.
        (f"{root}/app/orders.py", "edit"),  # Applied edit to app/orders.py
        (f"{root}/tests/test_orders.py", "read"),  # /add: Added tests/test_orders.py to the chat
        (f"{root}/app/orders.py", "read"),
        (f"{root}/docs/pricing.md", "read"),  # Added docs/pricing.md to the chat (read-only).
        (f"{root}/app/orders.py", "edit"),
        (f"{root}/tests/test_orders.py", "edit"),
    ]


# --- reading in chunks, and damaged input -------------------------------------------------------


@pytest.mark.parametrize("path", [SHOP, NOTES], ids=lambda p: p.parent.name)
def test_reading_appended_lines_later_gives_the_rows_reading_all_at_once_gives(path):
    data = path.read_bytes()
    whole = SOURCE.parse(path, data, None)
    lines = data.split(b"\n")
    for n in range(1, len(lines) - 1):
        if lines[n].startswith(b"Cost: "):
            continue  # written with the report above it, in one write: never split from it
        cut = len(b"\n".join(lines[:n])) + 1
        head = SOURCE.parse(path, data[:cut], None)
        tail = SOURCE.parse(path, data[cut:], head.state)
        for kind in ("usage", "messages", "file_refs"):
            assert getattr(head, kind) + getattr(tail, kind) == getattr(whole, kind), (kind, n)
        assert head.malformed + tail.malformed == whole.malformed
        merged = Batch()
        for row in [*head.sessions.values(), *tail.sessions.values()]:
            merged.see_session(row)
        # the run open when a chunk ends was active then: only its end may differ
        assert [s._replace(last_activity=0) for s in merged.sessions.values()] == [
            s._replace(last_activity=0) for s in whole.sessions.values()
        ]


def test_windows_line_endings_give_the_same_rows():
    data = SHOP.read_bytes()
    crlf, whole = SOURCE.parse(SHOP, data.replace(b"\n", b"\r\n"), None), parse(SHOP)
    for kind in ("usage", "messages", "file_refs", "sessions", "malformed"):
        assert getattr(crlf, kind) == getattr(whole, kind), kind


def test_text_that_is_not_utf8_is_read_not_raised():
    data = SHOP.read_bytes().replace(b"now update the tests", b"now update the t\xffsts")
    batch = SOURCE.parse(SHOP, data, None)
    assert len(batch.usage) == 4 and batch.malformed == 0


def test_a_state_it_cannot_read_starts_the_file_afresh():
    batch = SOURCE.parse(SHOP, SHOP.read_bytes(), b"\x00not msgpack")
    assert len(batch.usage) == 4


def test_lines_before_the_first_run_belong_to_no_session(tmp_path):
    path = history(tmp_path, "> Tokens: 1.0k sent, 20 received.  \n\n#### hello  \n")
    batch = parse(path)
    assert (batch.usage, batch.messages, batch.sessions) == ([], [], {})


# --- through the CLI ------------------------------------------------------------------------------


@pytest.fixture
def projects(sandbox_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """shop-api two levels down ~/src, notes-cli straight in ~, a third project where only the config
    points, and one too deep to look for."""
    places = {
        "shop": sandbox_home / "src" / "acme" / "shop-api",
        "notes": sandbox_home / "notes-cli",
        "client": tmp_path / "clients" / "shop-api",
    }
    shutil.copytree(SHOP.parent, places["shop"])
    shutil.copytree(NOTES.parent, places["notes"])
    shutil.copytree(SHOP.parent, places["client"])
    shutil.copytree(NOTES.parent, sandbox_home / "src" / "a" / "b" / "c" / "d" / "too-deep")
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  aider:\n    paths: [{tmp_path / 'clients'}]\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(config))
    return places


def test_a_scan_finds_the_projects_and_a_rescan_adds_nothing(projects, cli):
    first = cli("scan", "--json")
    assert first.code == 0, first.err
    assert first.json()["malformed"] == 1  # the report cut short in notes-cli
    sessions = cli("list", "--json", "--provider", "aider").json()
    # two runs in each shop-api copy, two in notes-cli; none from the one too deep
    assert sorted((s["project"], s["cwd"]) for s in sessions) == sorted(
        [("shop-api", os.path.realpath(projects["shop"]))] * 2
        + [("shop-api", os.path.realpath(projects["client"]))] * 2
        + [("notes-cli", os.path.realpath(projects["notes"]))] * 2
    )
    sources = {s["title"]: s["tokens"]["source"] for s in sessions}
    assert sources["add a `total_cents` property to Order that sums the line items"] == "exact"
    assert sources["refactor total_cents to use Decimal and keep the old name working"] == "estimated"
    again = cli("scan", "--json").json()
    assert (again["records"], again["sessions"], again["files_read"]) == (0, 0, 0)


def test_usage_by_day_carries_the_costs_aider_printed(projects, cli):
    assert cli("scan", "--json").code == 0
    report = cli("usage", "--by", "day", "--json", "--provider", "aider").json()
    days = {r["key"]: (r["input_tokens"], r["cache_creation_tokens"], r["cache_read_tokens"],
                       r["output_tokens"], r["cost_usd"]) for r in report["rows"]}
    assert days == {
        # shop-api, twice (~/src and the configured copy)
        "2024-08-14": (2 * (1722 + 1064), 0, 2 * (1024 + 2048), 2 * (187 + 96), pytest.approx(2 * 0.00075)),
        "2025-09-22": (2 * (500 + 800), 2 * (4900 + 1200), 2 * 4100, 2 * (612 + 1100), pytest.approx(2 * 0.05)),
        # notes-cli: local models the price table does not know
        "2025-03-02": (2100 + 1300, 0, 0, 310 + 96, 0.0),
        "2025-03-03": (2400, 0, 0, 188, 0.0),
    }


def test_a_new_run_appended_to_a_history_is_read_alone(projects, cli):
    assert cli("scan", "--json").code == 0
    with (projects["notes"] / HISTORY).open("a") as f:
        f.write("\n# aider chat started at 2025-03-04 19:30:00\n\n"
                "> Aider v0.75.2  \n> Model: ollama_chat/qwen2.5-coder:14b with whole edit format  \n"
                "\n#### add a `delete N` command  \n\nnotes.py\n```python\n...\n```\n\n"
                "> Tokens: 2.6k sent, 240 received.  \n> Applied edit to notes.py  \n")
    scan = cli("scan", "--json").json()
    # one report, one prompt, one answer, one edit
    assert (scan["files_read"], scan["records"], scan["sessions"]) == (1, 4, 1)
    (day,) = [r for r in cli("usage", "--by", "day", "--json").json()["rows"] if r["key"] == "2025-03-04"]
    assert (day["input_tokens"], day["output_tokens"]) == (2600, 240)
