"""Recommendations that look across sessions: two sessions doing the same work are told to
merge (with the evidence), a session asking what another already found is pointed at the
memory, and a session idle for long is told to archive."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The Codex fixtures hold two sessions of project acme-api that both set out to "Add rate
# limiting to the /login endpoint" and both wrote src/auth/ratelimit.py, and two Claude Code
# sessions in /home/dev/shop on different parts of the cart (tests/fixtures/*/README.md).
ACME_A, ACME_B = "019c8a10", "019c8a1a"
SHOP_A, SHOP_B = "6f1c2a3b", "9e8d7c6b"


def write_claude_session(claude: Path, cwd: str, prompt: str, when: datetime) -> str:
    """A Claude Code transcript as it writes one: a prompt and an answer with its usage
    (the shape of tests/fixtures/claude-code/projects/-home-dev-shop/6f1c2a3b-....jsonl)."""
    sid = str(uuid.uuid4())
    stamp = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    base = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": sid,
            "version": "1.0.83", "gitBranch": "main", "timestamp": stamp}
    user = {**base, "type": "user", "uuid": str(uuid.uuid4()), "message": {"role": "user", "content": prompt}}
    answer = {**base, "type": "assistant", "uuid": str(uuid.uuid4()), "parentUuid": user["uuid"],
              "requestId": f"req_{sid[:8]}",
              "message": {"id": f"msg_{sid[:8]}", "type": "message", "role": "assistant",
                          "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "Looking."}],
                          "stop_reason": "end_turn", "stop_sequence": None,
                          "usage": {"input_tokens": 5, "cache_creation_input_tokens": 200,
                                    "cache_read_input_tokens": 0, "output_tokens": 4, "service_tier": "standard"}}}
    folder = claude / "projects" / cwd.replace("/", "-")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sid}.jsonl").write_text(json.dumps(user) + "\n" + json.dumps(answer) + "\n")
    return sid


def test_sessions_on_the_same_work_are_told_to_merge_with_the_evidence(cli, store):
    r = cli("recommend", ACME_A, ACME_B, SHOP_A, SHOP_B, "--json")
    assert r.code == 0, r.err
    recs = r.json()
    [merge] = [x for x in recs if x["rule"] == "merge"]
    assert [s[:8] for s in merge["sessions"]] == [ACME_A, ACME_B]
    assert merge["shared_files"] == ["/home/dev/acme-api/src/auth/ratelimit.py"]
    assert merge["project"] == "acme-api" and merge["similarity"] >= 0.75
    assert "ratelimit.py" in merge["message"] and f"{merge['similarity']:.2f} alike" in merge["message"]
    # The shop sessions share a directory but not their work: the plain consolidate advice, not merge.
    [consolidate] = [x for x in recs if x["rule"] == "consolidate"]
    assert sorted(s[:8] for s in consolidate["sessions"]) == [SHOP_A, SHOP_B]
    # Idle for months: archive, not the plain idle advice.
    assert {x["session_id"][:8] for x in recs if x["rule"] == "archive"} == {ACME_A, ACME_B, SHOP_A, SHOP_B}
    assert not [x for x in recs if x["rule"] == "idle"]
    assert cli("tag", SHOP_A, "archived").code == 0
    recs = cli("recommend", SHOP_A, "--json").json()
    assert not [x for x in recs if x["rule"] in ("archive", "idle")]


def test_the_archive_threshold_is_the_users(cli, store, use_config):
    use_config("recommendations:\n  archive_after_days: 100000\n")
    recs = cli("recommend", SHOP_B, "--json").json()
    assert [x["rule"] for x in recs] == ["idle"]


def test_a_session_asking_what_another_already_found_is_pointed_at_the_memory(cli, store, fixture_logs):
    assert cli("memorize", ACME_A).code == 0
    now = datetime.now(UTC) - timedelta(minutes=2)
    asking = write_claude_session(fixture_logs.claude, "/home/dev/acme-api",
                                  "We need rate limiting on the /login endpoint: how many attempts per minute per IP?",
                                  now)
    unrelated = write_claude_session(fixture_logs.claude, "/home/dev/blog",
                                     "Make the blog's dark theme use a warmer background colour", now)
    r = cli("recommend", "--json")
    assert r.code == 0, r.err
    repeats = [x for x in r.json() if x["rule"] == "repeat"]
    assert [x["session_id"] for x in repeats] == [asking]
    [repeat] = repeats
    best = repeat["memories"][0]
    assert best["session_id"].startswith(ACME_A) and "5 attempts per minute per IP" in best["text"]
    assert repeat["similarity"] == best["similarity"] >= 0.6
    assert f"--import-to {asking[:8]}" in repeat["action"]
    assert unrelated not in {x["session_id"] for x in r.json()}


def test_an_export_keeps_the_advice_of_the_session_alone(cli, store):
    """Exports (and their snapshots) hold what the session's own numbers say: idle, not archive."""
    out = json.loads(cli("export", ACME_A, "--format", "json").out)
    assert [x["rule"] for x in out["recommendations"]] == ["idle"]
