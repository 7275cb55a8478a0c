"""Every figure says where it comes from: ``provenance`` in ``usage``, ``list``, ``show`` and ``analytics``.

Claude Code's logs count exactly; aider's report rounds its counts (``12k``), so
those are estimates; a model without a price makes a cost ``unknown``
(tests/fixtures/claude-code-prices: ``claude-quill-1`` on 2025-09-04).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
EXACT = {"tokens": "exact", "cost_usd": "exact"}
ESTIMATED = {"tokens": "estimated", "cost_usd": "estimated"}


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Claude Code logs with an unpriced model, and an aider history with rounded counts."""
    shutil.copytree(FIXTURES / "claude-code-prices", tmp_path / "claude")
    shutil.copy(FIXTURES / "aider" / "shop-api" / ".aider.chat.history.md", tmp_path / "aider.md")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.setenv("AIDER_CHAT_HISTORY_FILE", str(tmp_path / "aider.md"))


def test_usage_rows_and_totals_say_which_tokens_are_estimated_and_which_costs_unknown(mixed, cli) -> None:
    by_day = cli("usage", "--by", "day", "--json").json()
    days = {r["key"]: r["provenance"] for r in by_day["rows"]}
    assert days["2025-09-03"] == EXACT
    assert days["2025-09-04"] == {"tokens": "exact", "cost_usd": "unknown"}  # claude-quill-1 has no price
    assert days["2025-09-22"] == ESTIMATED  # aider's rounded report
    assert by_day["totals"]["provenance"] == {"tokens": "estimated", "cost_usd": "unknown"}
    by_provider = {r["key"]: r["provenance"] for r in cli("usage", "--by", "provider", "--json", "--no-scan").json()["rows"]}
    assert by_provider == {"claude-code": {"tokens": "exact", "cost_usd": "unknown"}, "aider": ESTIMATED}
    sessions = cli("usage", "--by", "session", "--json", "--no-scan").json()
    assert {r["provenance"]["tokens"] for r in sessions["rows"]} == {"exact", "estimated"}


def test_each_session_says_where_its_tokens_cost_and_context_come_from(mixed, cli) -> None:
    listed = {s["id"]: s for s in cli("list", "--json").json()}
    quill = next(s for sid, s in listed.items() if sid.startswith("4d5e6f70"))
    assert quill["provenance"] == {"tokens": "exact", "cost_usd": "unknown", "context": "exact"}
    for s in listed.values():  # the older field says the same as the new one
        assert s["provenance"]["tokens"] == s["tokens"]["source"]
        assert (s["provenance"]["cost_usd"] == "unknown") == (s.get("cost_complete") is False or s["cost_usd"] is None)
    assert any(s["provenance"]["tokens"] == "estimated" for s in listed.values() if s["provider"] == "aider")
    shown = cli("show", quill["id"], "--json", "--no-scan").json()
    assert shown["provenance"] == quill["provenance"]


def test_analytics_labels_its_totals_days_rankings_and_top_sessions(mixed, cli) -> None:
    report = cli("analytics", "--days", "3650", "--json").json()
    assert report["totals"]["provenance"] == {"tokens": "estimated", "cost_usd": "unknown"}
    assert {d["date"]: d["provenance"] for d in report["daily"] if d["total_tokens"]}["2025-09-22"] == ESTIMATED
    providers = {r["key"]: r["provenance"] for r in report["by_provider"]}
    assert providers == {"claude-code": {"tokens": "exact", "cost_usd": "unknown"}, "aider": ESTIMATED}
    assert all("provenance" in r for r in report["by_model"] + report["by_project"] + report["top_sessions"])
