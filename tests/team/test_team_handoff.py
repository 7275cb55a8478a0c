"""A session handed from one member to another: the receiver's ``take`` writes a
transcript Claude Code resumes, in their checkout, and a resume pack; nobody else
may take it; its history shows both (docs/team.md#handoff)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import apsw
import pytest
from team_fixtures import database_url, enroll, postgres, team_server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.slow

SESSION = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # Claude Code, project "shop", in /home/dev/shop


def _conversation(data_dir: Path) -> list[tuple[str, str, str, str]]:
    with apsw.Connection(str(data_dir / "sessions.db")) as store:
        return [tuple(r) for r in store.execute(
            "SELECT key, role, kind, text FROM messages WHERE session_id = ? AND kind IN ('prompt', 'text') "
            "ORDER BY ts, key", (SESSION,))]


def test_a_handed_off_session_is_resumed_by_the_receiver_in_their_checkout(
        team_server, database_url, cli, fixture_logs, use_config, tmp_path) -> None:
    tokens = {name: enroll(database_url, name, "member", "pc")[0] for name in ("ann", "bob", "carl")}
    use_config("team:\n  push_messages: [shop]\n")
    assert cli("team", "join", team_server.url, "--token", tokens["ann"]).code == 0
    learned = cli("memorize", SESSION[:8], "--json").json()
    assert len(learned) >= 2
    shared, kept = learned[0], learned[1]
    assert cli("memory", "share", shared["id"], "--scope", "project").code == 0
    assert cli("memory", "share", kept["id"], "--scope", "personal").code == 0  # ann's own: not handed over
    handed = cli("handoff", SESSION[:8], "--to", "bob", "--note", "finish the coupon fix", "--json")
    assert handed.code == 0, handed.err
    assert handed.json()["sender"] == "ann" and handed.json()["receiver"] == "bob"

    checkout = tmp_path / "bob" / "src" / "shop.git"
    checkout.mkdir(parents=True)
    bob = {"LLM_SESSION_DATA_DIR": str(tmp_path / "bob" / "data"), "CLAUDE_CONFIG_DIR": str(tmp_path / "bob" / "claude"),
           "CODEX_HOME": str(tmp_path / "bob" / "codex")}
    assert cli("team", "join", team_server.url, "--token", tokens["bob"], env=bob).code == 0
    took = cli("take", SESSION, "--checkout", str(checkout), "--json", env=bob)
    assert took.code == 0, took.err
    pack = took.json()
    # Claude Code's directory for the checkout: every character but letters and digits made '-'.
    expected = tmp_path / "bob" / "claude" / "projects" / str(checkout).replace("/", "-").replace(".", "-").replace(
        "_", "-") / f"{SESSION}.jsonl"
    assert pack["transcript"] == str(expected) and expected.is_file()
    assert pack["resume"] == f"cd {checkout} && claude --resume {SESSION}"
    assert pack["note"] == "finish the coupon fix" and pack["sender"] == "ann"
    assert pack["files"] and all(f.startswith(str(checkout) + "/") for f in pack["files"]), pack["files"]
    assert pack["exchanges"][-1]["replies"]
    assert pack["memories"] == [shared["text"].replace("/home/dev/shop", str(checkout))]
    assert Path(pack["pack_markdown"]).read_text().startswith("# Resume pack")

    lines = [json.loads(line) for line in expected.read_text().splitlines()]
    assert {line["cwd"] for line in lines} == {str(checkout)} and {line["sessionId"] for line in lines} == {SESSION}
    assert [line["parentUuid"] for line in lines[1:]] == [line["uuid"] for line in lines[:-1]]

    # Our own Claude Code reader parses the transcript back into the same conversation.
    assert cli("scan", env=bob).code == 0
    ann_side = _conversation(Path(os.environ["LLM_SESSION_DATA_DIR"]))
    assert ann_side and _conversation(tmp_path / "bob" / "data") == ann_side
    listed = {s["id"]: s for s in cli("list", "--json", "--no-scan", env=bob).json()}
    assert listed[SESSION]["cwd"] == str(checkout)

    printed = cli("take", SESSION, "--checkout", str(checkout), "--print", env=bob)
    assert printed.code == 0 and printed.out.startswith("# Resume pack") and "finish the coupon fix" in printed.out
    again = cli("take", SESSION, "--checkout", str(checkout), env=bob)
    assert again.code == 1 and "--force" in again.err
    assert cli("take", SESSION, "--checkout", str(checkout), "--force", env=bob).code == 0

    # A session of a project that did not opt in: the pack, but no conversation and no transcript.
    other = "4f1c2a9e-6b3d-4e8a-9c71-2d5b8e0f3a64"  # Codex, project "tool"
    noted = cli("handoff", other, "--to", "bob")
    assert noted.code == 0 and "not in team.push_messages" in noted.err
    bare = cli("take", other, "--checkout", str(checkout), "--json", env=bob)
    assert bare.code == 0, bare.err
    assert bare.json()["transcript"] is None and bare.json()["exchanges"] == []
    assert Path(bare.json()["pack_json"]).is_file()

    carl = {"LLM_SESSION_DATA_DIR": str(tmp_path / "carl" / "data"), "CLAUDE_CONFIG_DIR": str(tmp_path / "carl")}
    assert cli("team", "join", team_server.url, "--token", tokens["carl"], env=carl).code == 0
    refused = cli("take", SESSION, "--checkout", str(checkout), env=carl)
    assert refused.code == 1 and "404" in refused.err  # not handed to carl: not his to see
    assert not (tmp_path / "carl" / "projects").exists()
    assert cli("team", "history", SESSION, env=carl).code == 1

    assert cli("team", "push", "--no-scan", env=bob).code == 0  # bob carries on: his device has it too
    history = cli("team", "history", SESSION, "--json", env=bob)
    assert history.code == 0, history.err
    found = history.json()
    assert sorted((d["user"], d["device"]) for d in found["devices"]) == [("ann", "pc"), ("bob", "pc")]
    ann = next(d for d in found["devices"] if d["user"] == "ann")
    assert ann["messages"] > 0 and ann["responses"] > 0
    [made] = found["handoffs"]
    assert (made["sender"], made["receiver"], made["note"]) == ("ann", "bob", "finish the coupon fix")
    assert made["taken_at"] is not None
