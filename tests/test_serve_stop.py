"""`llm-session serve` stops at once on Ctrl-C or SIGTERM, even while it watches
log directories (the file watcher waits in a thread that must be told to stop)."""

from __future__ import annotations

import signal

import pytest

# From the signal to the exit. About 0.1 s on an idle machine; the bound leaves room
# for a 2-core CI runner busy with two test workers, and still catches the
# watcher's uninterrupted wait, which used to cost 4 s.
STOP_WITHIN_S = 1.5


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_watching_log_directories_stops_within_moments(fixture_logs, start_serve, sig):
    start_serve(scan_interval=600)
    start_serve.wait_for_scan(after=0)  # the first scan ran: the logs' directories are watched
    assert start_serve.stop(sig) < STOP_WITHIN_S
