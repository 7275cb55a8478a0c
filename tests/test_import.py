"""`llm-session import`: the exports a user downloads, read through the real CLI.

Hand totals come from the fixtures' rows (tests/fixtures/<provider>/README.md);
ChatGPT's are estimated, so they are counted here with the same o200k tokenizer
over the fixture's own texts, by the rule docs/providers.md states.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES

from llm_session_manager.core.encoding import count_o200k

OPENAI_USAGE = FIXTURES / "openai-api" / "completions_usage_2025-10-05_2025-10-08.csv"
OPENAI_COST = FIXTURES / "openai-api" / "cost_2025-10-05_2025-10-08.csv"
ANTHROPIC_USAGE = FIXTURES / "anthropic-api" / "claude_api_tokens_2025-11.csv"
ANTHROPIC_COST = FIXTURES / "anthropic-api" / "claude_api_cost_2025-11.csv"
CHATGPT = FIXTURES / "chatgpt" / "conversations.json"
PROJECT = "proj_Rk2vQ8sLm4TnW7yXc1dZ0aB3"

# (input without cache reads, output, cache writes, cache reads) per UTC day:
OPENAI_DAYS = {
    "2025-10-05": (59200 - 5760, 10646, 0, 5760),
    # two gpt-5 rows with the same identifying columns, plus project B's batch row
    "2025-10-06": ((46264 - 8192) + 5783 + 12000, 60000 + 16000 + 3000, 0, 8192),
    "2025-10-07": (80992, 274770, 0, 0),
    # 2025-10-08 is a row of empty cells: a day without usage
}
ANTHROPIC_DAYS = {
    "2025-11-03": (1840 + 2300 + 120000, 9100 + 410 + 15000, 52000 + 8000, 610000 + 40000),
    "2025-11-04": (950, 6200, 31000, 402000),
}


def _ok(result) -> dict:
    assert result.code == 0, result.err
    return result.json()


def _days(cli, provider: str) -> dict[str, tuple]:
    rows = _ok(cli("usage", "--by", "day", "--provider", provider, "--json", "--no-scan"))["rows"]
    return {r["key"]: (r["input_tokens"], r["output_tokens"], r["cache_creation_tokens"],
                       r["cache_read_tokens"]) for r in rows}


def _costs(cli, provider: str) -> dict[str, float]:
    rows = _ok(cli("usage", "--by", "day", "--provider", provider, "--json", "--no-scan"))["rows"]
    return {r["key"]: r["cost_usd"] for r in rows}


def test_an_openai_usage_export_is_one_exact_row_per_line_and_one_session_per_project_day(cli):
    result = _ok(cli("import", str(OPENAI_USAGE), "--json"))
    assert (result["files"], result["files_read"], result["records"], result["malformed"]) == (1, 1, 5, 0)
    assert result["sessions"] == 4  # project A on three days, project B on one
    assert _days(cli, "openai-api") == OPENAI_DAYS
    sessions = _ok(cli("list", "--provider", "openai-api", "--json", "--no-scan"))
    assert sorted(s["id"] for s in sessions) == sorted([
        f"openai-api:{PROJECT}:2025-10-05", f"openai-api:{PROJECT}:2025-10-06",
        f"openai-api:{PROJECT}:2025-10-07", "openai-api:proj_Jd7cW1fNs6QpX4vBz8mKe2Ty:2025-10-06",
    ])
    assert {s["tokens"]["source"] for s in sessions} == {"exact"}
    assert {s["context"]["used"] for s in sessions} == {0}  # a day's total fills no context window


def test_priced_usage_matches_what_openai_billed_for_the_day(cli):
    _ok(cli("import", str(OPENAI_USAGE), "--json"))
    # gpt-5-mini at $0.25 / $2.00 per million input / output tokens; the public report
    # this fixture follows shows OpenAI billed exactly this for the day.
    assert _costs(cli, "openai-api")["2025-10-07"] == pytest.approx(80992 * 0.25e-6 + 274770 * 2e-6)
    assert pytest.approx(0.569788) == 80992 * 0.25e-6 + 274770 * 2e-6


def test_an_openai_cost_export_keeps_openais_own_dollars(cli):
    result = _ok(cli("import", str(OPENAI_COST), "--json"))
    assert (result["records"], result["malformed"]) == (8, 0)  # the empty 2025-10-08 row is no charge
    assert _costs(cli, "openai-api") == pytest.approx({
        "2025-10-05": 0.1408 + 0.10646,
        "2025-10-06": 0.05584275 + 0.76 + 0.0009 + 0.0009,  # batch at half price: as billed
        "2025-10-07": 0.020248 + 0.54954,
    })
    assert set(_days(cli, "openai-api").values()) == {(0, 0, 0, 0)}  # a cost export has no tokens


def test_importing_the_same_export_again_adds_nothing(cli, tmp_path):
    export = Path(shutil.copy(OPENAI_USAGE, tmp_path))
    _ok(cli("import", str(export), "--json"))
    again = _ok(cli("import", str(export), "--json"))
    assert (again["files"], again["files_read"], again["records"]) == (1, 0, 0)
    os.utime(export, ns=(0, export.stat().st_mtime_ns + 10**9))  # touched: read again, nothing new
    touched = _ok(cli("import", str(export), "--json"))
    assert (touched["files_read"], touched["records"]) == (1, 0)
    assert _days(cli, "openai-api") == OPENAI_DAYS


def test_a_later_export_adds_only_the_rows_it_did_not_have(cli, tmp_path):
    export = tmp_path / "completions_usage.csv"
    shutil.copy(OPENAI_USAGE, export)
    _ok(cli("import", str(export), "--json"))
    lines = export.read_text().splitlines()
    # Downloaded again a day later: 2025-10-08 now has usage, 2025-10-07 grew.
    lines[5] = lines[5].replace("80992.0,274770.0,0.0,80992.0", "90992.0,284770.0,0.0,90992.0")
    lines[6] = (
        f"1759881600,1759968000,2025-10-08T00:00:00+00:00,2025-10-09T00:00:00+00:00,{PROJECT},4.0,"
        "user-Lq3XbN8cVt2MzR5wKp9sYd1F,key_Hn4TgW2qLx8PzV1m,gpt-5-mini-2025-08-07,FALSE,default,"
        "7000.0,900.0,1000.0,6000.0,6000.0,900.0,1000.0,0.0,0.0,0.0,0.0,0.0,0.0"
    )
    export.write_text("\n".join(lines) + "\n")
    result = _ok(cli("import", str(export), "--json"))
    assert result["records"] == 2  # one new day, one day replaced by its fuller total
    assert _days(cli, "openai-api") == {
        **OPENAI_DAYS, "2025-10-07": (90992, 284770, 0, 0), "2025-10-08": (7000 - 1000, 900, 0, 1000),
    }


def test_an_anthropic_usage_export_is_counted_per_day(cli):
    result = _ok(cli("import", str(ANTHROPIC_USAGE), "--json"))
    assert (result["records"], result["sessions"], result["malformed"]) == (4, 3, 0)
    assert _days(cli, "anthropic-api") == ANTHROPIC_DAYS
    ids = {s["id"] for s in _ok(cli("list", "--provider", "anthropic-api", "--json", "--no-scan"))}
    assert ids == {"anthropic-api:Claude-Code:2025-11-03", "anthropic-api:Default:2025-11-03",
                   "anthropic-api:Claude-Code:2025-11-04"}


def test_an_anthropic_cost_export_keeps_the_consoles_dollars(cli):
    result = _ok(cli("import", str(ANTHROPIC_COST), "--json"))
    assert (result["records"], result["malformed"]) == (14, 0)  # one row per token type
    assert _costs(cli, "anthropic-api") == pytest.approx({
        "2025-11-03": (0.00552 + 0.195 + 0.183 + 0.1365) + (0.0023 + 0.00205)  # Claude Code workspace
        + (0.36 + 0.048 + 0.012 + 0.225),  # Default workspace
        "2025-11-04": 0.00285 + 0.11625 + 0.1206 + 0.093,
    })


def test_priced_anthropic_usage_matches_the_consoles_cost_for_a_day(cli):
    _ok(cli("import", str(ANTHROPIC_USAGE), "--json"))
    # Sonnet 4.5: $3 in, $3.75 5-minute cache write, $0.30 cache read, $15 out per million;
    # the cost export bills 2025-11-04 at 0.00285 + 0.11625 + 0.1206 + 0.093.
    assert _costs(cli, "anthropic-api")["2025-11-04"] == pytest.approx(0.3327)


def _text(node: dict) -> str:
    return "\n".join(p for p in node["message"]["content"]["parts"] if isinstance(p, str))


def test_a_chatgpt_export_is_estimated_per_answer_on_the_branch_the_user_kept(cli):
    result = _ok(cli("import", str(CHATGPT), "--json"))
    # two conversations read, the third has no message tree
    assert (result["sessions"], result["malformed"]) == (2, 1)
    mapping = json.loads(CHATGPT.read_text())[0]["mapping"]

    def t(node_id: str) -> int:
        return count_o200k(_text(mapping[node_id]))

    prompt, answer = t("f30fe1f2-813a-48f2-99a4-740951ddbb5f"), t("0edd1113-4af5-4b51-963e-bd768da49f6f")
    follow_up, last = t("c3a1e5f0-2b7d-4e8a-9f61-0d4c8b2a7e13"), t("5d2f8b14-6c9e-4a37-b0e2-71f3a9c4d856")
    sessions = {s["id"]: s for s in _ok(cli("list", "--provider", "chatgpt", "--json", "--no-scan"))}
    retry = sessions["chatgpt:684e65c7-c770-8007-9684-3f62b6f51677"]
    # answer 1 saw the edited prompt; answer 2 saw prompt, answer 1 and the follow-up
    assert (retry["tokens"]["input"], retry["tokens"]["output"]) == (prompt + (prompt + answer + follow_up),
                                                                    answer + last)
    assert retry["tokens"]["source"] == "estimated"
    assert retry["context"]["used"] == prompt + answer + follow_up
    assert (retry["title"], retry["model"], retry["cost_usd"]) == (
        "Retry with exponential backoff", "gpt-4o", 0.0,
    )
    again = _ok(cli("import", str(CHATGPT), "--json"))
    assert again["records"] == 0


def test_each_file_is_told_apart_by_its_content(cli, tmp_path):
    renamed = tmp_path / "download (3).txt"
    shutil.copy(CHATGPT, renamed)
    _ok(cli("import", str(OPENAI_USAGE), str(ANTHROPIC_USAGE), str(renamed), "--json"))
    rows = _ok(cli("usage", "--by", "provider", "--json", "--no-scan"))["rows"]
    assert {r["key"] for r in rows} == {"openai-api", "anthropic-api", "chatgpt"}


def test_as_reads_a_file_as_the_kind_named_and_a_wrong_kind_stores_nothing(cli):
    wrong = _ok(cli("import", "--as", "anthropic-api", str(OPENAI_USAGE), "--json"))
    assert (wrong["records"], wrong["malformed"]) == (0, 1)
    right = _ok(cli("import", str(OPENAI_USAGE), "--json"))  # same file, now as what it is
    assert right["records"] == 5


def test_a_missing_file_is_one_line_and_nothing_is_imported(cli, tmp_path):
    missing = tmp_path / "nope.csv"
    r = cli("import", str(OPENAI_USAGE), str(missing), "--json")
    assert (r.code, r.out) == (1, "")
    assert r.err == f"error: cannot read {missing}: No such file or directory\n"
    assert _ok(cli("usage", "--by", "provider", "--json", "--no-scan"))["rows"] == []


def test_a_file_of_unknown_kind_is_one_line_naming_the_choices(cli, tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("date,amount\n2025-10-05,12.50\n")
    r = cli("import", str(notes))
    assert (r.code, r.out) == (1, "")
    assert r.err == (f"error: cannot tell what kind of export {notes} is; "
                     "pass --as openai-api|anthropic-api|chatgpt\n")


def test_scan_picks_up_exports_kept_in_a_configured_directory(cli, tmp_path):
    exports = tmp_path / "exports"
    (exports / "2025-10").mkdir(parents=True)
    shutil.copy(OPENAI_USAGE, exports / "2025-10" / OPENAI_USAGE.name)
    shutil.copy(ANTHROPIC_USAGE, exports / ANTHROPIC_USAGE.name)  # not listed for anthropic-api
    shutil.copy(CHATGPT, exports / "conversations.json")
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  openai-api:\n    paths: [{exports}]\n  chatgpt:\n    paths: [{exports}]\n")
    env = {"LLM_SESSION_CONFIG": str(config)}
    first = _ok(cli("scan", "--json", env=env))
    assert (first["files"], first["malformed"]) == (2, 1)
    assert _days(cli, "openai-api") == OPENAI_DAYS
    assert _days(cli, "anthropic-api") == {}
    assert _ok(cli("scan", "--json", env=env))["records"] == 0
    # what scan read, import knows: nothing new
    assert _ok(cli("import", str(exports / "2025-10" / OPENAI_USAGE.name), "--json"))["files_read"] == 0


def test_without_configured_directories_nothing_is_looked_for(cli, sandbox_home):
    (sandbox_home / "Downloads").mkdir()
    shutil.copy(CHATGPT, sandbox_home / "Downloads" / "conversations.json")
    shutil.copy(OPENAI_USAGE, sandbox_home / OPENAI_USAGE.name)
    assert _ok(cli("scan", "--json"))["files"] == 0
