"""Prices come from the bundled LiteLLM table and are applied the way ccusage applies them.

Expected costs are computed here from the table file's own numbers with a
plain formula, independently of services.pricing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_session_manager.core import pricing
from llm_session_manager.core.errors import BadInput
from llm_session_manager.core.paths import data_dir

BUNDLED = Path(pricing.__file__).parents[1] / "data" / "pricing.json"
TABLE = json.loads(BUNDLED.read_text(encoding="utf-8"))
BUILTIN = json.loads((BUNDLED.parent / "pricing_builtin.json").read_text(encoding="utf-8"))


def expected(entry: dict, inp: int, out: int, write: int = 0, read: int = 0, write_1h: int = 0) -> float:
    """ccusage's arithmetic, written out: each kind tiered at 200k on its own."""

    def part(tokens: int, base: float, above: float | None) -> float:
        if tokens > 200_000 and above is not None:
            return 200_000 * base + (tokens - 200_000) * above
        return tokens * base

    base_in = entry["input_cost_per_token"]
    above_in = entry.get("input_cost_per_token_above_200k_tokens")
    return (
        part(inp, base_in, above_in)
        + part(out, entry["output_cost_per_token"], entry.get("output_cost_per_token_above_200k_tokens"))
        + part(
            write - write_1h,
            entry.get("cache_creation_input_token_cost", base_in * 1.25),
            entry.get("cache_creation_input_token_cost_above_200k_tokens"),
        )
        + part(write_1h, base_in * 2, above_in * 2 if above_in is not None else None)
        + part(
            read,
            entry.get("cache_read_input_token_cost", base_in * 0.1),
            entry.get("cache_read_input_token_cost_above_200k_tokens"),
        )
    )


def litellm_file(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_the_bundled_table_covers_the_assistants_models_and_says_where_it_came_from() -> None:
    meta = TABLE["_meta"]
    assert "LiteLLM" in meta["source"] and meta["date"]
    assert meta["models"] == len(TABLE) - 1
    for model in (
        "claude-opus-4-8", "claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929",
        "claude-sonnet-4-20250514", "claude-haiku-4-5-20251001", "claude-3-7-sonnet-20250219",
        "claude-3-5-haiku-20241022", "gpt-5", "gpt-5-codex", "gpt-5.1-codex-max", "gpt-5-mini",
        "gpt-5-nano", "o3", "o4-mini", "gpt-4.1", "gpt-4o", "codex-mini-latest",
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
    ):
        assert pricing.lookup(model) is not None, model
        assert TABLE[model]["input_cost_per_token"] > 0
    assert "input_cost_per_token_above_200k_tokens" in TABLE["claude-sonnet-4-20250514"]


@pytest.mark.parametrize("model", ["claude-sonnet-4-5-20250929", "claude-opus-4-8", "gpt-5", "gemini-2.5-flash"])
def test_a_response_costs_what_the_tables_numbers_say(model: str) -> None:
    got = pricing.cost(model, 12_345, 6_789, 40_000, 150_000)
    assert got == pytest.approx(expected(TABLE[model], 12_345, 6_789, 40_000, 150_000), rel=1e-12)
    assert got > 0


def test_each_token_kind_above_200k_is_billed_at_the_long_context_price() -> None:
    entry = TABLE["claude-sonnet-4-20250514"]
    got = pricing.cost("claude-sonnet-4-20250514", 300_000, 250_000, 300_000, 250_000)
    by_hand = (
        200_000 * entry["input_cost_per_token"] + 100_000 * entry["input_cost_per_token_above_200k_tokens"]
        + 200_000 * entry["output_cost_per_token"] + 50_000 * entry["output_cost_per_token_above_200k_tokens"]
        + 200_000 * entry["cache_creation_input_token_cost"]
        + 100_000 * entry["cache_creation_input_token_cost_above_200k_tokens"]
        + 200_000 * entry["cache_read_input_token_cost"]
        + 50_000 * entry["cache_read_input_token_cost_above_200k_tokens"]
    )
    assert got == pytest.approx(by_hand, rel=1e-12)
    # The threshold is per kind: 150k input plus 150k cache reads stay at base prices.
    assert pricing.cost("claude-sonnet-4-20250514", 150_000, 0, 0, 150_000) == pytest.approx(
        150_000 * entry["input_cost_per_token"] + 150_000 * entry["cache_read_input_token_cost"], rel=1e-12
    )


def test_exactly_200k_tokens_is_still_base_price_and_one_more_is_not() -> None:
    entry = TABLE["gemini-2.5-pro"]
    base, above = entry["input_cost_per_token"], entry["input_cost_per_token_above_200k_tokens"]
    assert pricing.cost("gemini-2.5-pro", 200_000, 0) == pytest.approx(200_000 * base, rel=1e-12)
    assert pricing.cost("gemini-2.5-pro", 200_001, 0) == pytest.approx(200_000 * base + above, rel=1e-12)


def test_a_model_without_long_context_prices_is_never_tiered() -> None:
    entry = TABLE["gpt-5"]
    assert pricing.cost("gpt-5", 300_000, 0) == pytest.approx(300_000 * entry["input_cost_per_token"], rel=1e-12)


def test_missing_cache_prices_default_to_ccusages_multiples_of_input() -> None:
    entry = TABLE["gpt-5"]
    assert "cache_creation_input_token_cost" not in entry
    assert pricing.cost("gpt-5", 0, 0, 1_000, 0) == pytest.approx(1_000 * entry["input_cost_per_token"] * 1.25)


def test_one_hour_cache_writes_cost_twice_the_input_price() -> None:
    entry = TABLE["claude-opus-4-8"]
    got = pricing.cost("claude-opus-4-8", 10, 20, 5_000, 0, cache_creation_1h_tokens=3_000)
    assert got == pytest.approx(expected(entry, 10, 20, 5_000, 0, write_1h=3_000), rel=1e-12)
    assert got == pytest.approx(
        10 * entry["input_cost_per_token"] + 20 * entry["output_cost_per_token"]
        + 2_000 * entry["cache_creation_input_token_cost"] + 3_000 * 2 * entry["input_cost_per_token"],
        rel=1e-12,
    )


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5[1m]", "claude-sonnet-4-5"),
        # Like ccusage, we keep LiteLLM's Azure, OpenRouter and Bedrock copies, and the
        # longest key containing the name wins: the same prices, under another key.
        ("openai/gpt-5", "openrouter/openai/gpt-5-codex"),
        ("azure/gpt-4.1", "azure/gpt-4.1"),
        ("gemini/gemini-2.5-pro", "gemini/gemini-2.5-pro"),
        ("claude-opus-4-8-20261201", "claude-opus-4-8"),  # a dated alias of an undated entry
        ("claude-3.7-sonnet", "eu.anthropic.claude-3-7-sonnet-20250219-v1:0"),  # dots read as dashes
        ("gpt-5.1-codex-max-high", "gpt-5.1-codex-max"),
    ],
)
def test_prefixed_and_aliased_names_find_their_entry(name: str, key: str) -> None:
    assert pricing.best_key(name, pricing.load_table().models) == key
    assert pricing.lookup(name) == pricing.lookup(key)
    assert pricing.cost(name, 1_000, 1_000) == pytest.approx(expected(TABLE[key], 1_000, 1_000), rel=1e-12)


def test_a_name_never_matches_across_a_version_number() -> None:
    models = {"claude-sonnet-4": 1, "claude-sonnet-4-5": 2}
    assert pricing.best_key("claude-sonnet-4-5-20250929", models) == "claude-sonnet-4-5"
    assert pricing.best_key("claude-sonnet-4-6", models) is None
    assert pricing.best_key("claude-sonnet-4-20250514", models) == "claude-sonnet-4"


@pytest.mark.parametrize("name", ["totally-unknown-model", "<synthetic>", "llama3:8b", ""])
def test_an_unknown_model_has_no_price_and_an_unknown_cost(name: str) -> None:
    assert pricing.lookup(name) is None
    assert pricing.cost(name, 1_000_000, 1_000_000, 1_000, 1_000) is None
    assert pricing.cost(name, 0, 0, 0, 0) == 0.0  # no tokens cost nothing, whatever the model
    assert pricing.context_limit(name) == pricing.DEFAULT_CONTEXT_LIMIT == 200_000


def test_context_limit_prefers_config_then_table_then_default() -> None:
    assert pricing.context_limit("gpt-5") == TABLE["gpt-5"]["max_input_tokens"]
    # Claude runs with 200k unless it is the long-context variant ([1m], or a caller saw a bigger turn).
    assert pricing.context_limit("claude-opus-4-8") == 200_000
    assert pricing.context_limit("claude-opus-4-6[1m]") == 1_000_000
    assert pricing.context_limit("claude-sonnet-4-5-20250929", long_context=True) == 1_000_000
    overrides = {"claude-sonnet-4-5": 1_000_000}
    assert pricing.context_limit("claude-sonnet-4-5-20250929", overrides) == 1_000_000
    assert pricing.context_limit("claude-sonnet-4-5-20250929", {}) == 200_000
    assert pricing.context_limit("my-local-model", {"my-local-model": 32_768}) == 32_768


def test_an_updated_table_is_installed_and_used(tmp_path: Path) -> None:
    litellm = {
        "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers"},
        "gpt-5": {"input_cost_per_token": 2e-06, "output_cost_per_token": 2e-05, "litellm_provider": "openai", "mode": "chat",
                  "max_input_tokens": 400000},
        "claude-test-9": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06,
                          "litellm_provider": "anthropic", "mode": "chat"},
        "bedrock/some-model": {"input_cost_per_token": "ignored", "litellm_provider": "bedrock", "mode": "chat"},
        "dall-e-3": {"output_cost_per_image": 0.04, "litellm_provider": "openai", "mode": "image_generation"},
    }
    before = pricing.cost("gpt-5", 1_000, 0)

    count = pricing.update(litellm_file(tmp_path, litellm))

    installed = json.loads((data_dir() / "pricing.json").read_text(encoding="utf-8"))
    assert count == installed["_meta"]["models"] == len(installed) - 1
    bundled = (set(TABLE) | set(BUILTIN)) - {"_meta"}  # LiteLLM's table and ccusage's own prices
    assert count == len(bundled) + 1  # claude-test-9 is new; gpt-5's entry was replaced
    assert pricing.cost("gpt-5", 1_000, 0) == pytest.approx(1_000 * 2e-06) != before
    assert pricing.context_limit("gpt-5") == 400_000
    assert pricing.lookup("claude-test-9") is not None
    # A model the file lacks (LiteLLM retires old ones) keeps its bundled price.
    assert pricing.lookup("claude-3-7-sonnet-20250219") == pricing.ModelPrice(**TABLE["claude-3-7-sonnet-20250219"])
    assert pricing.load_table().path == data_dir() / "pricing.json"


def test_each_command_prices_by_the_table_on_disk_not_the_one_the_last_command_read(cli) -> None:
    # A command reads the table as the last one left it (<data dir>/pricing.cache), unless
    # a file it came from changed: hand-edited in place, even to the same size, or removed.
    def input_price() -> float:
        r = cli("pricing", "show", "claude-opus-4-6", "--json")
        assert r.code == 0, r.err
        return r.json()["per_million"]["input"]

    data_dir().mkdir(parents=True, exist_ok=True)
    bundled = input_price()
    assert (data_dir() / "pricing.cache").is_file()
    assert input_price() == bundled  # from the cache
    table = data_dir() / "pricing.json"
    for dollars in ("7.000001", "8.000001"):  # the same size: the file's times tell
        entry = {"input_cost_per_token": float(dollars) / 1e6, "output_cost_per_token": 2.5e-05,
                 "litellm_provider": "anthropic", "mode": "chat"}
        table.write_text(json.dumps({"claude-opus-4-6": entry}), encoding="utf-8")
        assert input_price() == pytest.approx(float(dollars))
    table.unlink()
    assert input_price() == bundled


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ([{"gpt-5": {}}], "not a LiteLLM table"),
        ({"sample_spec": {"max_input_tokens": "max input tokens"}}, "no usable model entries"),
        ({"gpt-5": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-05, "litellm_provider": "openai"}},
         "'gpt-5'"),
        ({"gpt-5": {"input_cost_per_token": 1e-06, "output_cost_per_token": -1, "litellm_provider": "openai"}},
         "output_cost_per_token"),
    ],
)
def test_a_bad_pricing_file_is_refused_with_one_line_and_nothing_installed(
    tmp_path: Path, content: object, problem: str
) -> None:
    path = tmp_path / "missing.json" if content is None else litellm_file(tmp_path, content)
    with pytest.raises(BadInput) as caught:
        pricing.update(path)
    message = str(caught.value)
    assert problem in message and "\n" not in message
    assert not (data_dir() / "pricing.json").exists()
    assert pricing.load_table().path == BUNDLED


def test_make_pricing_keeps_retired_models_from_older_files(tmp_path: Path) -> None:
    newest = tmp_path / "new.json"
    older = tmp_path / "old.json"
    newest.write_text(json.dumps({
        "gpt-5": {"input_cost_per_token": 2e-06, "output_cost_per_token": 2e-05, "litellm_provider": "openai",
                  "mode": "chat"},
        "azure/gpt-5": {"input_cost_per_token": 9e-06, "output_cost_per_token": 9e-05, "litellm_provider": "azure",
                        "mode": "chat"},
        "mistral/mistral-large": {"input_cost_per_token": 2e-06, "output_cost_per_token": 6e-06,
                                  "litellm_provider": "mistral", "mode": "chat"},
    }))
    older.write_text(json.dumps({
        "gpt-5": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05, "litellm_provider": "openai",
                  "mode": "chat"},
        "claude-3-opus-20240229": {"input_cost_per_token": 1.5e-05, "output_cost_per_token": 7.5e-05,
                                   "litellm_provider": "anthropic", "mode": "chat"},
    }))
    out = tmp_path / "pricing.json"
    script = Path(__file__).parents[1] / "scripts" / "make_pricing.py"

    subprocess.run([sys.executable, str(script), str(newest), str(older), "-o", str(out), "--date", "2026-01-02"],
                   check=True, capture_output=True)

    table = json.loads(out.read_text(encoding="utf-8"))
    assert table["_meta"]["date"] == "2026-01-02" and table["_meta"]["models"] == 3
    assert table["gpt-5"]["input_cost_per_token"] == 2e-06
    assert table["claude-3-opus-20240229"]["output_cost_per_token"] == 7.5e-05
    assert "azure/gpt-5" in table  # ccusage embeds every gpt-/azure/ entry, and matches names against them
    assert "mistral/mistral-large" not in table


@pytest.mark.parametrize("name", ["ollama_chat/qwen2.5-coder:14b", "ollama/llama3:8b", "orca-mini-3b-gguf2-q4_0"])
def test_a_model_run_locally_costs_nothing_rather_than_an_unknown_price(name: str) -> None:
    assert pricing.lookup(name) is None
    assert pricing.cost(name, 2_000, 300) == 0.0


def test_a_row_summing_a_days_responses_is_not_tiered() -> None:
    # 402,000 cache reads of Sonnet 4.5 in one response cross the 200k tier; in a daily export
    # they are many responses, each under it (the Anthropic console bills them at $0.30/M).
    one_response = pricing.cost("claude-sonnet-4-5-20250929", 0, 0, 0, 402_000)
    daily_total = pricing.cost("claude-sonnet-4-5-20250929", 0, 0, 0, 402_000, tiered=False)
    assert daily_total == pytest.approx(402_000 * 0.3e-6)
    assert one_response == pytest.approx(200_000 * 0.3e-6 + 202_000 * 0.6e-6)
