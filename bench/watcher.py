"""``llm-session serve`` as a background daemon: how soon a new log line is queryable,
and what the daemon costs while nothing happens.

1. **latency**: ``serve`` runs over a corpus of Claude Code logs with its periodic scan
   set to ten minutes, so only the file watcher can bring a new line in. 30 times, an
   assistant line (a new response, as Claude Code writes it) is appended to one of the
   logs; the clock runs from the write until a separate read-only SQLite connection sees
   the response in ``usage``. Target: every one < 1 s. The peer in the same run is what
   a user would otherwise do: ``llm-session scan`` from the shell, spawn to exit.
2. **idle**: the daemon left alone for 20 s after its last scan; CPU time over the
   window as a share of one core (< 1 %) and resident memory (< 80 MB). Memory is
   also reported after an MCP client and an editor have connected, which loads their
   protocol stacks.

Everything runs in a sandbox: temporary HOME, XDG dirs, ``LLM_SESSION_DATA_DIR``,
``CLAUDE_CONFIG_DIR`` (``demo_logs.write_corpus``), an empty ``CODEX_HOME``.

Run with ``.venv/bin/python bench/watcher.py``. A missed target is reported, not an
error: the exit code is non-zero only when this script itself breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from llm_session_manager import demo_logs

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results-watcher.json"
LATENCY_LIMIT_S = 1.0
IDLE_CPU_LIMIT_PCT = 1.0
IDLE_RSS_LIMIT_MB = 80.0
CLI = [sys.executable, "-m", "llm_session_manager"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="Claude Code logs in the corpus")
    parser.add_argument("--appends", type=int, default=30)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="llm-session-bench-watcher-") as tmp:
        env = _sandbox(Path(tmp))
        claude = Path(env["CLAUDE_CONFIG_DIR"])
        demo_logs.write_corpus(claude, args.files * 8_000, args.files, 7)
        subprocess.run([*CLI, "scan"], env=env, check=True, capture_output=True)
        logs = sorted(claude.rglob("*.jsonl"))
        db = Path(env["LLM_SESSION_DATA_DIR"]) / "sessions.db"

        proc, mcp_url, lsp_port = _start_serve(env)
        try:
            time.sleep(1.0)  # its first scan, with nothing new
            latencies = [_append_and_wait(logs[i * 7 % len(logs)], db, i) for i in range(args.appends)]
            cli_scans = [_timed_cli_scan(env) for _ in range(5)]
            time.sleep(2.0)
            idle_cpu, idle_rss = _idle(proc.pid, args.idle_seconds)
            _connect_clients(mcp_url, lsp_port)
            connected_rss = psutil.Process(proc.pid).memory_info().rss / 1e6
        finally:
            proc.send_signal(2)
            proc.wait(timeout=20)

    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "corpus_files": args.files,
        "latency_s": {"p50": statistics.median(latencies), "max": max(latencies),
                      "all_under_limit": max(latencies) < LATENCY_LIMIT_S},
        "peer_cli_scan_s": statistics.median(cli_scans),
        "idle": {"cpu_pct": idle_cpu, "rss_mb": idle_rss, "rss_mb_after_clients": connected_rss},
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    lat = report["latency_s"]
    print(f"append -> queryable: p50 {lat['p50'] * 1000:.0f} ms, max {lat['max'] * 1000:.0f} ms "
          f"(target < {LATENCY_LIMIT_S * 1000:.0f} ms: {'PASS' if lat['all_under_limit'] else 'MISS'}); "
          f"max/target {lat['max'] / LATENCY_LIMIT_S:.2f}x")
    print(f"peer: `llm-session scan` by hand takes {report['peer_cli_scan_s'] * 1000:.0f} ms; "
          f"the watcher's p50 is {lat['p50'] / report['peer_cli_scan_s']:.2f}x that")
    print(f"idle {args.idle_seconds:.0f} s: CPU {idle_cpu:.2f}% of a core "
          f"(target < {IDLE_CPU_LIMIT_PCT}%: {'PASS' if idle_cpu < IDLE_CPU_LIMIT_PCT else 'MISS'}), "
          f"RSS {idle_rss:.0f} MB (target < {IDLE_RSS_LIMIT_MB:.0f} MB: "
          f"{'PASS' if idle_rss < IDLE_RSS_LIMIT_MB else 'MISS'}); "
          f"{connected_rss:.0f} MB once an MCP client and an editor have connected")
    print(f"results in {RESULTS}")
    return 0


def _sandbox(root: Path) -> dict[str, str]:
    home = root / "home"
    config = root / "config.yaml"
    config.write_text("session_discovery:\n  scan_interval: 600\n")
    env = {
        "PATH": os.environ.get("PATH", ""), "LANG": os.environ.get("LANG", "C.UTF-8"), "TZ": "UTC",
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"), "LLM_SESSION_DATA_DIR": str(root / "data"),
        "LLM_SESSION_CONFIG": str(config), "CLAUDE_CONFIG_DIR": str(root / "claude"),
        "CODEX_HOME": str(root / "codex"),
        **{k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ},  # to bench another checkout
    }
    home.mkdir(parents=True)
    return env


def _start_serve(env: dict[str, str]) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([*CLI, "serve", "--port", "0", "--lsp-port", "0"], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    mcp = lsp = None
    while mcp is None or lsp is None:
        line = proc.stderr.readline()
        if not line:
            raise SystemExit("serve did not start")
        if m := re.search(r"MCP at (http://\S+/mcp)", line):
            mcp = m.group(1)
        if m := re.search(r"LSP at tcp://[^:]+:(\d+)", line):
            lsp = int(m.group(1))
    return proc, mcp, lsp


def _append_and_wait(log: Path, db: Path, n: int) -> float:
    """Append a new response to ``log``; seconds until the store holds it."""
    with log.open() as f:
        first = next(r for r in map(json.loads, f) if r.get("sessionId"))
    key = f"msg_bench{n:04d}:req_bench{n:04d}"
    line = {
        "parentUuid": None, "isSidechain": False, "userType": "external", "cwd": first.get("cwd", "/tmp"),
        "sessionId": first.get("sessionId"), "version": "2.0.14", "gitBranch": "main",
        "message": {"id": f"msg_bench{n:04d}", "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "Done."}],
                    "stop_reason": "end_turn", "stop_sequence": None,
                    "usage": {"input_tokens": 12, "cache_creation_input_tokens": 300, "cache_read_input_tokens": 9000,
                              "output_tokens": 40, "service_tier": "standard"}},
        "requestId": f"req_bench{n:04d}", "type": "assistant", "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    }
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        started = time.perf_counter()
        with log.open("a") as f:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
        while conn.execute("SELECT 1 FROM usage WHERE dedup_key = ?", (key,)).fetchone() is None:
            if time.perf_counter() - started > 30:
                raise SystemExit(f"the appended line was not ingested within 30 s ({key})")
            time.sleep(0.002)
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    time.sleep(0.3)  # let the watcher settle between appends, as a human pace would
    return elapsed


def _timed_cli_scan(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "scan"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _idle(pid: int, seconds: float) -> tuple[float, float]:
    p = psutil.Process(pid)
    before = p.cpu_times()
    time.sleep(seconds)
    after = p.cpu_times()
    cpu = (after.user + after.system - before.user - before.system) / seconds * 100
    return cpu, p.memory_info().rss / 1e6


def _connect_clients(mcp_url: str, lsp_port: int) -> None:
    """One MCP initialize over HTTP and one LSP initialize over TCP."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}).encode()
    request = urllib.request.Request(mcp_url, data=body, headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    with socket.create_connection(("127.0.0.1", lsp_port), timeout=30) as s:
        msg = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                          "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
        s.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(msg), msg))
        data = b""
        while b'"id":1' not in data and b'"id": 1' not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk


if __name__ == "__main__":
    sys.exit(main())
