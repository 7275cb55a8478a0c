"""What a user sees of their sessions: contract JSON, health, recommendations, exports."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES

from llm_session_manager import ingest
from llm_session_manager.core import config, when
from llm_session_manager.core.errors import BadInput
from llm_session_manager.core.models import Session
from llm_session_manager.services import export, recommend, sessions
from llm_session_manager.store import connect

CODEX_SESSION = "019c8a10-4b7e-7c21-9d3a-5e6f7a8b9c0d"
CLAUDE_B = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"

ENV = {
    "CLAUDE_CONFIG_DIR": str(FIXTURES / "claude-code"),
    "CODEX_HOME": str(FIXTURES / "codex" / "home"),
}


@pytest.fixture
def conn(sandbox_home):
    c = connect()
    ingest.scan(c, config.load(), env=ENV, home=sandbox_home)
    return c


@pytest.fixture
def scanned(cli):
    r = cli("scan", "--json", env=ENV)
    assert r.code == 0, r.err
    return r.json()


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_list_json_follows_the_contract(cli, scanned):
    listed = cli("list", "--json").json()
    assert len(listed) == scanned["sessions"] == 6
    for s in listed:
        assert list(s) == ["id", "provider", "project", "cwd", "title", "model", "started_at",
                           "last_activity", "active", "tokens", "context", "cost_usd", "health", "tags",
                           "working_since", "provenance"]
        assert list(s["tokens"]) == ["input", "output", "cache_creation", "cache_read", "total", "source"]
        assert list(s["context"]) == ["used", "limit", "percent"]
        assert list(s["health"]) == ["score", "status", "components"]
        assert set(s["health"]["components"]) == {"token_usage", "duration", "activity", "errors"}
        t = s["tokens"]
        assert t["total"] == t["input"] + t["output"] + t["cache_creation"] + t["cache_read"]
        assert t["source"] == "exact"
    times = [s["last_activity"] for s in listed]
    assert times == sorted(times, reverse=True)


def test_session_totals_add_up_to_the_usage_report(cli, scanned):
    listed = cli("list", "--json").json()
    report = cli("usage", "--by", "session", "--json").json()
    by_id = {r["key"]: r for r in report["rows"]}
    for s in listed:
        if s["id"] in by_id:
            assert s["tokens"]["total"] == by_id[s["id"]]["total_tokens"]
            assert s["cost_usd"] == pytest.approx(by_id[s["id"]]["cost_usd"], abs=1e-6)
    assert sum(s["tokens"]["total"] for s in listed) == report["totals"]["total_tokens"]


def test_filters_by_provider_project_tag_and_since(cli, scanned):
    assert {s["provider"] for s in cli("list", "--provider", "codex", "--json").json()} == {"codex"}
    shop = cli("list", "--project", "shop", "--json").json()
    assert {s["id"] for s in shop} == {CLAUDE_B, "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"}
    assert cli("tag", CLAUDE_B[:6], "auth", "urgent", "--json").json()["tags"] == ["auth", "urgent"]
    tagged = cli("list", "--tag", "auth", "--json").json()
    assert [s["id"] for s in tagged] == [CLAUDE_B]
    assert cli("untag", CLAUDE_B, "urgent", "--json").json()["tags"] == ["auth"]
    recent = cli("list", "--since", "2026-02-01", "--json").json()
    assert recent and all(_ts(s["last_activity"]) >= _ts("2026-02-01T00:00:00+00:00") for s in recent)
    assert cli("list", "--active", "--json").json() == []  # no assistant runs in the sandbox


def test_since_is_a_local_date_an_iso_time_or_an_age():
    assert when.parse_since("2025-01-31") == datetime(2025, 1, 31).timestamp()  # local midnight
    assert when.parse_since("2025-01-31T10:00:00Z") == datetime(2025, 1, 31, 10, tzinfo=UTC).timestamp()
    assert when.parse_since(" 7d ") == pytest.approx(time.time() - 7 * 86400, abs=5)
    assert when.parse_since("30m") == pytest.approx(time.time() - 1800, abs=5)
    with pytest.raises(BadInput, match=r"^--since must be a date like 2025-01-31, an ISO time or an age like 7d, got 'soon'$"):
        when.parse_since("soon", name="--since")


def test_the_session_of_a_directory_is_the_latest_there_else_the_nearest(conn):
    cfg, now = config.load(), _ts("2026-03-01T00:00:00+00:00")
    everything = sessions.list_sessions(conn, cfg, now=now)  # newest first
    newest_in = {}
    for s in everything:
        newest_in.setdefault(s.cwd, s)
    assert sessions.for_cwd(conn, cfg, "/home/dev/shop", now=now) == newest_in["/home/dev/shop"]
    assert sessions.for_cwd(conn, cfg, "/home/dev/shop/", now=now) == newest_in["/home/dev/shop"]
    # From inside the project, and from the directory that holds every project:
    assert sessions.for_cwd(conn, cfg, "/home/dev/shop/src/cart", now=now) == newest_in["/home/dev/shop"]
    assert sessions.for_cwd(conn, cfg, "/home/dev", now=now) == everything[0]
    # A directory that only starts with the same letters is somewhere else.
    assert sessions.for_cwd(conn, cfg, "/home/dev/shopping", now=now) is None
    assert sessions.for_cwd(conn, cfg, "/nowhere", now=now) is None


def test_a_directory_filter_sums_only_its_own_sessions_and_the_same_way(conn):
    cfg, now = config.load(), _ts("2026-03-01T00:00:00+00:00")
    everything = sessions.list_sessions(conn, cfg, now=now)
    shop = sessions.list_sessions(conn, cfg, sessions.Filters(cwd="/home/dev/shop"), now=now)
    assert shop and shop == [s for s in everything if s.cwd == "/home/dev/shop"]
    assert sessions.list_sessions(conn, cfg, sessions.Filters(cwd="/home"), now=now) == [
        s for s in everything if s.cwd and s.cwd.startswith("/home/")
    ]


def test_a_prefix_finds_a_session_and_an_ambiguous_one_says_which(cli, scanned):
    assert cli("show", CLAUDE_B[:5], "--json").json()["id"] == CLAUDE_B
    r = cli("show", "019c8a1", "--json")
    assert r.code == 1 and "matches 2 sessions" in r.err and CODEX_SESSION in r.err


def test_set_project_moves_a_session_and_survives_a_rescan(cli, scanned):
    cli("set-project", CODEX_SESSION, "billing")
    cli("scan", env=ENV)
    assert cli("show", CODEX_SESSION, "--json").json()["project"] == "billing"
    assert cli("set-project", CODEX_SESSION, "  ").code == 1


def test_context_fill_uses_the_window_the_log_reports_unless_the_config_overrides(conn, tmp_path, monkeypatch):
    s = sessions.get_session(conn, config.load(), CODEX_SESSION)
    assert s.context.limit == 258400  # model_context_window in the rollout
    assert s.context.percent == round(100 * s.context.used / 258400, 1)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"token_limits:\n  {s.model}: 100000\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(cfg))
    assert sessions.get_session(conn, config.load(), CODEX_SESSION).context.limit == 100000


def test_health_follows_the_configured_weights_and_thresholds(conn, tmp_path, monkeypatch):
    s = sessions.get_session(conn, config.load(), CLAUDE_B, now=_ts("2025-08-15T12:00:00+00:00"))
    c = s.health.components
    expected = 0.4 * c["token_usage"] + 0.2 * c["duration"] + 0.2 * c["activity"] + 0.2 * c["errors"]
    assert s.health.score == pytest.approx(expected, abs=0.1)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("health_weights: {token_usage: 0, duration: 0, activity: 0, errors: 1}\n"
                   "health_thresholds: {healthy: 99, warning: 98}\n")
    monkeypatch.setenv("LLM_SESSION_CONFIG", str(cfg))
    only_errors = sessions.get_session(conn, config.load(), CLAUDE_B, now=_ts("2025-08-15T12:00:00+00:00"))
    assert only_errors.health.score == only_errors.health.components["errors"]
    assert only_errors.health.status == ("healthy" if only_errors.health.score >= 99 else
                                         "warning" if only_errors.health.score >= 98 else "critical")


def test_recommendations_name_full_long_idle_and_duplicate_sessions(conn):
    cfg = config.load()
    base = sessions.get_session(conn, cfg, CLAUDE_B)

    def variant(**changes) -> Session:
        fields = {f: getattr(base, f) for f in Session.__struct_fields__}
        fields.update(changes)
        return Session(**fields)

    now = _ts(base.last_activity)
    full = variant(id="full", context=type(base.context)(used=180_000, limit=200_000, percent=90.0))
    long = variant(id="long", started_at="2025-08-15T01:00:00Z", working_since="2025-08-15T04:50:00Z")
    idle = variant(id="idle", last_activity=sessions.iso(now - 45 * 60))
    recs = recommend.for_sessions([full, long, idle], cfg, now=now)
    rules = {(r.session_id, r.rule) for r in recs}
    assert ("full", "context") in rules
    assert ("long", "duration") in rules
    assert ("idle", "idle") in rules
    assert any(r.rule == "consolidate" and "3 sessions" in r.message for r in recs)
    assert recs[0].severity == "critical"
    # A week-old session is history, not a problem, unless asked about by id.
    old = variant(id="old", last_activity=sessions.iso(now - 7 * 86400))
    assert recommend.for_sessions([old], cfg, now=now) == []
    assert recommend.for_sessions([old], cfg, now=now, only_recent=False)


def test_export_formats_carry_the_same_numbers(conn):
    cfg = config.load()
    data = json.loads(export.render(conn, cfg, CLAUDE_B, "json"))
    assert data["session"]["id"] == CLAUDE_B
    assert data == yaml.safe_load(export.render(conn, cfg, CLAUDE_B, "yaml")) | {"exported_at": data["exported_at"]}
    by_model = sum(m["input_tokens"] + m["output_tokens"] + m["cache_creation_tokens"] + m["cache_read_tokens"]
                   for m in data["usage_by_model"])
    assert by_model == data["session"]["tokens"]["total"]
    rows = list(csv.DictReader(io.StringIO(export.render(conn, cfg, CLAUDE_B, "csv"))))
    assert sum(int(r["total_tokens"]) for r in rows) == data["session"]["tokens"]["total"]
    assert {f["path"] for f in data["files"]} >= {
        "/home/dev/shop/src/cart/coupon.ts", "/home/dev/shop/notebooks/coupons.ipynb"}


def test_markdown_export_reads_like_a_report(cli, scanned, tmp_path):
    out = tmp_path / "report.md"
    r = cli("export", CLAUDE_B[:8], "--format", "markdown", "-o", str(out))
    assert r.code == 0, r.err
    text = out.read_text()
    for heading in ("## Health", "## Tokens (exact)", "## Files touched", "## Recommendations"):
        assert heading in text
    assert "**Context:**" in text and "/ 200,000 tokens" in text
    assert "(file gone)" in text  # the fixture's files are not on this machine


def test_export_to_an_unwritable_place_is_one_line(cli, scanned, tmp_path):
    r = cli("export", CLAUDE_B, "-o", str(tmp_path / "no" / "such" / "dir" / "x.md"))
    assert r.code == 1 and r.err.startswith("error: cannot write")


def test_file_token_costs_are_counted_when_the_file_exists(conn, tmp_path):
    real = tmp_path / "notes.md"
    real.write_text("hello world " * 100)
    with conn:
        conn.execute("INSERT INTO file_refs VALUES ('k1', ?, 0, ?, 'read')", (CLAUDE_B, str(real)))
    files = {f.path: f for f in export.build_report(conn, config.load(), CLAUDE_B).files}
    assert files[str(real)].tokens and files[str(real)].tokens > 100
    assert files[str(real)].token_source == "estimated"  # a Claude model without an API key


def test_count_tokens_reads_a_file_or_stdin(cli, tmp_path):
    f = tmp_path / "CLAUDE.md"
    f.write_text("# Rules\nAlways run the tests before committing.\n")
    by_file = cli("count-tokens", str(f), "--model", "gpt-4o", "--json").json()
    by_stdin = cli("count-tokens", "-", "--model", "gpt-4o", "--json", input=f.read_text()).json()
    assert by_file == by_stdin and by_file["source"] == "exact" and by_file["tokens"] > 5
    assert cli("count-tokens", str(tmp_path / "missing.md")).code == 1


def test_pricing_update_reprices_stored_responses(cli, scanned, tmp_path):
    before = cli("usage", "--json").json()["totals"]
    table = json.loads(Path(FIXTURES.parent.parent / "server/llm_session_manager/data/pricing.json").read_text())
    doubled = {
        name: {k: (v * 2 if isinstance(v, float) and k.endswith(("_per_token", "_cost")) else v)
               for k, v in entry.items()}
        for name, entry in table.items() if not name.startswith("_")
    }
    f = tmp_path / "prices.json"
    f.write_text(json.dumps(doubled))
    r = cli("pricing", "update", "--file", str(f), "--json")
    assert r.code == 0, r.err
    assert r.json()["repriced"] > 0
    after = cli("usage", "--json").json()["totals"]
    assert after["total_tokens"] == before["total_tokens"]
    assert after["cost_usd"] == pytest.approx(2 * before["cost_usd"], rel=1e-3)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = cli("pricing", "update", "--file", str(bad))
    assert r.code == 1 and r.err.count("\n") == 1


def test_the_demo_runs_in_its_own_sandbox(cli, tmp_path, sandbox_home):
    r = cli("demo", "--dir", str(tmp_path / "demo"), "--json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["scan"]["malformed"] == 0 and len(out["sessions"]) >= 10
    assert any(x["rule"] == "context" for x in out["recommendations"])
    assert any(x["rule"] == "idle" for x in out["recommendations"])
    assert any(x["rule"] == "consolidate" for x in out["recommendations"])
    assert {s["provider"] for s in out["sessions"]} == {"claude-code", "codex"}
    # The user's own store was not touched.
    assert cli("list", "--json").json() == []
    # Running it again replaces its own sandbox but refuses a directory it did not make.
    assert cli("demo", "--dir", str(tmp_path / "demo"), "--json").code == 0
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    r = cli("demo", "--dir", str(other))
    assert r.code == 1 and (other / "thesis.tex").read_text() == "precious"


def test_exports_never_carry_a_secret_from_the_conversation(conn):
    key = "sk-ant-api03-" + "Xy7" * 30 + "AA"
    with conn:
        conn.execute("UPDATE sessions SET title = ? WHERE id = ?", (f"use key {key} for the tests", CODEX_SESSION))
    for fmt in ("json", "yaml", "markdown"):
        text = export.render(conn, config.load(), CODEX_SESSION, fmt)
        assert key not in text and "[REDACTED:anthropic-api-key]" in text, fmt
    json.loads(export.render(conn, config.load(), CODEX_SESSION, "json"))  # still valid JSON


def test_list_sorts_and_limits_and_stays_the_same_json(cli, scanned):
    everything = cli("list", "--json").json()
    assert [s["last_activity"] for s in everything] == sorted((s["last_activity"] for s in everything), reverse=True)
    firsts = {  # what comes first: the latest start, the costliest, ..., the worst health
        "started_at": (lambda s: s["started_at"] or "", True),
        "cost": (lambda s: s["cost_usd"], True),
        "tokens": (lambda s: s["tokens"]["total"], True),
        "context": (lambda s: s["context"]["percent"], True),
        "health": (lambda s: s["health"]["score"], False),
    }
    for field, (key, larger_first) in firsts.items():
        ordered = cli("list", "--sort", field, "--json").json()
        assert ordered == sorted(everything, key=key, reverse=larger_first), field  # ties stay newest first
        backwards = cli("list", "--sort", field, "--reverse", "--json").json()
        assert backwards == sorted(everything, key=key, reverse=not larger_first), field
    assert len({s["health"]["score"] for s in everything}) > 1 and len({s["cost_usd"] for s in everything}) > 1
    top = cli("list", "--sort", "cost", "--limit", "2", "--json").json()
    assert top == cli("list", "--sort", "cost", "--json").json()[:2] and len(top) == 2
    assert cli("list", "--reverse", "--json").json() == everything[::-1]
    assert cli("list", "--limit", "0").code == 2
    assert cli("list", "--sort", "name").code == 2


@pytest.mark.parametrize("started_at", [
    1_755_000_000.9999996,  # a hair before the next second: never rounded up to it
    1_755_000_000.0005,
    -1.5,  # before 1970
    253_402_300_800.0,  # year 10000, which SQLite does not format
])
def test_start_and_last_activity_read_as_their_own_second(conn, started_at):
    conn.execute("INSERT INTO sessions (id, provider, started_at, last_activity) VALUES ('edge', 'codex', ?, ?)",
                  (started_at, started_at))
    [shown] = [s for s in sessions.list_sessions(conn, config.load()) if s.id == "edge"]
    assert shown.started_at == shown.last_activity == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_at))
