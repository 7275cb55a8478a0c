"""`llm-session serve` stops at once on Ctrl-C or SIGTERM, even while it watches
log directories (the file watcher waits in a thread that must be told to stop)."""

from __future__ import annotations

import signal

import pytest

# From the signal to the exit. About 0.1 s on an idle machine, which leaves room
# for a loaded 2-core CI runner; the watcher's uninterrupted wait used to cost 4 s.
STOP_WITHIN_S = 0.5


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_watching_log_directories_stops_within_half_a_second(fixture_logs, start_serve, sig):
    start_serve(scan_interval=600)
    start_serve.wait_for_scan(after=0)  # the first scan ran: the logs' directories are watched
    assert start_serve.stop(sig) < STOP_WITHIN_S
