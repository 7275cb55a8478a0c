"""`llm-session mcp` answers `initialize` about as fast as the smallest server on the same SDK.

Clients spawn the server for every session and some time out on a slow start,
so nothing but the SDK is imported before `initialize` is answered; services
load on the first call. Measured as a client sees it: spawn until the
`initialize` response, 15 runs of each interleaved, medians compared.

Run by hand or by `make bench`: `python bench/mcp_startup.py`. A timing is a
benchmark, not a test; it prints the ratio and exits 0 unless something crashed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 15
ALLOWED = 1.10
MINIMAL = [sys.executable, str(Path(__file__).with_name("mcp_minimal_server.py"))]
OURS = [str(Path(sys.executable).with_name("llm-session")), "mcp"]
INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "timer", "version": "0"}}}) + "\n"


def _time_to_initialize(command: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=os.environ)
    proc.stdin.write(INITIALIZE)
    proc.stdin.flush()
    reply = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    proc.wait(timeout=30)
    if json.loads(reply)["result"]["protocolVersion"] != "2025-06-18":
        raise RuntimeError(f"unexpected initialize reply: {reply[:200]}")
    return elapsed


def _medians() -> tuple[float, float]:
    minimal, ours = [], []
    for _ in range(RUNS):
        minimal.append(_time_to_initialize(MINIMAL))
        ours.append(_time_to_initialize(OURS))
    return statistics.median(minimal), statistics.median(ours)


def main() -> int:
    minimal, ours = _medians()
    ratio = ours / minimal
    verdict = "PASS" if ratio <= ALLOWED else "FAIL"
    print(f"initialize: minimal {minimal:.3f} s, llm-session mcp {ours:.3f} s, "
          f"ratio {ratio:.2f} (target <= {ALLOWED}) {verdict}")
    Path(__file__).with_name("results-mcp-startup.json").write_text(json.dumps(
        {"runs": RUNS, "minimal_median_s": minimal, "ours_median_s": ours, "ratio": ratio, "target": ALLOWED}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
