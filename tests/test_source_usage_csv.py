"""The OpenAI and Anthropic usage/cost CSV exports, parsed directly.

Row numbers are the fixtures' own (tests/fixtures/openai-api, anthropic-api);
the CLI side of the story is in test_import.py.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import FIXTURES

from llm_session_manager.core.models import Batch
from llm_session_manager.sources.usage_csv import ANTHROPIC, OPENAI

OPENAI_USAGE = FIXTURES / "openai-api" / "completions_usage_2025-10-05_2025-10-08.csv"
OPENAI_COST = FIXTURES / "openai-api" / "cost_2025-10-05_2025-10-08.csv"
OPENAI_LEGACY = FIXTURES / "openai-api" / "activity-2023-11.csv"
ANTHROPIC_USAGE = FIXTURES / "anthropic-api" / "claude_api_tokens_2025-11.csv"
ANTHROPIC_COST = FIXTURES / "anthropic-api" / "claude_api_cost_2025-11.csv"
NOON_2025_10_06 = 1759752000.0  # 2025-10-06T12:00:00Z


def parse(source, path: Path, data: bytes | None = None) -> Batch:
    return source.parse(path, path.read_bytes() if data is None else data, None)


def test_exports_are_never_looked_for_under_home(tmp_path):
    assert OPENAI.default_roots({}, tmp_path) == [] and ANTHROPIC.default_roots({}, tmp_path) == []
    assert (OPENAI.layout, OPENAI.exact, ANTHROPIC.layout, ANTHROPIC.exact) == ("document", True, "document", True)


def test_a_directory_of_exports_yields_each_vendors_own_csvs(tmp_path):
    (tmp_path / "openai").mkdir()
    for path in (OPENAI_USAGE, OPENAI_COST):
        (tmp_path / "openai" / path.name).write_bytes(path.read_bytes())
    (tmp_path / ANTHROPIC_USAGE.name).write_bytes(ANTHROPIC_USAGE.read_bytes())
    (tmp_path / "budget.csv").write_text("month,amount\n2025-10,120\n")
    assert list(OPENAI.discover(tmp_path)) == [str(tmp_path / "openai" / OPENAI_USAGE.name),
                                              str(tmp_path / "openai" / OPENAI_COST.name)]
    assert list(ANTHROPIC.discover(tmp_path)) == [str(tmp_path / ANTHROPIC_USAGE.name)]


def test_rows_openai_repeats_with_the_same_columns_both_count():
    gpt5 = [u for u in parse(OPENAI, OPENAI_USAGE).usage if u.model == "gpt-5-2025-08-07"]
    assert [(u.input_tokens, u.output_tokens, u.cache_read_tokens) for u in gpt5] == [
        (46264 - 8192, 60000, 8192), (5783, 16000, 0),
    ]
    assert len({u.dedup_key for u in gpt5}) == 2


def test_keys_name_the_row_not_its_place_in_the_file():
    lines = OPENAI_USAGE.read_bytes().splitlines(keepends=True)
    body = lines[1:]
    random.Random(7).shuffle(body)
    shuffled = parse(OPENAI, OPENAI_USAGE, b"".join([lines[0], *body]))
    assert {u.dedup_key for u in shuffled.usage} == {u.dedup_key for u in parse(OPENAI, OPENAI_USAGE).usage}


def test_a_daily_bucket_sits_at_noon_utc_of_its_day():
    usage = parse(OPENAI, OPENAI_USAGE).usage
    assert {u.ts for u in usage if u.session_id.endswith(":2025-10-06")} == {NOON_2025_10_06}
    assert {u.ts for u in parse(ANTHROPIC, ANTHROPIC_USAGE).usage} == {1762171200.0, 1762257600.0}


def test_an_openai_cost_row_is_openais_dollars_for_a_model_line():
    rows = parse(OPENAI, OPENAI_COST).usage
    assert [(u.model, u.cost_usd) for u in rows[:2]] == [
        ("gpt-4o-2024-08-06", 0.1408), ("gpt-4o-2024-08-06", 0.10646),
    ]
    assert {(u.input_tokens, u.output_tokens) for u in rows} == {(0, 0)}


def test_the_2023_activity_export_is_read_with_its_own_column_names():
    usage = parse(OPENAI, OPENAI_LEGACY).usage
    assert [(u.ts, u.model, u.input_tokens, u.output_tokens, u.cost_usd) for u in usage] == [
        (1699401600.0, "gpt-4-1106-preview", 18230, 2410, None),
        (1699488000.0, "gpt-3.5-turbo-0613", 40500, 6120, None),
    ]
    assert [u.session_id for u in usage] == ["openai-api:support-bot:2023-11-08", "openai-api:support-bot:2023-11-09"]


def test_anthropic_cache_writes_add_both_lifetimes_and_cost_rows_name_the_api_model():
    usage = parse(ANTHROPIC, ANTHROPIC_USAGE).usage
    default = next(u for u in usage if u.session_id == "anthropic-api:Default:2025-11-03")
    assert (default.input_tokens, default.cache_creation_tokens, default.cache_read_tokens,
            default.output_tokens) == (120000, 0 + 8000, 40000, 15000)
    costs = parse(ANTHROPIC, ANTHROPIC_COST).usage
    assert {u.model for u in costs} == {"claude-sonnet-4-5", "claude-haiku-4-5"}
    assert sum(u.cost_usd for u in costs) == pytest.approx(1.50207)


def test_hourly_anthropic_rows_keep_their_hour_and_share_the_days_session():
    data = ANTHROPIC_USAGE.read_text().replace("2025-11-04,", "2025-11-04 15:00:00,").encode()
    row = parse(ANTHROPIC, ANTHROPIC_USAGE, data).usage[-1]
    assert (row.ts, row.session_id) == (1762268400.0, "anthropic-api:Claude-Code:2025-11-04")


def test_an_export_saved_as_tsv_from_a_spreadsheet_reads_the_same():
    text = OPENAI_USAGE.read_text()
    tsv = text.replace(",", "\t").encode()
    assert OPENAI.sniff(tsv[:4096])
    assert parse(OPENAI, OPENAI_USAGE, tsv).usage == parse(OPENAI, OPENAI_USAGE).usage


def test_a_bad_line_is_skipped_and_counted_and_the_rest_read():
    text = ANTHROPIC_USAGE.read_text()
    text = text.replace("2025-11-04,", "Nov 4,").replace(",2300,", ",2.3k,")
    batch = parse(ANTHROPIC, ANTHROPIC_USAGE, text.encode())
    assert (batch.malformed, len(batch.usage)) == (2, 2)


def test_a_stray_quote_costs_only_the_line_it_starts():
    data = ANTHROPIC_USAGE.read_bytes().replace(b"2025-11-04,claude", b'2025-11-04,"claude')
    batch = parse(ANTHROPIC, ANTHROPIC_USAGE, data)
    assert (batch.malformed, len(batch.usage)) == (1, 3)


def test_a_csv_that_is_no_export_is_one_malformed_document():
    batch = parse(OPENAI, OPENAI_USAGE, b"name,email\nAda,ada@example.com\n")
    assert (batch.malformed, batch.usage, batch.sessions) == (1, [], {})
    assert not OPENAI.sniff(ANTHROPIC_USAGE.read_bytes()) and not ANTHROPIC.sniff(OPENAI_USAGE.read_bytes())
