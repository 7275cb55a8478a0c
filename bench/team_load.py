"""The team server under load: many devices pushing at once, and the dashboard's API over a large team.

Two questions, each measured against a peer on the same machine in the same run:

1. **Push throughput.** ``--devices`` simulated devices (20) push ``--rows``
   responses in total (1,000,000) at once, each over its own HTTP connection to
   a real ``llm-session team serve`` on loopback, in the wire format of
   ``team push`` (``core/team_wire.py``: one ``PushBatch`` of ``--batch-size``
   rows per request, 500 as the client sends), each device's sessions with its
   batches. A tenth of each device's responses are also pushed by the next
   device (a synced ``~/.claude``), so the server dedups and notes the second
   sighting, as it does for real teams. The bodies are encoded before the clock
   starts: what is timed is the server. The peer ceiling is PostgreSQL's own
   ``COPY`` of the same rows into a table shaped like ``usage`` (its primary key
   and ts index, no dedup, no second sighting, no HTTP, one stream): no push can
   store rows faster than that.
2. **Dashboard API p95 at ``--dashboard-rows`` responses** (10,000,000):
   responses made in PostgreSQL itself (``generate_series``: over a year, 200
   devices of 50 users, 8 models), then ``GET /api/usage?by=day|model|device`` as
   an admin, ``--requests`` times each, p50/p95 of the wall time a client sees.
   The peer is ``SELECT count(*) FROM usage``: one pass over the rows, the least
   a report that reads every response could cost.

A throw-away PostgreSQL cluster (tests/team/team_fixtures.py's, ``initdb`` in a
temporary directory, fsync off as in the tests) serves both. Results go to
``bench/results-team-load.json``. The machine is what it is (2 shared cores
here): client, server and PostgreSQL share it, so the figures are a floor for a
real server, and the ratios to the peers say more than the absolute numbers.

Run with ``.venv/bin/python bench/team_load.py [--rows 1000000] [--devices 20]
[--dashboard-rows 10000000] [--requests 20]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests" / "team"))
from team_fixtures import Cluster, TeamServer, binaries  # noqa: E402

from llm_session_manager.core.team_wire import PUSH_PATH, PushBatch, PushSession, PushUsage  # noqa: E402

RESULTS = BENCH / "results-team-load.json"
MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001", "gpt-5",
          "gpt-5-codex", "gemini-2.5-pro", "gemini-2.5-flash", "o3")
START = 1_760_000_000.0  # mid-October 2025
PER_SESSION = 50


def device_rows(device: int, n: int) -> list[PushUsage]:
    """Device ``device``'s ``n`` responses; its last tenth are the next device's first tenth (a shared log)."""
    own = n - n // 10
    rows = []
    for i in range(n):
        owner, j = (device, i) if i < own else ((device + 1) % 10_000, i - own)
        model = MODELS[(owner + j) % len(MODELS)]
        provider = "codex" if model.startswith(("gpt", "o3")) else "gemini" if model.startswith("gemini") else \
            "claude-code"
        rows.append(PushUsage(f"msg_{owner:05d}_{j:08d}:req_{owner:05d}_{j:08d}", f"s{owner:05d}-{j // PER_SESSION}",
                              provider, START + owner * 37.0 + j * 61.0, model, 3 + j % 50, 200 + j % 700,
                              j % 3 * 1000, 20_000 + j % 9000, 0, 0.01 + (j % 100) / 1000, 1, True, j % 7 == 0))
    return rows


def batches(device: int, n: int, size: int) -> list[bytes]:
    """The request bodies one device sends, each batch with the sessions its rows are of, as ``team push``."""
    rows = device_rows(device, n)
    bodies = []
    for at in range(0, len(rows), size):
        chunk = rows[at:at + size]
        sessions = {u.session_id: PushSession(u.session_id, u.provider, f"project-{device % 7}", "/src",
                                              "a session", u.model, u.ts, u.ts) for u in chunk}
        bodies.append(msgspec.json.encode(PushBatch(f"client-{device}", list(sessions.values()), chunk)))
    return bodies


def push_all(url: str, tokens: list[str], bodies: list[list[bytes]]) -> tuple[float, list[float]]:
    """Every device's batches pushed at once, one connection each; wall seconds and each request's seconds."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors: list[str] = []
    go = threading.Event()

    def device(token: str, mine: list[bytes]) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        go.wait()
        for body in mine:
            started = time.perf_counter()
            conn.request("POST", PUSH_PATH, body, headers)
            response = conn.getresponse()
            answer = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                errors.append(f"{response.status} {answer[:200]!r}")
                return

    threads = [threading.Thread(target=device, args=(t, b)) for t, b in zip(tokens, bodies, strict=True)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    go.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"a push failed: {errors[0]}")
    return wall, latencies


def copy_peer(url: str, bodies: list[list[bytes]]) -> tuple[float, int]:
    """The same rows (each once) through ``COPY`` into a table shaped like ``usage``: seconds, rows."""
    import psycopg

    rows = {u.dedup_key: u for mine in bodies for body in mine
            for u in msgspec.json.decode(body, type=PushBatch).usage}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE usage_copy (LIKE usage INCLUDING DEFAULTS INCLUDING INDEXES)")
        first = conn.execute("SELECT min(id) FROM devices").fetchone()[0]  # type: ignore[index]
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                "COPY usage_copy (dedup_key, session_id, provider, ts, model, input_tokens, output_tokens, "
                "cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd, priced, exact, "
                "sidechain, first_device) FROM STDIN") as copy:
            for u in rows.values():
                copy.write_row((*msgspec.structs.astuple(u), first))
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE usage_copy")
    return seconds, len(rows)


def fill(url: str, n: int) -> float:
    """``n`` responses (and who saw them) made inside PostgreSQL: 200 devices of 50 users, over a year."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (name, role) SELECT 'load' || u, 'member' FROM generate_series(1, 50) u")
        conn.execute("INSERT INTO devices (user_id, name) SELECT u.id, 'dev' || d FROM users u, generate_series(1, 4) d "
                     "WHERE u.name LIKE 'load%'")
        ids = [d for (d,) in conn.execute("SELECT id FROM devices WHERE name LIKE 'dev%' ORDER BY id")]
        models = "ARRAY[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute(f"""
            INSERT INTO usage (dedup_key, session_id, provider, ts, model, input_tokens, output_tokens,
                               cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd, priced,
                               exact, sidechain, first_device)
            SELECT 'load_' || g, 'ls' || (g / {PER_SESSION}), 'claude-code', {START} - 365 * 86400 + g * (365.0 * 86400 / %s),
                   ({models})[1 + g %% 8], 3 + g %% 50, 200 + g %% 700, g %% 3 * 1000, 20000 + g %% 9000, 0,
                   0.01 + (g %% 100) / 1000.0, 1, g %% 97 <> 0, g %% 7 = 0, (%s::bigint[])[1 + (g / {PER_SESSION}) %% %s]
            FROM generate_series(1, %s) g""", (n, ids, len(ids), n))
        conn.execute("INSERT INTO usage_seen (dedup_key, device_id) SELECT dedup_key, first_device FROM usage "
                     "WHERE dedup_key LIKE 'load_%'")
        conn.execute("VACUUM ANALYZE usage")
        conn.execute("VACUUM ANALYZE usage_seen")
    return time.perf_counter() - started


def timed_gets(url: str, token: str, path: str, requests: int) -> list[float]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for _ in range(requests + 1):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
        times.append(time.perf_counter() - started)
    return times[1:]  # the first warms the caches


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses pushed in total")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--dashboard-rows", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per report")
    args = parser.parse_args()
    found = binaries()
    if found is None:
        raise SystemExit("PostgreSQL's server binaries are missing: make system-deps (or apt-get install postgresql)")
    from llm_session_manager.team import admin, db

    cluster = Cluster(found)
    cluster.start()
    results: dict[str, object] = {}
    try:
        url = cluster.database()
        with db.connect(url) as conn:
            db.migrate(conn)
            admin.add_user(conn, "ann", "admin")
            tokens = [admin.create_token(conn, "ann", f"device{d}").token for d in range(args.devices)]
        per_device = args.rows // args.devices
        bodies = [batches(d, per_device, args.batch_size) for d in range(args.devices)]
        total = per_device * args.devices
        server = TeamServer(url)
        try:
            wall, latencies = push_all(server.url, tokens, bodies)
            copy_s, distinct = copy_peer(url, bodies)
            with db.connect(url) as conn:
                stored = conn.execute("SELECT count(*) FROM usage").fetchone()[0]  # type: ignore[index]
            assert stored == distinct, f"{stored} responses stored, {distinct} distinct pushed"
            push = {"responses": total, "distinct": distinct, "devices": args.devices, "batch_size": args.batch_size,
                    "seconds": wall, "responses_per_s": total / wall,
                    "request_p50_s": statistics.median(latencies), "request_p95_s": p95(latencies),
                    "copy_seconds": copy_s, "copy_rows_per_s": distinct / copy_s,
                    "ratio_to_copy": (total / wall) / (distinct / copy_s)}
            results["push"] = push
            print(f"push: {total:,} responses ({distinct:,} distinct) from {args.devices} devices in {wall:.1f} s: "
                  f"{total / wall:,.0f}/s (request p50 {push['request_p50_s'] * 1000:.0f} ms, "
                  f"p95 {push['request_p95_s'] * 1000:.0f} ms); COPY of the same rows {distinct / copy_s:,.0f}/s; "
                  f"push/COPY {push['ratio_to_copy']:.2f}", flush=True)
            if args.dashboard_rows:
                filled = fill(url, args.dashboard_rows)
                print(f"made {args.dashboard_rows:,} more responses in PostgreSQL in {filled:.0f} s", flush=True)
                with db.connect(url) as conn:
                    count_times = []
                    for _ in range(5):
                        started = time.perf_counter()
                        conn.execute("SELECT count(*) FROM usage").fetchone()
                        count_times.append(time.perf_counter() - started)
                reports: dict[str, object] = {"responses": args.dashboard_rows + distinct, "fill_seconds": filled,
                                              "count_star_s": statistics.median(count_times)}
                for by in ("day", "model", "device"):
                    times = timed_gets(server.url, tokens[0], f"/api/usage?by={by}&timezone=UTC", args.requests)
                    reports[by] = {"p50_s": statistics.median(times), "p95_s": p95(times), "times_s": times}
                    print(f"/api/usage?by={by}: p50 {statistics.median(times) * 1000:.0f} ms, "
                          f"p95 {p95(times) * 1000:.0f} ms (count(*) alone {reports['count_star_s'] * 1000:.0f} ms)",
                          flush=True)
                results["dashboard"] = reports
        finally:
            server.stop()
    finally:
        cluster.stop()
    load = os.getloadavg()[0]
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs; client, server and PostgreSQL on this machine)")
    RESULTS.write_text(json.dumps({
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load": load},
        "results": results,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
