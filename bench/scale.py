"""``list``, ``recommend`` and ``usage --by session|project`` at 20,000 sessions and a
million responses, against a 150 ms target.

The store is the one ``bench/analytics.py`` writes (a year of heavy use, straight
into SQLite, no logs), so each command's scan finds nothing new and the time is
the report's. Each command runs as a user runs it, a new process, ``--runs`` times
after one untimed run (which also brings the store's sums up to date, as the
first command after a scan does); the floors of ``bench/run.py`` (``python -c
pass``, and the imports every command pays) run in the same loop, so the numbers
can be read against what no Python command on this stack goes under.

Run with ``.venv/bin/python bench/scale.py [--runs 5] [--sessions 20000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analytics import generate

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results-scale.json"
TARGET_S = 0.150
COMMANDS = {
    "list --json": ["list", "--json"],
    "recommend --json": ["recommend", "--json"],
    "usage --by session --json": ["usage", "--by", "session", "--json"],
    "usage --by project --json": ["usage", "--by", "project", "--json"],
}
FLOORS = {
    "floor: python -c pass": ["-c", "pass"],
    "floor: python + argparse, pathlib, msgspec, apsw": ["-c", "import argparse, pathlib, msgspec, apsw"],
}


def ours() -> list[str]:
    script = Path(sys.executable).parent / "llm-session"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_session_manager"]


def sandbox(home: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "PYTHONPATH")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local/share"), LLM_SESSION_DATA_DIR=str(data), TZ="UTC",
               CLAUDE_CONFIG_DIR=str(home / "no-claude"), CODEX_HOME=str(home / "no-codex"))
    return env


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and output bytes of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, len(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--per-session", type=int, default=50, help="responses per session")
    args = parser.parse_args()
    os.environ["TZ"] = "UTC"
    time.tzset()
    with tempfile.TemporaryDirectory(prefix="llm-session-bench-scale-") as tmp:
        data, home = Path(tmp) / "data", Path(tmp) / "home"
        home.mkdir()
        print(f"generating {args.sessions:,} sessions x {args.per_session} responses ...", flush=True)
        started = time.perf_counter()
        store = generate(data, sessions=args.sessions, per_session=args.per_session, days=365, now=time.time())
        store["generate_s"] = round(time.perf_counter() - started, 1)
        print(f"  {store['sessions']:,} sessions, {store['usage']:,} responses, {store['messages']:,} messages, "
              f"{store['mb']} MB", flush=True)
        env = sandbox(home, data)
        cases = {name: [*ours(), *argv] for name, argv in COMMANDS.items()}
        cases.update({name: [sys.executable, *argv] for name, argv in FLOORS.items()})
        first = {name: timed(cmd, env)[0] for name, cmd in cases.items()}  # untimed: sums brought up to date
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so a busy moment hits every command alike
            for name, cmd in cases.items():
                runs[name].append(timed(cmd, env))
    load = os.getloadavg()[0]
    results = {}
    print(f"\n{'':50}{'median s':>10}{'best s':>8}{'cpu s':>8}{'vs 150 ms':>11}{'output':>10}")
    for name, measured in runs.items():
        wall = [m[0] for m in measured]
        cpu = [m[1] for m in measured]
        median = statistics.median(wall)
        ok = None if name in FLOORS else median < TARGET_S
        results[name] = {"runs": wall, "cpu": cpu, "median_s": median, "best_s": min(wall),
                         "median_cpu_s": statistics.median(cpu), "first_s": first[name],
                         "output_bytes": measured[-1][2], "target": None if ok is None else ("PASS" if ok else "FAIL")}
        print(f"{name:50}{median:>10.3f}{min(wall):>8.3f}{statistics.median(cpu):>8.3f}"
              f"{median / TARGET_S:>10.2f}x{measured[-1][2] / 1e6:>8.1f}MB")
    print()
    for name in COMMANDS:
        print(f"  {results[name]['target']:<6}{name} < {TARGET_S * 1000:.0f} ms (median wall time)")
    print(f"  (first run after the store was written, which sums usage per session: "
          f"{first['list --json']:.2f} s for list)")
    if load > 0.5 * (os.cpu_count() or 1):
        print(f"  (load average {load:.1f} on {os.cpu_count()} CPUs: wall times are inflated; "
              "'cpu s' is what each command itself used)")
    RESULTS.write_text(json.dumps({
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "load": load},
        "store": store,
        "target_s": TARGET_S,
        "results": results,
    }, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
