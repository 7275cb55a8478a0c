"""``usage --by session --json`` over all time is written from a file kept beside the
store while the sums it was made from are unchanged, and prints what a fresh report
prints: byte for byte, after a new response, with an unpriced model, and from a kept
file that is damaged or was made by another version of the program."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
from test_blocks import Response, write_session

from llm_session_manager.services import usage, usage_kept
from llm_session_manager.store import connect

SESSION = "d1000000-0000-4000-8000-000000000000"
OTHER = "d2000000-0000-4000-8000-000000000000"


def _fresh() -> bytes:
    """What the report prints made afresh from the store's sums."""
    conn = connect()
    try:
        return msgspec.json.format(msgspec.json.encode(usage.report(conn, "session")), indent=2) + b"\n"
    finally:
        conn.close()


def _kept_file() -> Path:
    return Path(os.environ["LLM_SESSION_DATA_DIR"]) / usage_kept.FILE


def _by_session(cli, *args: str) -> bytes:
    r = cli("usage", "--by", "session", "--json", *args)
    assert r.code == 0, r.err
    return r.out.encode()


def test_usage_by_session_is_the_fresh_report_from_the_kept_file_and_after_every_change(cli, fixture_logs):
    write_session(fixture_logs.claude, SESSION, [Response("2025-08-12T12:00:00Z", 10, 20)])
    assert _by_session(cli) == _fresh()
    made = _kept_file().stat()
    assert made.st_mode & 0o777 == 0o600
    assert _by_session(cli, "--no-scan") == _fresh()
    assert _kept_file().stat().st_mtime_ns == made.st_mtime_ns, "written from the file, not made again"

    write_session(fixture_logs.claude, SESSION, [Response("2025-08-12T12:00:00Z", 10, 20),
                                                 Response("2025-08-12T13:00:00Z", 5, 7)])
    listed = _by_session(cli)
    assert listed == _fresh()
    row = next(r for r in msgspec.json.decode(listed)["rows"] if r["key"] == SESSION)
    assert row["input_tokens"] == 15

    write_session(fixture_logs.claude, OTHER, [Response("2025-08-13T09:00:00Z", 3, 4, model="claude-imaginary-9")])
    r = cli("usage", "--by", "session", "--json")
    assert r.code == 0 and r.out.encode() == _fresh()
    assert "claude-imaginary-9" in r.err, "the unpriced model is named, from the file as when made"
    r = cli("usage", "--by", "session", "--json", "--no-scan")
    assert r.out.encode() == _fresh() and "claude-imaginary-9" in r.err

    header, _, body = _kept_file().read_bytes().partition(b"\n")
    made_by = msgspec.json.decode(header)
    made_by[1] = "0.0.1/1"  # another program's report: its shape may differ
    _kept_file().write_bytes(msgspec.json.encode(made_by) + b"\n" + body.replace(b"input_tokens", b"inptu_tokens"))
    assert _by_session(cli, "--no-scan") == _fresh()
    _kept_file().write_bytes(b"not a header")
    assert _by_session(cli, "--no-scan") == _fresh()
