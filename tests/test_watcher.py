"""`llm-session serve` ingests a log line within moments of it being written,
without waiting for its periodic scan (here set to ten minutes)."""

from __future__ import annotations

import time

from conftest import CODEX_RECENT, append_codex_turn
from notify_helpers import WebhookReceiver, claude_turn


def _tokens(cli, session_id: str) -> int:
    r = cli("show", session_id, "--json", "--no-scan")
    assert r.code == 0, r.err
    return r.json()["tokens"]["total"]


def _wait_for(predicate, seconds: float) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < seconds, f"not seen within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_line_appended_to_a_watched_log_is_ingested_without_a_periodic_scan(fixture_logs, store, cli, start_serve):
    start_serve(scan_interval=600)
    start_serve.wait_for_scan(after=0)  # the first scan, at start, has nothing new to read
    before = _tokens(cli, CODEX_RECENT)

    append_codex_turn(fixture_logs.recent, "2026-11-25T09:00:00.000Z", 3000, 150)
    _wait_for(lambda: _tokens(cli, CODEX_RECENT) == before + 3150, seconds=5)

    # A burst of lines is read too, each once.
    for n in range(5):
        append_codex_turn(fixture_logs.recent, f"2026-11-25T09:01:0{n}.000Z", 1000, 10)
    _wait_for(lambda: _tokens(cli, CODEX_RECENT) == before + 3150 + 5 * 1010, seconds=5)
    # One more line, read by a scan after every event of the burst: had any scan read
    # the burst twice, it would show by then.
    append_codex_turn(fixture_logs.recent, "2026-11-25T09:02:00.000Z", 1, 1)
    _wait_for(lambda: _tokens(cli, CODEX_RECENT) != before + 3150 + 5 * 1010, seconds=5)
    assert _tokens(cli, CODEX_RECENT) == before + 3150 + 5 * 1010 + 2


def test_a_log_directory_created_after_start_is_watched_from_the_next_periodic_scan(
    tmp_path, monkeypatch, cli, start_serve, fixture_logs
):
    # Codex has never run on this machine: its home does not exist yet.
    codex_home = tmp_path / "fresh-codex"
    monkeypatch.setenv("CODEX_HOME", str(codex_home))
    start_serve(scan_interval=1)
    start_serve.wait_for_scan(after=0)  # a scan that found no Codex directory
    day = codex_home / "sessions" / "2026" / "11" / "25"
    day.mkdir(parents=True)
    rollout = day / fixture_logs.recent.name
    rollout.write_bytes(fixture_logs.recent.read_bytes())
    _wait_for(lambda: cli("show", CODEX_RECENT, "--json", "--no-scan").code == 0, seconds=5)
    before = _tokens(cli, CODEX_RECENT)

    # The scan that read the rollout may have looked for directories just before the
    # new one appeared; the one after it surely watches it (and one is due every second).
    start_serve.wait_for_scan(after=start_serve.scans() + 1)
    append_codex_turn(rollout, "2026-11-25T09:00:00.000Z", 3000, 150)
    _wait_for(lambda: _tokens(cli, CODEX_RECENT) == before + 3150, seconds=3)


def test_serve_sends_the_notification_a_new_line_calls_for_once(fixture_logs, store, start_serve):
    slack = WebhookReceiver()
    try:
        start_serve(scan_interval=600, config_text=(
            "notifications:\n  rules:\n    health_warning: {enabled: false}\n"
            f"  channels:\n    slack: {{webhook_url: '{slack.url('/hook')}'}}\n"
        ))
        start_serve.wait_for_scan(after=0)  # the first scan and its notification round
        assert slack.requests == []  # nothing in the fixtures calls for an alert now

        claude_turn(fixture_logs.claude, time.time(), 1)  # session B's context reaches 90 %
        _wait_for(lambda: len(slack.requests) == 1, seconds=5)
        assert slack.requests[0].json["text"].startswith("*Context 90% full: shop*")

        scans = start_serve.scans()
        claude_turn(fixture_logs.claude, time.time(), 2, cache_read=179_000)  # fuller still: in cooldown
        start_serve.wait_for_scan(after=scans, storing=True)  # the scan that read it, and its notification round
        assert len(slack.requests) == 1
    finally:
        slack.close()
