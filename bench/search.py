"""``search`` over a million messages: p50/p95/p99 of the service call, against a 50 ms p99 target,
and against peers in the same run.

The store (``bench/search_corpus.py``: a million realistic messages in 10,000
sessions, built once into ``bench/.cache``) is searched with a fixed set of
queries: common words, rare words, phrases, a prefix, and each filter (one
session, a project, a provider, the last 30 days, a role, newest first). Each
query runs ``--runs`` times, in interleaved rounds after one untimed round, with
``history.search`` called in-process as MCP, LSP and ``serve`` call it (a warm
process); wall and CPU time of each call are recorded. Peers, in the same run:

* the search this replaced: a case-insensitive substring scan of ``messages``
  (``instr(lower(text), lower(?))``, newest first), on the same store;
* GNU ``grep -F -i -c`` over the same messages dumped as JSON lines (what a user
  without an index would run; ripgrep where installed);

and the CLI end to end (``llm-session search QUERY --json --no-scan``, a new
process). It also reports what the index costs: its size, the migration's
backfill (``rebuild``) over the million messages, and the triggers' upkeep per
message stored.

The machine these run on is often shared: every figure is noisy, and the load
average at the start and end is recorded with them. Run with ``make bench`` or
``.venv/bin/python bench/search.py [--runs 20] [--messages 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import search_corpus

from llm_session_manager.core.models import MessageRow
from llm_session_manager.ingest._store import _insert_messages as store_messages
from llm_session_manager.services import history
from llm_session_manager.store import DB_NAME, connect, write_transaction

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results-search.json"
TARGET_P99_S = 0.050
NOW = 1_767_225_600.0  # the corpus's "now"

# (label, group, query, filters); a filter "session" is filled with a session of the store
QUERIES: list[tuple[str, str, str, dict]] = [
    ("common: test", "common", "test", {}),
    ("common: error", "common", "error", {}),
    ("common: fix the failing test", "common", "fix the failing test", {}),
    ("common: retry logic", "common", "retry logic", {}),
    ("rare: xylophonic", "rare", "xylophonic", {}),
    ("rare: quetzalcoatl", "rare", "quetzalcoatl", {}),
    ("rare + common: zanzibarite test", "rare", "zanzibarite test", {}),
    ('phrase: "connection refused"', "phrase", '"connection refused"', {}),
    ('phrase: "rate limit"', "phrase", '"rate limit"', {}),
    ('phrase: "borrow of moved value"', "phrase", '"borrow of moved value"', {}),
    ("prefix: migrat*", "phrase", "migrat*", {}),
    ("filter: test --in SESSION", "filter", "test", {"session_id": "session"}),
    ("filter: fix --project proj-07", "filter", "fix", {"project": "proj-07"}),
    ("filter: test --provider gemini", "filter", "test", {"provider": "gemini"}),
    ("filter: error --since 30d", "filter", "error", {"since": NOW - 30 * 86400}),
    ("filter: error --role tool", "filter", "error", {"role": "tool"}),
    ("filter: pagination --role user --project proj-12", "filter", "pagination", {"role": "user", "project": "proj-12"}),
    ("sort: test --sort newest", "sort", "test", {"sort": "newest"}),
    ("sort: xylophonic --sort newest", "sort", "xylophonic", {"sort": "newest"}),
]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]

    return {"p50_ms": round(at(0.50) * 1000, 2), "p95_ms": round(at(0.95) * 1000, 2),
            "p99_ms": round(at(0.99) * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2), "n": len(ordered)}


def time_service(db: Path, queries: list[tuple[str, str, str, dict]], runs: int) -> dict[str, dict]:
    """Wall and CPU seconds of each ``history.search`` call, per query, in interleaved rounds."""
    conn = connect(db)
    wall: dict[str, list[float]] = {q[0]: [] for q in queries}
    cpu: dict[str, list[float]] = {q[0]: [] for q in queries}
    hits: dict[str, tuple[int, bool]] = {}
    for round_ in range(runs + 1):
        for label, _, query, filters in queries:
            started, started_cpu = time.perf_counter(), time.thread_time()
            found = history.search(conn, query, **filters)
            w, c = time.perf_counter() - started, time.thread_time() - started_cpu
            if round_:  # the first round warms the page cache and the embedder
                wall[label].append(w)
                cpu[label].append(c)
            hits[label] = (len(found.matches), found.complete)
    conn.close()
    return {label: {"wall": wall[label], "cpu": cpu[label], "matches": hits[label][0], "complete": hits[label][1]}
            for label in wall}


_SUBSTRING = """SELECT m.session_id, s.provider, s.cwd, m.ts, m.role, m.kind, m.text
                FROM messages m JOIN sessions s ON s.id = m.session_id
                WHERE instr(lower(m.text), lower(?1)) > 0 ORDER BY m.ts DESC, m.rowid DESC LIMIT 21"""


def time_substring(db: Path, queries: list[tuple[str, str, str, dict]], runs: int) -> dict[str, list[float]]:
    """The search this replaced (services/history.py before the index): a scan of every message."""
    conn = connect(db)
    out: dict[str, list[float]] = {}
    for label, _, query, filters in queries:
        if filters:
            continue
        text = query.strip('"').rstrip("*")
        conn.execute(_SUBSTRING, (text,)).fetchall()  # untimed: the page cache
        out[label] = []
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(_SUBSTRING, (text,)).fetchall()
            out[label].append(time.perf_counter() - started)
    conn.close()
    return out


def dump_jsonl(db: Path, target: Path) -> Path:
    """The messages as JSON lines, once per store: what grep reads."""
    if target.exists() and target.stat().st_mtime >= db.stat().st_mtime:
        return target
    conn = connect(db)
    with open(target, "w", encoding="utf-8") as out:
        for sid, ts, role, kind, text in conn.execute("SELECT session_id, ts, role, kind, text FROM messages"):
            out.write(json.dumps({"session_id": sid, "ts": ts, "role": role, "kind": kind, "text": text}) + "\n")
    conn.close()
    return target


def time_grep(dump: Path, queries: list[tuple[str, str, str, dict]], runs: int) -> tuple[str, dict[str, list[float]]]:
    tool = shutil.which("rg") or shutil.which("grep")
    assert tool, "neither rg nor grep is installed"
    name = Path(tool).name
    out: dict[str, list[float]] = {}
    for label, _, query, filters in queries:
        if filters:
            continue
        text = query.strip('"').rstrip("*")
        cmd = [tool, "-F", "-i", "-c", text, str(dump)]
        subprocess.run(cmd, capture_output=True)  # untimed: the page cache
        out[label] = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(cmd, capture_output=True)
            out[label].append(time.perf_counter() - started)
    return name, out


def time_cli(db: Path, runs: int) -> list[float]:
    """``llm-session search`` as a user runs it: a new process, the store already scanned."""
    script = Path(sys.executable).parent / "llm-session"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "llm_session_manager"]
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "PYTHONPATH")}
        env.update(HOME=home, LLM_SESSION_DATA_DIR=str(db.parent), XDG_CONFIG_HOME=f"{home}/.config", TZ="UTC")
        walls = []
        for i in range(runs + 1):
            started = time.perf_counter()
            proc = subprocess.run([*cmd, "search", "fix the failing test", "--json", "--no-scan"],
                                  capture_output=True, env=env)
            assert proc.returncode == 0, proc.stderr.decode()
            if i:
                walls.append(time.perf_counter() - started)
    return walls


def upkeep(messages: int = 50_000) -> dict[str, float]:
    """What the index's triggers add to storing a message: the same rows into two new stores, one without them."""
    import random

    rng = random.Random(2)
    pools = search_corpus.Pools(rng)
    rows = [MessageRow(f"u:{i}", "s", float(i), "assistant", "text", search_corpus.message(rng, pools, "text"))
            for i in range(messages)]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, keep in (("with_index", True), ("without_index", False)):
            conn = connect(Path(tmp) / f"{name}.db")
            if not keep:
                conn.execute("DROP TRIGGER messages_fts_insert")
            started, started_cpu = time.perf_counter(), time.process_time()
            for at in range(0, messages, 5000):
                with write_transaction(conn):
                    store_messages(conn, rows[at:at + 5000])  # as a scan stores them
            out[name] = time.perf_counter() - started
            out[f"{name}_cpu"] = time.process_time() - started_cpu
            conn.close()
    return {"messages": messages, "with_index_s": round(out["with_index"], 2),
            "without_index_s": round(out["without_index"], 2),
            "per_message_us": round((out["with_index"] - out["without_index"]) / messages * 1e6, 1),
            "per_message_cpu_us": round((out["with_index_cpu"] - out["without_index_cpu"]) / messages * 1e6, 1)}


def index_size(db: Path) -> dict[str, float]:
    conn = connect(db)
    try:
        fts = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'messages_fts%'").fetchone()[0] or 0
        text = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'messages'").fetchone()[0] or 0
    finally:
        conn.close()
    return {"fts_mb": round(fts / 1e6, 1), "messages_table_mb": round(text / 1e6, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20, help="timed calls of each query (default 20)")
    parser.add_argument("--peer-runs", type=int, default=3, help="timed runs of each peer query (default 3)")
    a = parser.parse_args()
    load_before = os.getloadavg()
    print(f"store: {a.messages:,} messages (built once into {CACHE}) ...", file=sys.stderr)
    db, built = search_corpus.cached(CACHE, a.messages, a.seed)
    conn = connect(db)
    session = conn.execute("SELECT id FROM sessions ORDER BY id LIMIT 1 OFFSET 77").fetchone()[0]
    conn.close()
    queries = [(label, group, q, {k: (session if v == "session" else v) for k, v in f.items()})
               for label, group, q, f in QUERIES]

    print(f"service: {len(queries)} queries x {a.runs} ...", file=sys.stderr)
    service = time_service(db, queries, a.runs)
    every = [w for r in service.values() for w in r["wall"]]
    every_cpu = [c for r in service.values() for c in r["cpu"]]
    groups = sorted({g for _, g, _, _ in queries})
    by_group = {g: percentiles([w for (label, grp, _, _) in queries if grp == g for w in service[label]["wall"]])
                for g in groups}

    print("peer: substring scan ...", file=sys.stderr)
    substring = time_substring(db, queries, a.peer_runs)
    print("peer: grep over a JSON-lines dump ...", file=sys.stderr)
    dump = dump_jsonl(db, db.parent / "messages.jsonl")
    grep_name, grep = time_grep(dump, queries, a.peer_runs)
    print("CLI end to end ...", file=sys.stderr)
    cli = time_cli(db, 5)
    print("index upkeep ...", file=sys.stderr)
    cost = {"build": built, "size": index_size(db), "upkeep": upkeep()}

    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
        "store": built,
        "target_p99_ms": TARGET_P99_S * 1000,
        "service": {"all": percentiles(every), "all_cpu": percentiles(every_cpu), "by_group": by_group,
                    "queries": {label: {**percentiles(r["wall"]), "cpu_p50_ms": round(statistics.median(r["cpu"]) * 1000, 2),
                                        "matches": r["matches"], "complete": r["complete"]}
                                for label, r in service.items()}},
        "peers": {
            "substring_scan": {"all": percentiles([w for v in substring.values() for w in v]),
                               "queries": {k: percentiles(v) for k, v in substring.items()}},
            f"{grep_name}_jsonl": {"all": percentiles([w for v in grep.values() for w in v]),
                                   "queries": {k: percentiles(v) for k, v in grep.items()},
                                   "dump_mb": round(dump.stat().st_size / 1e6, 1)},
        },
        "cli_end_to_end": percentiles(cli),
        "index_cost": cost,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    s = report["service"]["all"]
    print(f"search, {built['messages']:,} messages: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms "
          f"(target p99 {TARGET_P99_S * 1000:.0f} ms: {'met' if s['p99_ms'] <= TARGET_P99_S * 1000 else 'MISSED'}); "
          f"CPU p99 {report['service']['all_cpu']['p99_ms']} ms")
    for g, p in by_group.items():
        print(f"  {g:8} p50 {p['p50_ms']:8} p95 {p['p95_ms']:8} p99 {p['p99_ms']:8} ms")
    for name, peer in report["peers"].items():
        print(f"peer {name}: p50 {peer['all']['p50_ms']} ms, p99 {peer['all']['p99_ms']} ms (unfiltered queries)")
    print(f"CLI end to end: p50 {report['cli_end_to_end']['p50_ms']} ms")
    print(f"index: {cost['size']['fts_mb']} MB for {cost['size']['messages_table_mb']} MB of messages; backfill "
          f"{built['backfill_rebuild_s']} s; upkeep {cost['upkeep']['per_message_us']} µs per message stored "
          f"({cost['upkeep']['per_message_cpu_us']} µs CPU)")
    print(f"load average {report['machine']['load_before']} -> {report['machine']['load_after']} "
          f"on {os.cpu_count()} CPUs: a shared machine, read the figures as noisy")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
