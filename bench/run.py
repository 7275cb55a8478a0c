"""llm-session against ccusage on the same ~200 MB of Claude Code logs.

ccusage is what people already run to ask "what did I spend"; llm-session must give
the same per-day numbers, no slower on a cold start, ten times faster when nothing
changed (what a dashboard or status line does every few seconds), in under 200 MB.
Both tools run in a sandbox (empty HOME, CLAUDE_CONFIG_DIR at the corpus, an empty
CODEX_HOME), so the user's real logs are never read and their data dir never touched.

Run with ``make bench``. A missed target is reported, not an error: the exit code is
non-zero only when this script itself breaks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
from llm_session_manager import demo_logs

BENCH = Path(__file__).resolve().parent
NODE = BENCH / ".node"
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results.json"
PRICES_FIXTURE = BENCH.parent / "tests" / "fixtures" / "claude-code-prices"
CORPUS = CACHE / "corpus"  # set by ensure_corpus
# --size: corpus megabytes, files, and how many times faster than ccusage the
# warm path must be (issue 16: the edge must grow with the history).
SIZES = {"200m": (200, 2000, 5), "1g": (1000, 10000, 20)}
CCUSAGE_VERSION = "20.0.24"
RSS_LIMIT_MB = 200
COST_TOLERANCE = 0.005  # per day, relative to ccusage's figure
FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "total_tokens")
CCUSAGE_NAMES = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens")
CCUSAGE_FIELDS = dict(zip(FIELDS, CCUSAGE_NAMES, strict=True))  # ours -> ccusage --json

# Each measured command gets a parent of its own: RUSAGE_CHILDREN reports the largest
# child a process ever waited for, so a shared parent would smear runs together.
_PROBE = r"""
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    start = time.perf_counter()
    proc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak_mb = usage.ru_maxrss / 2**20 if sys.platform == "darwin" else usage.ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "code": proc.returncode,
                  "cpu_s": usage.ru_utime + usage.ru_stime,
                  "stderr": proc.stderr.decode(errors="replace")[-1500:]}))
"""


def measure(cmd: list[str], env: dict[str, str], stdout: Path) -> dict:
    """Wall time and peak RSS of one command; its stdout lands in ``stdout``."""
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(stdout), *cmd], env=env, capture_output=True, text=True, check=True
    )
    run = json.loads(probe.stdout)
    run["error"] = None if run["code"] == 0 else f"exit {run['code']}: {run['stderr'].strip()[-600:]}"
    return run


def ensure_ccusage() -> Path:
    """The native ccusage binary, installed into bench/.node once.

    The ``ccusage`` npm package is a Node wrapper that only spawns this binary; timing
    the binary directly leaves Node's start-up out, which favours ccusage.
    """
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
    package = f"@ccusage/ccusage-{sys.platform}-{arch}"
    binary = NODE / "node_modules" / package / "bin" / "ccusage"
    manifest = NODE / "node_modules" / "ccusage" / "package.json"
    if not (binary.exists() and manifest.exists() and json.loads(manifest.read_text())["version"] == CCUSAGE_VERSION):
        npm = ["npm", "install", "--prefix", str(NODE), "--no-audit", "--no-fund"]
        subprocess.run([*npm, f"ccusage@{CCUSAGE_VERSION}", f"{package}@{CCUSAGE_VERSION}"], check=True)
    binary.chmod(binary.stat().st_mode | 0o111)  # the wrapper does this on first use; we skip the wrapper
    return binary


def corpus_dir(mb: int) -> Path:
    """Where the corpus of ``mb`` megabytes is kept (the 200 MB one where it always was)."""
    return CACHE / ("corpus" if mb == 200 else f"corpus-{mb}mb")


def ensure_corpus(target_bytes: int, files: int, seed: int) -> dict:
    """Generate the corpus once; reuse it while the parameters and the generator are unchanged."""
    global CORPUS
    CORPUS = corpus_dir(target_bytes // 1_000_000)
    params = {
        "target_bytes": target_bytes,
        "files": files,
        "seed": seed,
        "generator": hashlib.sha256(  # every module of the generator package, by name and content
            b"".join(
                f.name.encode() + b"\0" + f.read_bytes() for f in sorted(Path(demo_logs.__file__).parent.glob("*.py"))
            )
        ).hexdigest()[:16],
    }
    stamp = CORPUS.with_suffix(".json")
    if CORPUS.is_dir() and stamp.exists():
        cached = json.loads(stamp.read_text())
        if cached["params"] == params:
            return cached
    shutil.rmtree(CORPUS, ignore_errors=True)
    print(f"generating corpus: {target_bytes / 1e6:.0f} MB in {files} files ...", flush=True)
    start = time.perf_counter()
    stats = demo_logs.write_corpus(CORPUS, target_bytes, files, seed)
    cached = {
        "params": params,
        "seconds": round(time.perf_counter() - start, 2),
        "stats": msgspec.to_builtins(stats),
    }
    stamp.write_text(json.dumps(cached))
    return cached


def sandbox_env(home: Path, data_dir: Path | None = None, claude: Path | None = None) -> dict[str, str]:
    """A minimal environment: nothing from the user's shell but PATH and locale;
    Claude logs from ``claude`` (default: the corpus)."""
    # PYTHONPATH too: it says which checkout of llm-session is measured.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "PYTHONPATH")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
        TZ="UTC",
        NO_COLOR="1",
        CLAUDE_CONFIG_DIR=str(claude or CORPUS),
        CODEX_HOME=str(home / "codex"),
    )
    if data_dir is not None:
        env["LLM_SESSION_DATA_DIR"] = str(data_dir)
    return env


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["error"] is None]
    errors = [r["error"] for r in runs if r["error"]]
    if not ok:
        return {
            "runs": runs,
            "median_s": None,
            "best_s": None,
            "peak_mb": None,
            "error": errors[0] if errors else "not run: an earlier step failed",
        }
    seconds = [r["seconds"] for r in ok]
    cpu = [r["cpu_s"] for r in ok if r.get("cpu_s") is not None]
    return {
        "runs": runs,
        "median_s": statistics.median(seconds),
        "best_s": min(seconds),
        "median_cpu_s": statistics.median(cpu) if cpu else None,
        "peak_mb": max(r["peak_mb"] for r in ok),
        "error": errors[0] if errors else None,
    }


def ccusage_command() -> tuple[list[str] | None, str | None]:
    """The ccusage command to time, or None and why not."""
    try:
        binary = ensure_ccusage()
    except (OSError, subprocess.CalledProcessError, KeyError) as error:
        return None, f"cannot install ccusage: {error}"
    return [str(binary), "claude", "daily", "--json", "--offline"], None


def _ours_command() -> list[str]:
    script = Path(sys.executable).parent / "llm-session"
    return [str(script)] if script.exists() else [sys.executable, "-m", "llm_session_manager"]


def bench_ours(home: Path, work: Path, n: int, peer: Callable[[], None]) -> tuple[dict, dict | None]:
    """``usage --by day --json``, which reads new log lines before it reports.

    Cold: on a fresh data dir (the whole corpus is scanned). Warm: the same again,
    with nothing new to read. One process each, as a user runs it. ``peer()`` runs
    ccusage once before each cold and warm pair: interleaved, a busy moment of a
    shared machine falls on both tools alike.
    """
    cli = [*_ours_command(), "usage", "--by", "day", "--json"]
    cases: dict[str, list[dict]] = {"cold": [], "conversation": [], "warm": []}
    usage_doc = None
    for i in range(n):
        peer()
        data = work / f"data-{i}"
        for case in ("cold", "warm"):
            started = time.perf_counter()
            run = measure(cli, sandbox_env(home, data), work / "usage.json")
            cases[case].append(run)
            if run["error"]:
                break
            usage_doc = _json_or_error(work / "usage.json")
            if case == "cold":  # the conversation is stored after the report: wait for it, timed
                cases["conversation"].append(wait_for_conversation(data, started))
        shutil.rmtree(data, ignore_errors=True)
        if any(r["error"] for r in cases["cold"] + cases["warm"]):
            break
    report = {case: summarize(runs) for case, runs in cases.items()}
    return report, usage_doc if isinstance(usage_doc, dict) and "rows" in usage_doc else None


def wait_for_conversation(data: Path, started: float) -> dict:
    """Seconds from the cold ``usage`` starting until its conversation was stored
    (a detached continuation: ``ingest/_conversation.py``), so the warm runs do not
    share the machine with it."""
    import fcntl

    import apsw

    deadline = time.monotonic() + 600
    lock = data / "conversation.lock"
    while time.monotonic() < deadline:
        db = apsw.Connection(str(data / "sessions.db"), flags=apsw.SQLITE_OPEN_READONLY)
        db.setbusytimeout(5000)
        try:
            behind = db.execute(
                "SELECT count(*) FROM source_files WHERE conversation_offset IS NOT NULL").fetchone()[0]
        except apsw.SQLError:  # a checkout from before the conversation could wait: nothing waits
            behind = 0
        finally:
            db.close()
        if not behind:
            with open(lock, "a+") as f:  # and the process has let go of its lock
                fcntl.flock(f, fcntl.LOCK_EX)
            seconds = time.perf_counter() - started
            return {"seconds": seconds, "peak_mb": 0.0, "cpu_s": None, "code": 0, "stderr": "", "error": None}
        time.sleep(0.01)
    return {"seconds": None, "peak_mb": None, "cpu_s": None, "code": 1, "stderr": "",
            "error": "conversation not stored in 600 s"}


# What any Python command on our stack pays before its first line of work: the
# interpreter, then the libraries every command imports (the CLI parser, msgspec
# for the data model, apsw for the store). Measured in the same run, so the warm
# case can be read against what no Python code can go under.
FLOORS = {
    "python": "pass",
    "python+imports": "import argparse, pathlib, msgspec, apsw",
}


def bench_floors(home: Path, work: Path, n: int) -> dict:
    return {
        name: summarize([measure([sys.executable, "-c", code], sandbox_env(home), work / "floor.out")
                         for _ in range(n)])
        for name, code in FLOORS.items()
    }


def _json_or_error(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        return {"error": f"not one JSON document on stdout: {error}"}


def by_day_ccusage(doc: dict) -> dict[str, dict[str, int]]:
    return {d["date"]: {f: d[CCUSAGE_FIELDS[f]] for f in FIELDS} for d in doc["daily"]}


def by_day_ours(doc: dict) -> dict[str, dict[str, int]]:
    return {r["key"]: {f: r[f] for f in FIELDS} for r in doc["rows"]}


def by_day_truth(days: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {d: {**v, "total_tokens": sum(v.values())} for d, v in days.items()}


def mismatches(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> list[str]:
    """One line per day whose token counts differ: each field as "a vs b"."""
    out = []
    for day in sorted(set(a) | set(b)):
        x, y = a.get(day), b.get(day)
        if x != y:
            fields = [f for f in FIELDS if (x or {}).get(f) != (y or {}).get(f)]
            out.append(f"{day}: " + ", ".join(f"{f} {(x or {}).get(f)} vs {(y or {}).get(f)}" for f in fields))
    return out


def cost_by_day_ccusage(doc: dict) -> dict[str, float]:
    return {d["date"]: d["totalCost"] for d in doc["daily"]}


def cost_by_day_ours(doc: dict) -> dict[str, float]:
    """The priced part of each day (ccusage counts an unpriced model as $0, we as unknown)."""
    return {r["key"]: r["cost_usd"] or 0.0 for r in doc["rows"]}


def cost_mismatches(ours: dict[str, float], theirs: dict[str, float]) -> list[str]:
    """One line per day whose cost differs from ccusage's by more than COST_TOLERANCE."""
    out = []
    for day in sorted(set(ours) | set(theirs)):
        a, b = ours.get(day), theirs.get(day)
        if a is None or b is None or abs(a - b) > COST_TOLERANCE * abs(b) + 1e-9:
            off = "" if a is None or b is None or not b else f" ({(a - b) / b:+.2%})"
            out.append(f"{day}: ${a} vs ${b}{off}")
    return out


def worst_cost_error(ours: dict[str, float], theirs: dict[str, float]) -> float | None:
    """The largest relative difference of one day's cost from ccusage's."""
    errors = [abs(ours[d] - c) / c for d, c in theirs.items() if c and d in ours]
    return max(errors, default=None)


def bench_prices_fixture(home: Path, work: Path) -> dict:
    """Per-day dollars against ccusage on tests/fixtures/claude-code-prices: one-hour cache
    writes, Claude 3 to Opus 4.6, tiered Sonnet 4.5, a model without a price."""
    try:
        binary = ensure_ccusage()
    except (OSError, subprocess.CalledProcessError, KeyError) as error:
        return {"error": f"cannot install ccusage: {error}"}
    cc = measure([str(binary), "claude", "daily", "--json", "--offline"],
                 sandbox_env(home, claude=PRICES_FIXTURE), work / "prices-ccusage.json")
    ours = measure([*_ours_command(), "usage", "--by", "day", "--json"],
                   sandbox_env(home, work / "prices-data", claude=PRICES_FIXTURE), work / "prices-ours.json")
    if cc["error"] or ours["error"]:
        return {"error": cc["error"] or ours["error"]}
    theirs = cost_by_day_ccusage(json.loads((work / "prices-ccusage.json").read_text()))
    mine = cost_by_day_ours(json.loads((work / "prices-ours.json").read_text()))
    return {"days": len(theirs), "cost_vs_ccusage": cost_mismatches(mine, theirs),
            "worst_day_error": worst_cost_error(mine, theirs), "ccusage": theirs, "ours": mine}


def verdict(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "ERROR"}[ok]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", choices=SIZES, default="200m",
                        help="corpus: 200m (2,000 files, warm target 5x) or 1g (10,000 files, warm target 20x)")
    parser.add_argument("--mb", type=int, help="corpus size in MB (overrides --size)")
    parser.add_argument("--files", type=int, help="log files (overrides --size)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    mb, files, faster = SIZES[args.size]
    args.mb, args.files = args.mb or mb, args.files or files

    CACHE.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(args.mb * 1_000_000, args.files, args.seed)
    with tempfile.TemporaryDirectory(prefix="llm-session-bench-") as tmp:
        home, work = Path(tmp) / "home", Path(tmp) / "work"
        for d in (home / "codex", work):
            d.mkdir(parents=True)
        cc_cmd, cc_error = ccusage_command()
        cc_out, cc_runs = work / "ccusage.json", []

        def peer() -> None:
            if cc_cmd:
                cc_runs.append(measure(cc_cmd, sandbox_env(home), cc_out))

        if cc_cmd:
            measure(cc_cmd, sandbox_env(home), cc_out)  # warm-up: both tools then read from the page cache
        print("running ccusage and llm-session, interleaved ...", flush=True)
        ours, our_doc = bench_ours(home, work, args.runs, peer)
        cc = {**summarize(cc_runs), "version": CCUSAGE_VERSION} if cc_cmd else {"error": cc_error}
        cc_doc = json.loads(cc_out.read_text()) if cc_cmd and cc.get("error") is None else None
        floors = bench_floors(home, work, max(args.runs, 5))
        prices = bench_prices_fixture(home, work)

    truth = by_day_truth(corpus["stats"]["days"])
    totals: dict = {"days": len(truth), "ccusage_vs_truth": None, "ours_vs_ccusage": None}
    if cc_doc:
        totals["ccusage_vs_truth"] = mismatches(by_day_ccusage(cc_doc), truth)
    if our_doc:
        totals["ours_vs_truth"] = mismatches(by_day_ours(our_doc), truth)
    if cc_doc and our_doc:
        totals["ours_vs_ccusage"] = mismatches(by_day_ours(our_doc), by_day_ccusage(cc_doc))
        totals["cost_usd"] = {"ccusage": cc_doc["totals"]["totalCost"], "ours": our_doc["totals"]["cost_usd"]}
        theirs, mine = cost_by_day_ccusage(cc_doc), cost_by_day_ours(our_doc)
        totals["cost_vs_ccusage"] = cost_mismatches(mine, theirs)
        totals["worst_day_cost_error"] = worst_cost_error(mine, theirs)

    base = cc.get("median_s")
    cold, warm = ours["cold"]["median_s"], ours["warm"]["median_s"]
    peaks = [p for p in (ours["cold"]["peak_mb"], ours["warm"]["peak_mb"]) if p is not None]
    targets = {
        "cold usage (scan+report) <= ccusage": None if cold is None or base is None else cold <= base,
        f"warm usage (rescan+report) <= ccusage/{faster}": None if warm is None or base is None else warm <= base / faster,
        f"peak RSS < {RSS_LIMIT_MB} MB": None if not peaks or ours["cold"]["error"] else max(peaks) < RSS_LIMIT_MB,
        "per-day totals equal ccusage": None if totals["ours_vs_ccusage"] is None else not totals["ours_vs_ccusage"],
        "per-day cost within 0.5 % of ccusage": (
            None if totals.get("cost_vs_ccusage") is None else not totals["cost_vs_ccusage"]
        ),
        "per-day cost within 0.5 % of ccusage (prices fixture)": (
            None if prices.get("error") else not prices["cost_vs_ccusage"]
        ),
    }

    stats = corpus["stats"]
    print(
        f"\ncorpus: {stats['bytes'] / 1e6:.1f} MB, {stats['files']} files, {stats['lines']} lines, "
        f"{stats['assistant_lines']} assistant lines, {stats['unique_responses']} unique responses, {len(truth)} days"
    )
    print(f"\n{'tool':<16}{'case':<8}{'median s':>10}{'best s':>9}{'cpu s':>8}{'peak RSS MB':>13}{'vs ccusage':>12}")
    rows = [
        ("ccusage", "daily", cc),
        ("llm-session", "cold", ours["cold"]),
        ("llm-session", "+conv", ours["conversation"]),
        ("llm-session", "warm", ours["warm"]),
        *((name, "floor", floor) for name, floor in floors.items()),
    ]
    for tool, case, r in rows:
        if r.get("median_s") is None:
            print(f"{tool:<16}{case:<8}  error: {r.get('error')}")
            continue
        ratio = f"{r['median_s'] / base:.2f}x" if base else "-"
        cpu = "-" if r.get("median_cpu_s") is None else f"{r['median_cpu_s']:.3f}"
        print(f"{tool:<16}{case:<8}{r['median_s']:>10.3f}{r['best_s']:>9.3f}{cpu:>8}{r['peak_mb']:>13.1f}{ratio:>12}")
    print()
    for name, ok in targets.items():
        print(f"  {verdict(ok):<6}{name}")
    worst = totals.get("worst_day_cost_error")
    if worst is not None:
        print(f"\ncost: ours ${totals['cost_usd']['ours']:,.2f} vs ccusage ${totals['cost_usd']['ccusage']:,.2f}; "
              f"worst day {worst:.4%} off")
    if not prices.get("error"):
        print(f"prices fixture: {prices['days']} days, worst day {prices['worst_day_error']:.4%} off ccusage")
    listed = {k: totals.get(k) for k in ("ours_vs_ccusage", "ccusage_vs_truth", "ours_vs_truth", "cost_vs_ccusage")}
    listed["prices fixture cost_vs_ccusage"] = prices.get("cost_vs_ccusage")
    for label, diffs in listed.items():
        if diffs:
            print(f"\n{label}: {len(diffs)} days differ")
            for line in diffs[:10]:
                print("   ", line)

    RESULTS.write_text(
        json.dumps(
            {
                "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                },
                "corpus": {
                    **corpus["params"],
                    **{k: v for k, v in stats.items() if k != "days"},
                    "generate_s": corpus["seconds"],
                },
                "ccusage": cc,
                "ours": ours,
                "floors": {"code": FLOORS, **floors},
                "totals": totals,
                "prices_fixture": prices,
                "targets": {name: verdict(ok) for name, ok in targets.items()},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
