"""``list --json`` answers from each stopped session's kept part, and prints what a
fresh build of every session prints: byte for byte, after every change that can
touch a session's JSON (new lines in its log, a tag, a project, a summary, a
deleted log, a pin, another config), with filters and limits, and for sessions still
going, which are built afresh each time."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from test_blocks import Response, write_session

from llm_session_manager.core import config as config_file
from llm_session_manager.services import kept_file, session_listing, sessions
from llm_session_manager.store import connect

LONG_AGO = "2025-08-12T12:00:00Z"
FIRST = "c1000000-0000-4000-8000-000000000000"


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _built(filters: sessions.Filters = sessions.Filters(), limit: int | None = None, now: float | None = None) -> bytes:
    """What ``list --json`` printed before any part was kept: every session built now."""
    conn = connect()
    try:
        found = sessions.list_sessions(conn, config_file.load(), filters, limit=limit, now=now)
        return msgspec.json.format(msgspec.json.encode(found), indent=2) + b"\n"
    finally:
        conn.close()


def _kept() -> set[str]:
    conn = connect()
    try:
        return {sid for (sid,) in conn.execute("SELECT session_id FROM session_json")}
    finally:
        conn.close()


def _listed(cli, *args: str) -> bytes:
    r = cli("list", "--json", *args)
    assert r.code == 0, r.err
    return r.out.encode()


@pytest.mark.slow
def test_a_listing_from_kept_parts_is_the_fresh_one_after_every_change(cli, fixture_logs, use_config, tmp_path):
    use_config("")
    first = write_session(fixture_logs.claude, FIRST, [Response(LONG_AGO, 10, 20)])

    def same(*args: str) -> set[str]:
        listed = _listed(cli, *args)
        assert listed == _built(), "the listing that kept the parts"
        assert _listed(cli, "--no-scan") == listed, "the listing read from them"
        return _kept()

    kept = same()
    assert FIRST in kept and len(kept) == len(json.loads(_listed(cli, "--no-scan")))  # every session is months old
    write_session(fixture_logs.claude, FIRST, [Response(LONG_AGO, 10, 20), Response("2025-08-12T13:00:00Z", 5, 7)])
    same()
    assert cli("tag", FIRST, "billing").code == 0
    same("--no-scan")
    assert cli("record", FIRST).code == 0
    same("--no-scan")
    assert cli("set-project", FIRST, "ledger").code == 0
    listed = json.loads(_listed(cli, "--no-scan"))
    assert [s["project"] for s in listed if s["id"] == FIRST] == ["ledger"]
    same("--no-scan")
    with first.open("a") as f:  # Claude Code's summary of the conversation: its title from now on
        f.write(json.dumps({"type": "summary", "summary": "Billing export refactor",
                            "leafUuid": f"{FIRST[:8]}-a001"}) + "\n")
    same()
    assert [s["title"] for s in json.loads(_listed(cli, "--no-scan")) if s["id"] == FIRST] == \
           ["Billing export refactor"]
    first.unlink()  # Claude Code's clean-up: what the store read stays, and says its log is gone
    same()
    assert [s.get("log_gone") for s in json.loads(_listed(cli, "--no-scan")) if s["id"] == FIRST] == [True]
    use_config("health_weights:\n  token_usage: 1\n  duration: 0\n  activity: 0\n  errors: 0\n")
    same("--no-scan")


@pytest.mark.slow
def test_filters_and_limits_give_the_fresh_listings_sessions(cli, store):
    assert _listed(cli, "--no-scan") == _built()
    for args, filters, limit in [
        (["--provider", "codex"], sessions.Filters(provider="codex"), None),
        (["--provider", "claude-code", "--limit", "2"], sessions.Filters(provider="claude-code"), 2),
        (["--limit", "1"], sessions.Filters(), 1),
        (["--since", "2025-01-01"], sessions.Filters(since=datetime(2025, 1, 1, tzinfo=UTC).timestamp()), None),
    ]:
        assert _listed(cli, "--no-scan", *args) == _built(filters, limit), args


def test_a_session_still_going_is_built_each_time_and_kept_once_it_has_stopped(fixture_logs, use_config):
    use_config("")
    now = time.time()
    write_session(fixture_logs.claude, FIRST, [Response(_utc(now - 120), 10, 20)])
    from llm_session_manager import ingest

    conn = connect()
    try:
        config = config_file.load()
        ingest.scan(conn, config)
        listed = session_listing.listing(conn, config, now=now)
        assert listed.document + b"\n" == _built(now=now)
        going = next(s for s in json.loads(listed.document) if s["id"] == FIRST)
        assert going["health"]["components"]["activity"] == 100.0
        assert FIRST not in _kept()  # its health still moves with the clock
        later = now + 5 * 3600  # idle past the point its activity is 0: stopped
        listed = session_listing.listing(conn, config, now=later)
        assert listed.document + b"\n" == _built(now=later)
        assert FIRST in _kept()
        stopped = next(s for s in json.loads(listed.document) if s["id"] == FIRST)
        assert stopped["health"]["components"]["activity"] == 0.0
    finally:
        conn.close()


SECOND = "c2000000-0000-4000-8000-000000000000"


def test_the_kept_block_file_is_read_only_while_it_holds_what_the_store_would_give(fixture_logs, use_config):
    """The stopped sessions' parts, kept as one file beside the store, are used while the
    store's parts and the moment sessions count as stopped are what the file was made
    from; a file made from others, or damaged, is made again."""
    use_config("")
    now = time.time()
    write_session(fixture_logs.claude, FIRST, [Response(_utc(now - 10 * 3600), 10, 20)])
    write_session(fixture_logs.claude, SECOND, [Response(_utc(now - 20 * 3600), 30, 40)])
    from llm_session_manager import ingest

    conn = connect()
    try:
        config = config_file.load()
        ingest.scan(conn, config)
        for _ in range(2):  # the first keeps the parts, the second the block made of them
            assert session_listing.listing(conn, config, now=now).document + b"\n" == _built(now=now)
        block_file = Path(conn.filename).with_name(session_listing.BLOCK_FILE)
        assert block_file.stat().st_mode & 0o777 == 0o600
        listed = session_listing.listing(conn, config, now=now)
        assert any(isinstance(p, kept_file.Block) for p in listed.pieces), "read from the file"
        assert listed.document + b"\n" == _built(now=now)
        # Seen from just after FIRST's last response (as when an assistant starts and
        # could be running it), FIRST is going again: built afresh, and not in the block.
        earlier = now - 10 * 3600 + 60
        assert session_listing.listing(conn, config, now=earlier).document + b"\n" == _built(now=earlier)
        block_file.write_bytes(b'[1, null, 0, []]\n[\n]')
        assert session_listing.listing(conn, config, now=now).document + b"\n" == _built(now=now)
        block_file.write_bytes(b"not a header")
        assert session_listing.listing(conn, config, now=now).document + b"\n" == _built(now=now)
    finally:
        conn.close()
