"""Dollars as ccusage bills them, unknown prices said out loud, and the context window
Claude Code really gives a session: the real CLI over Claude Code logs
(tests/fixtures/claude-code-prices, whose README works every figure out by hand)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llm_session_manager.store import connect

FIXTURE = Path(__file__).parent / "fixtures" / "claude-code-prices"
OPUS, SONNET3, SONNET45_FULL, QUILL, SONNET45_1M = "1a2b3c4d", "2b3c4d5e", "3c4d5e6f", "4d5e6f70", "5e6f7081"

# Per day: (USD of the priced part, whether every response had a price); from the README.
DAYS = {
    "2025-03-04": (0.0105, True),
    "2025-09-02": (0.411104, True),
    "2025-09-03": (0.158886, True),
    "2025-09-04": (0.02255, False),
    "2025-09-05": (0.17568, True),
}


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    claude = tmp_path / "logs" / "claude"
    shutil.copytree(FIXTURE, claude)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    return claude


def _days(cli) -> dict:
    r = cli("usage", "--by", "day", "--json")
    assert r.code == 0, r.err
    return {row["key"]: (row["cost_usd"], row["cost_complete"]) for row in r.json()["rows"]}


def test_one_hour_cache_writes_are_billed_at_twice_the_input_price(logs, cli) -> None:
    days = _days(cli)
    assert days.keys() == DAYS.keys()
    for day, (cost, complete) in DAYS.items():
        assert days[day][0] == pytest.approx(cost, abs=1e-9), day
        assert days[day][1] is complete, day


def test_a_store_from_before_the_one_hour_split_is_read_again_and_repriced(logs, cli) -> None:
    assert cli("scan").code == 0
    # Make the store what version 10 left: no 1h column, costs of 1h writes at the 5m rate
    # (and none of what later versions add).
    conn = connect()
    conn.execute("""
        ALTER TABLE memories DROP COLUMN writer;
        ALTER TABLE usage DROP COLUMN cache_creation_1h_tokens;
        DROP INDEX usage_quarters_model;  -- v31's, over the column v10 had not
        ALTER TABLE usage_quarters DROP COLUMN unpriced;
        ALTER TABLE sessions DROP COLUMN context_peak;
        UPDATE usage SET cost_usd = 0.000001;
        DELETE FROM meta WHERE key = 'pricing_version';
        UPDATE meta SET value = value + 1 WHERE key = 'usage_version';
        PRAGMA user_version = 10;
    """)
    conn.close()

    days = _days(cli)

    for day, (cost, _) in DAYS.items():
        assert days[day][0] == pytest.approx(cost, abs=1e-9), day
    conn = connect()
    hour_writes = conn.execute("SELECT sum(cache_creation_1h_tokens) FROM usage").fetchone()[0]
    assert hour_writes == 24_000 + 5_000 + 9_000 + 1_500 + 2_000


def test_a_model_ccusage_prices_under_a_dated_name_is_not_free(logs, cli) -> None:
    r = cli("usage", "--by", "model", "--json")
    by_model = {row["key"]: row["cost_usd"] for row in r.json()["rows"]}
    assert by_model["claude-3-sonnet-20240229"] == pytest.approx(0.0105)

    shown = cli("pricing", "show", "claude-3-sonnet-20240229", "--json")
    assert shown.code == 0, shown.err
    info = shown.json()
    assert info["per_million"] == {"input": 3.0, "output": 15.0, "cache_write_5m": 3.75,
                                   "cache_write_1h": 6.0, "cache_read": 0.3}
    assert info["context_window"] == 200_000 and info["resolved"]


def test_a_model_without_a_price_is_unknown_not_free(logs, cli) -> None:
    r = cli("usage", "--by", "model", "--json")
    assert r.code == 0
    report = r.json()
    row = next(row for row in report["rows"] if row["key"] == "claude-quill-1")
    assert row["cost_usd"] is None and row["cost_complete"] is False
    assert report["totals"]["cost_usd"] == pytest.approx(sum(c for c, _ in DAYS.values()))
    assert report["totals"]["cost_complete"] is False
    assert report["unpriced_models"] == ["claude-quill-1"]
    assert [line for line in r.err.splitlines() if "claude-quill-1" in line] == [r.err.strip()]

    table = cli("usage", "--by", "model", env={"COLUMNS": "160"})
    line = next(line for line in table.out.splitlines() if line.startswith("claude-quill-1"))
    assert line.split()[-1] == "unknown" and "$0.00" not in line
    assert "claude-quill-1" in table.err

    sessions = {s["id"][:8]: s for s in cli("list", "--json").json()}
    assert sessions[QUILL]["cost_usd"] == pytest.approx(0.02255) and sessions[QUILL]["cost_complete"] is False
    assert "cost_complete" not in sessions[OPUS]  # written only when false: list's contract is unchanged


def test_pricing_show_names_close_models_for_an_unknown_one(logs, cli) -> None:
    r = cli("pricing", "show", "clade-sonet-4-5")
    assert r.code == 1
    assert r.out == "" and len(r.err.strip().splitlines()) == 1
    assert "no price for model 'clade-sonet-4-5'" in r.err and "claude-sonnet-4-5" in r.err


def test_pricing_show_gives_the_rates_above_200k_and_the_1h_write_rate(logs, cli) -> None:
    info = cli("pricing", "show", "claude-sonnet-4-5-20250929", "--json").json()
    assert info["per_million"]["cache_write_1h"] == 6.0
    assert info["above_200k"]["cache_read"] == 0.6 and info["above_200k"]["cache_write_1h"] == 12.0
    human = cli("pricing", "show", "claude-opus-4-6")
    assert human.code == 0 and "cache write 1h" in human.out and "10.0000" in human.out


def test_claude_sessions_get_the_window_claude_code_gives_them(logs, cli) -> None:
    sessions = {s["id"][:8]: s for s in cli("list", "--json").json()}
    assert sessions[OPUS]["context"] == {"used": 106_000, "limit": 200_000, "percent": 53.0}
    full = sessions[SONNET45_FULL]
    assert full["context"] == {"used": 176_004, "limit": 200_000, "percent": 88.0}
    assert full["health"]["status"] != "healthy"  # past the 85 % warning
    # A turn past 200k shows the 1M variant, and the window stays 1M after a compaction.
    assert sessions[SONNET45_1M]["context"] == {"used": 20_005, "limit": 1_000_000, "percent": 2.0}


def test_a_window_the_config_names_still_wins(logs, cli, use_config) -> None:
    use_config("token_limits:\n  claude-opus-4-6: 1000000\n")
    sessions = {s["id"][:8]: s for s in cli("list", "--json").json()}
    assert sessions[OPUS]["context"]["limit"] == 1_000_000


def test_analytics_and_blocks_say_unknown_too(logs, cli) -> None:
    r = cli("analytics", "--days", "3650", "--json")
    assert r.code == 0, r.err
    report = r.json()
    assert report["unpriced_models"] == ["claude-quill-1"] and "claude-quill-1" in r.err
    assert report["totals"]["cost_complete"] is False
    by_model = {row["key"]: row for row in report["by_model"]}
    assert by_model["claude-quill-1"]["cost_usd"] is None
    day = next(d for d in report["daily"] if d["date"] == "2025-09-04")
    assert day["cost_usd"] == pytest.approx(0.02255) and day["cost_complete"] is False

    shown = cli("blocks", "--json")
    assert shown.code == 0, shown.err
    block = next(b for b in shown.json() if "claude-quill-1" in b["models"])
    assert block["unpriced_models"] == ["claude-quill-1"] and block["cost_complete"] is False
    assert block["cost_usd"] == pytest.approx(0.02255)


def test_an_export_leaves_an_unknown_cost_empty(logs, cli) -> None:
    assert cli("scan").code == 0
    sid = next(s["id"] for s in cli("list", "--json").json() if s["id"].startswith(QUILL))
    rows = cli("export", sid, "--format", "csv").out.splitlines()
    quill = next(row.split(",") for row in rows if ",claude-quill-1," in row)
    opus = next(row.split(",") for row in rows if ",claude-opus-4-6," in row)
    assert quill[8] == "" and opus[8] == "0.022550"
    markdown = cli("export", sid).out
    assert "| claude-quill-1 |" in markdown and "unknown" in markdown and "$0.0000" not in markdown
