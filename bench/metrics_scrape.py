"""``GET /metrics`` on ``serve`` over a store of a year of heavy use (bench/scale.py's store).

A scrape reads the store's rollups (usage per quarter hour, provider and
model; sessions; the live sessions' sums), never every response. This starts
a real ``serve`` on a free loopback port over the store ``bench/analytics.py``
writes (20,000 sessions, a million responses, no logs), scrapes it ``--runs``
times after one untimed scrape with the store unchanged between scrapes, and
as many with another connection committing before each (as a scan storing a
turn does: the sums are read again), and reports the wall time of each scrape
as a client sees it and the store read's own time (``llm_session_snapshot_seconds``).

Run with ``.venv/bin/python bench/metrics_scrape.py [--runs 20] [--sessions 20000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import apsw
from analytics import generate
from scale import sandbox

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results-metrics.json"


def scrape(url: str) -> tuple[float, float]:
    """Wall seconds of one scrape, and the snapshot seconds it reports."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            text = r.read().decode()
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{url}: {e.code} {e.read().decode()}") from None
    wall = time.perf_counter() - started
    found = re.search(r"^llm_session_snapshot_seconds (\S+)$", text, re.M)
    assert found, "no llm_session_snapshot_seconds in the scrape"
    return wall, float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--per-session", type=int, default=50, help="responses per session")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llm-session-bench-metrics-") as tmp:
        data, home = Path(tmp) / "data", Path(tmp) / "home"
        home.mkdir()
        store = generate(data, sessions=args.sessions, per_session=args.per_session, days=365, now=time.time())
        print(f"{store['sessions']:,} sessions, {store['usage']:,} responses, {store['mb']} MB", flush=True)
        env = sandbox(home, data) | {"LLM_SESSION_CONFIG": str(home / "none.yaml")}
        (home / "none.yaml").write_text("session_discovery:\n  scan_interval: 3600\n")
        proc = subprocess.Popen([sys.executable, "-m", "llm_session_manager", "serve", "--verbose", "--port", "0",
                                 "--lsp-port", "0"], env=env, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            url = None
            for line in proc.stderr:  # the URL, then the end of serve's first scan (a write that scrapes would wait for)
                if found := re.search(r"MCP at (http://\S+):(\d+)/mcp", line):
                    url = f"{found.group(1)}:{found.group(2)}/metrics"
                if url and "scan done" in line:
                    break
            else:
                raise SystemExit("serve did not start")
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep serve's stderr from filling
            first = scrape(url)  # untimed: brings the store's sums up to date, as the first reader after a scan
            idle = [scrape(url) for _ in range(args.runs)]
            other = apsw.Connection(str(data / "sessions.db"))
            busy = []
            for n in range(args.runs):  # another process commits before each scrape, as a scan storing a turn does
                other.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('bench_tick', ?)", (n,))
                busy.append(scrape(url))
            other.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    load = os.getloadavg()[0]
    results = {}
    for name, runs in (("store unchanged since the last scrape", idle), ("a commit before each scrape", busy)):
        wall, snap = [r[0] for r in runs], [r[1] for r in runs]
        results[name] = {"scrape_wall_s": wall, "snapshot_s": snap, "median_wall_s": statistics.median(wall),
                         "median_snapshot_s": statistics.median(snap)}
        print(f"{name}: scrape wall median {statistics.median(wall) * 1000:.0f} ms, best {min(wall) * 1000:.0f} ms; "
              f"store read median {statistics.median(snap) * 1000:.0f} ms, best {min(snap) * 1000:.0f} ms")
    print(f"(first scrape {first[0]:.2f} s; load average {load:.1f} on {os.cpu_count()} CPUs)")
    RESULTS.write_text(json.dumps({
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": load},
        "store": store, "first_s": first[0], "results": results,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
