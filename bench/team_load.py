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
2. **Dashboard API p50/p95 at ``--responses``** (1,000,000; issue 14's target is at
   10,000,000): responses made in PostgreSQL itself (``fill``: ``generate_series``, a year
   of 50 users' 200 devices, sessions, projects and synced sightings, then the rollups
   summed once), then every route the web dashboard calls and ``/api/usage`` (``ROUTES``),
   as an admin, as a member and as a member holding grants (three sessions of one user,
   a project of another, and a session of a third that one of their own devices also
   pushed), ``--requests`` times each (fewer past ``--budget``
   seconds, cancelled past ``--timeout``). The peer is ``SELECT count(*) FROM usage``:
   one pass over the rows, the least a report that reads every response could cost.

A throw-away PostgreSQL cluster (tests/team/team_fixtures.py's, ``initdb`` in a
temporary directory, fsync off as in the tests) serves both. Results go to
``bench/results-team-load.json``. The machine is what it is (2 shared cores
here): client, server and PostgreSQL share it, so the figures are a floor for a
real server, and the ratios to the peers say more than the absolute numbers.

Run with ``.venv/bin/python bench/team_load.py [--rows 1000000] [--devices 20]
[--responses 10000000] [--requests 20] [--budget 30] [--timeout 120] [--routes NAMES]``.
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


USERS, DEVICES_EACH, PROJECTS, PER_LOADED_SESSION = 50, 4, 20, 200
SECONDS_A_YEAR = 365 * 86400


def fill(url: str, n: int) -> float:
    """A team with ``n`` responses over the year before ``START``, made inside PostgreSQL (nothing crosses
    the wire, no push runs): ``USERS`` members with ``DEVICES_EACH`` devices each, ``n / PER_LOADED_SESSION``
    sessions spread over the devices and ``PROJECTS`` projects (each user works in three), 8 models, one
    sighting of each response by its session's device and a second, by another device of the same user
    (a synced log), for one session in ten; then the rollups summed from the responses in one statement
    each (``rollups.rebuild``) and the owners' sessions from their devices' (``owner_sessions_refresh``), as
    pushes would have left them. Seconds taken."""
    import psycopg

    from llm_session_manager.team import rollups

    sessions = max(1, n // PER_LOADED_SESSION)
    first = START - SECONDS_A_YEAR
    models = "ARRAY[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    provider = ("CASE WHEN m LIKE 'gpt%%' OR m = 'o3' THEN 'codex' WHEN m LIKE 'gemini%%' THEN 'gemini' "
                "ELSE 'claude-code' END")
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (name, role) SELECT 'u' || lpad(u::text, 2, '0'), 'member' "
                     "FROM generate_series(1, %s) u", (USERS,))
        conn.execute("INSERT INTO devices (user_id, name) SELECT u.id, 'dev' || d FROM users u, "
                     "generate_series(1, %s) d WHERE u.name ~ '^u[0-9]+$' ORDER BY u.id, d", (DEVICES_EACH,))
        ids = [d for (d,) in conn.execute("SELECT d.id FROM devices d JOIN users u ON u.id = d.user_id "
                                          "WHERE u.name ~ '^u[0-9]+$' ORDER BY d.id")]
        conn.execute("SET maintenance_work_mem = '256MB'")
        # Session k: on device k mod 200, of model k mod 8, in one of its user's three projects.
        conn.execute(f"""
            INSERT INTO sessions (device_id, id, provider, project, cwd, title, model, started_at, last_activity)
            SELECT (%(ids)s::bigint[])[1 + k %% %(devices)s], 'ls' || lpad(k::text, 8, '0'), {provider},
                   'project-' || ((k %% %(devices)s / {DEVICES_EACH} * 7 + k %% 3) %% {PROJECTS}),
                   '/src/project', 'session ' || k, m,
                   %(first)s + k::float8 * {PER_LOADED_SESSION} * %(step)s,
                   %(first)s + (k::float8 + 1) * {PER_LOADED_SESSION} * %(step)s - %(step)s
            FROM generate_series(0, %(sessions)s - 1) k, LATERAL (SELECT ({models})[1 + k %% 8] AS m) model""",
                     {"ids": ids, "devices": len(ids), "first": first, "step": SECONDS_A_YEAR / n,
                      "sessions": sessions})
        # Response g: the (g / 200)th session's, its keys and times in order (the indexes grow at their end).
        conn.execute(f"""
            INSERT INTO usage (dedup_key, session_id, provider, ts, model, input_tokens, output_tokens,
                               cache_creation_tokens, cache_read_tokens, cache_creation_1h_tokens, cost_usd, priced,
                               exact, sidechain, first_device)
            SELECT 'load_' || lpad(g::text, 10, '0'), 'ls' || lpad(k::text, 8, '0'), {provider},
                   %(first)s + g * %(step)s, m, 3 + g %% 50, 200 + g %% 700, g %% 3 * 1000, 20000 + g %% 9000, 0,
                   0.01 + (g %% 100) / 1000.0, 1, g %% 97 <> 0, g %% 7 = 0, (%(ids)s::bigint[])[1 + k %% %(devices)s]
            FROM generate_series(0, %(n)s - 1) g, LATERAL (SELECT least(g / {PER_LOADED_SESSION}, %(sessions)s - 1) AS k) s,
                 LATERAL (SELECT ({models})[1 + k %% 8] AS m) model""",
                     {"ids": ids, "devices": len(ids), "first": first, "step": SECONDS_A_YEAR / n, "n": n,
                      "sessions": sessions})
        conn.execute("INSERT INTO usage_seen (dedup_key, device_id) SELECT dedup_key, first_device FROM usage")
        # One session in ten was also on another device of its user (the next of their four).
        conn.execute(f"""
            INSERT INTO sessions (device_id, id, provider, project, cwd, title, model, started_at, last_activity)
            SELECT (%(ids)s::bigint[])[1 + (i - 1) / {DEVICES_EACH} * {DEVICES_EACH} + i %% {DEVICES_EACH}],
                   s.id, s.provider, s.project, s.cwd, s.title, s.model, s.started_at, s.last_activity
            FROM sessions s, LATERAL (SELECT array_position(%(ids)s::bigint[], s.device_id) AS i) p
            WHERE right(s.id, 1) = '0'""", {"ids": ids})
        conn.execute(f"""
            INSERT INTO usage_seen (dedup_key, device_id)
            SELECT u.dedup_key, (%(ids)s::bigint[])[1 + (i - 1) / {DEVICES_EACH} * {DEVICES_EACH} + i %% {DEVICES_EACH}]
            FROM usage u, LATERAL (SELECT array_position(%(ids)s::bigint[], u.first_device) AS i) p
            WHERE right(u.session_id, 1) = '0'""", {"ids": ids})
        # u05's first session on their first device was on one of u02's too (u05 grants it to u02: the dashboard part)
        conn.execute("""
            WITH shared AS (SELECT s.* FROM sessions s WHERE s.device_id = %(u05)s
                            AND s.id = (SELECT min(id) FROM sessions WHERE device_id = %(u05)s)),
            row AS (INSERT INTO sessions (device_id, id, provider, project, cwd, title, model, started_at, last_activity)
                    SELECT %(u02)s, id, provider, project, cwd, title, model, started_at, last_activity FROM shared)
            INSERT INTO usage_seen (dedup_key, device_id) SELECT u.dedup_key, %(u02)s FROM usage u
            WHERE u.session_id = (SELECT id FROM shared) ON CONFLICT DO NOTHING""",
                     {"u02": ids[DEVICES_EACH], "u05": ids[4 * DEVICES_EACH]})
        rollups.rebuild(conn)
        conn.execute("SELECT owner_sessions_refresh(id, NULL) FROM users ORDER BY id")  # as the pushes keep them
        for table in ("usage", "usage_seen", "sessions", "usage_quarters", "usage_device_quarters",
                      "usage_owner_quarters", "usage_session_days", "owner_sessions"):
            conn.execute(f"VACUUM ANALYZE {table}".encode())
    return time.perf_counter() - started


def timed_gets(url: str, token: str, path: str, requests: int, budget_s: float, timeout_s: float,
               database: str) -> list[float]:
    """``requests`` timed GETs of ``path`` after one that warms the caches; fewer once they have taken
    ``budget_s`` (only the first, cold, if it alone took that long), so a route that takes seconds is
    shown without holding the run for hours. A request unanswered after ``timeout_s`` counts as
    ``timeout_s`` and ends the route (its query cancelled in PostgreSQL, so it does not slow the next)."""
    import psycopg

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    began = time.perf_counter()
    for _ in range(requests + 1):
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except TimeoutError:
            with psycopg.connect(database, autocommit=True) as db:
                db.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND state = 'active' AND pid <> pg_backend_pid()")
            return [timeout_s]
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
        times.append(time.perf_counter() - started)
        if time.perf_counter() - began > budget_s and (len(times) >= 2 or times[0] > budget_s):
            break
    return times[1:] or times  # the first warms the caches, unless it alone took the budget


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


# The routes the web dashboard calls (web/src/main.ts) and the usage report (`team usage`, /api/usage).
ROUTES = (
    ("usage by day", "/api/usage?by=day&timezone=UTC"),
    ("usage by model", "/api/usage?by=model&timezone=UTC"),
    ("usage by device", "/api/usage?by=device&timezone=UTC"),
    ("dashboard me", "/dashboard/api/me"),
    ("dashboard facets", "/dashboard/api/facets"),
    ("dashboard view", "/dashboard/api/view"),
    ("dashboard view, last 7 days", "/dashboard/api/view?since={week}"),
    ("dashboard leaderboard", "/dashboard/api/leaderboard"),
    ("dashboard session page", "/dashboard/api/sessions/{session}"),
)


def push_part(cluster: Cluster, args: argparse.Namespace) -> dict[str, object]:
    """``--devices`` devices pushing ``--rows`` responses at once, and COPY of the same rows."""
    from llm_session_manager.team import admin, db

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
    finally:
        server.stop()
    copy_s, distinct = copy_peer(url, bodies)
    with db.connect(url) as conn:
        stored = conn.execute("SELECT count(*) FROM usage").fetchone()[0]  # type: ignore[index]
    assert stored == distinct, f"{stored} responses stored, {distinct} distinct pushed"
    push = {"responses": total, "distinct": distinct, "devices": args.devices, "batch_size": args.batch_size,
            "seconds": wall, "responses_per_s": total / wall,
            "request_p50_s": statistics.median(latencies), "request_p95_s": p95(latencies),
            "copy_seconds": copy_s, "copy_rows_per_s": distinct / copy_s,
            "ratio_to_copy": (total / wall) / (distinct / copy_s), "load_after": os.getloadavg()[0]}
    print(f"push: {total:,} responses ({distinct:,} distinct) from {args.devices} devices in {wall:.1f} s: "
          f"{total / wall:,.0f}/s (request p50 {push['request_p50_s'] * 1000:.0f} ms, "
          f"p95 {push['request_p95_s'] * 1000:.0f} ms); COPY of the same rows {distinct / copy_s:,.0f}/s; "
          f"push/COPY {push['ratio_to_copy']:.2f} (load {push['load_after']:.1f})", flush=True)
    return push


def dashboard_part(cluster: Cluster, args: argparse.Namespace) -> dict[str, object]:
    """``--responses`` made in PostgreSQL, then each route timed as an admin, a member and a member holding grants."""
    from llm_session_manager.team import admin, db

    url = cluster.database()
    with db.connect(url) as conn:
        db.migrate(conn)
    filled = fill(url, args.responses)
    with db.connect(url) as conn:
        admin.add_user(conn, "ann", "admin")
        callers = {"admin": admin.create_token(conn, "ann", "bench").token,
                   "member": admin.create_token(conn, "u01", "bench").token,
                   "member with grants": admin.create_token(conn, "u02", "bench").token}
        # u02 holds grants: three of u03's sessions (the latest), one of u04's projects, and one of u05's
        # sessions that u02's own devices also pushed, as a synced log would have (the same responses).
        conn.execute("""
            INSERT INTO grants (grantee_id, owner_id, scope, resource, access)
            SELECT (SELECT id FROM users WHERE name = 'u02'), o.user_id, 'session', o.id, 'read'
            FROM (SELECT user_id, id FROM owner_sessions WHERE user_id = (SELECT id FROM users WHERE name = 'u03')
                  ORDER BY last_activity DESC LIMIT 3) o
            UNION ALL
            SELECT (SELECT id FROM users WHERE name = 'u02'), o.user_id, 'project', o.project, 'read'
            FROM (SELECT user_id, project FROM owner_sessions
                  WHERE user_id = (SELECT id FROM users WHERE name = 'u04') ORDER BY project LIMIT 1) o""")
        conn.execute("INSERT INTO grants (grantee_id, owner_id, scope, resource, access) SELECT "
                     "(SELECT id FROM users WHERE name = 'u02'), d.user_id, 'session', s.id, 'read' FROM sessions s "
                     "JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = d.user_id WHERE u.name = 'u05' "
                     "AND d.id = (SELECT min(id) FROM devices WHERE user_id = u.id) "
                     "AND s.id = (SELECT min(id) FROM sessions WHERE device_id = d.id)")
        own = conn.execute("SELECT s.id FROM sessions s JOIN devices d ON d.id = s.device_id JOIN users u "
                           "ON u.id = d.user_id WHERE u.name = 'u01' ORDER BY s.last_activity DESC LIMIT 1"
                           ).fetchone()[0]  # type: ignore[index]
        granted = conn.execute("SELECT resource FROM grants WHERE scope = 'session' AND grantee_id = "
                               "(SELECT id FROM users WHERE name = 'u02') ORDER BY id LIMIT 1").fetchone()[0]  # type: ignore[index]
        # The session page each caller opens: u01's newest for the admin and u01, one granted to u02 for u02.
        sessions = {"admin": own, "member": own, "member with grants": granted}
        conn.execute("UPDATE users SET leaderboard = true WHERE name IN ('u01', 'u02', 'u03')")
        conn.commit()
        count_times = []
        for _ in range(5):
            started = time.perf_counter()
            conn.execute("SELECT count(*) FROM usage").fetchone()
            count_times.append(time.perf_counter() - started)
    print(f"made {args.responses:,} responses ({args.responses // PER_LOADED_SESSION:,} sessions, {USERS} users, "
          f"{USERS * DEVICES_EACH} devices) in PostgreSQL in {filled:.0f} s; count(*) "
          f"{statistics.median(count_times) * 1000:.0f} ms", flush=True)
    week = time.strftime("%Y-%m-%d", time.gmtime(START - 7 * 86400))
    reports: dict[str, object] = {"responses": args.responses, "sessions": args.responses // PER_LOADED_SESSION,
                                  "users": USERS, "devices": USERS * DEVICES_EACH, "fill_seconds": filled,
                                  "made_by": "INSERT ... SELECT FROM generate_series inside PostgreSQL, then "
                                             "rollups.rebuild (one aggregate statement per rollup table)",
                                  "count_star_s": statistics.median(count_times), "routes": {}}
    server = TeamServer(url)
    try:
        for name, route in ROUTES:
            if args.routes and not any(part in name for part in args.routes.split(",")):
                continue
            for role, token in callers.items():
                path = route.format(week=week, session=sessions[role])
                times = timed_gets(server.url, token, path, args.requests, args.budget, args.timeout, url)
                entry = {"path": path, "p50_s": statistics.median(times), "p95_s": p95(times), "times_s": times,
                         "requests": len(times)}
                reports["routes"][f"{name} ({role})"] = entry  # type: ignore[index]
                if times == [args.timeout]:
                    entry["timed_out"] = True
                note = (f" (no answer in {args.timeout:.0f} s: cancelled)" if entry.get("timed_out") else
                        "" if len(times) == args.requests else f" ({len(times)} requests: over the time budget)")
                print(f"{name} ({role}): p50 {entry['p50_s'] * 1000:.0f} ms, p95 {entry['p95_s'] * 1000:.0f} ms{note}",
                      flush=True)
    finally:
        server.stop()
    reports["load_after"] = os.getloadavg()[0]
    return reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses pushed in total (0: no push part)")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--responses", type=int, default=1_000_000,
                        help="responses made in PostgreSQL for the dashboard's routes (0: none; 10000000 for "
                             "issue 14's target)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per route and caller")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds a route's requests may take before the rest are skipped (at least one is timed)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one request may take")
    parser.add_argument("--routes", default="", help="only the routes whose name has one of these (comma-separated)")
    args = parser.parse_args()
    found = binaries()
    if found is None:
        raise SystemExit("PostgreSQL's server binaries are missing: make system-deps (or apt-get install postgresql)")
    cluster = Cluster(found)
    cluster.start()
    results: dict[str, object] = {}
    load_before = os.getloadavg()[0]
    try:
        if args.rows:
            results["push"] = push_part(cluster, args)
        if args.responses:
            results["dashboard"] = dashboard_part(cluster, args)
    finally:
        cluster.stop()
    load = os.getloadavg()[0]
    print(f"(load average {load_before:.1f} before, {load:.1f} after, on {os.cpu_count()} CPUs; client, server and "
          "PostgreSQL on this machine)")
    RESULTS.write_text(json.dumps({
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_before": load_before, "load_after": load},
        "results": results,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
