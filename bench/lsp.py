"""``llm-session lsp`` against a minimal pygls 2 server, on a store of about 1,000 sessions.

An editor starts the language server with every window and asks it for the status bar
every few seconds, so the server must start about as fast as any pygls server, answer in
well under a frame's worth of a keystroke, and cost nothing while the user is away. Each
target is measured against a peer in the same run -- a minimal pygls 2 server (one
feature, ``start_io``) that this script writes into a temporary directory -- because the
machine's load moves absolute numbers from run to run:

1. **start-up**: spawn -> ``initialize`` answered, interleaved runs; median <= 1.2x minimal.
   ``python -X importtime`` says which packages make the difference.
2. **request latency**: 500 each of ``llmSession/sessions``, ``llmSession/status`` (with a
   cwd) and hover on a ``CLAUDE.md``, one at a time over one connection, timed by the
   client from writing the request to the last byte of the answer; p99 < 20 ms. The
   minimal server's trivial request is the floor of the pipe and of pygls.
3. **idle CPU**: both servers initialized and left alone for 20 s; CPU time over the
   window (``psutil``) as a share of one core; ~0 (< 0.1%).

Everything runs in a sandbox: a temporary HOME, XDG dirs, ``LLM_SESSION_DATA_DIR``,
``CLAUDE_CONFIG_DIR`` (logs generated with ``demo_logs.write_corpus``) and an empty
``CODEX_HOME``; nothing else from the environment but PATH and the locale.

Run with ``.venv/bin/python bench/lsp.py``. A missed target is reported, not an error:
the exit code is non-zero only when this script itself breaks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil
from llm_session_manager import demo_logs

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results-lsp.json"
STARTUP_RATIO = 1.2  # ours / minimal, median spawn -> initialize answered
P99_LIMIT_MS = 20.0
IDLE_LIMIT_PCT = 0.1  # of one core: 20 ms of CPU in 20 s
TIMEOUT_S = 30.0  # for any one answer; a server that takes longer is reported as an error
SESSIONS_PER_FILE = 0.9  # write_corpus: one file in ten is a sub-agent of an earlier session

# The peer: the smallest useful pygls 2 server, on pygls' own asyncio transport.
MINIMAL_SERVER = '''\
from pygls.lsp.server import LanguageServer

server = LanguageServer("minimal", "1.0")


@server.feature("bench/echo")
def echo(params):
    return {"ok": True}


server.start_io()
'''

# An instruction file of about 1,500 tokens in a few sections, as people write them.
CLAUDE_MD = "# Project notes\n\n" + "\n".join(
    f"## {title}\n\n" + "\n".join(f"- {line} ({title.lower()}, rule {i})." for i in range(12)) + "\n"
    for title, line in [
        ("Build", "Run `make test` before every commit and keep the tree green"),
        ("Style", "Prefer small modules named for their job, with docstrings that explain why"),
        ("Testing", "Write tests that read like the user's story, with fixtures shaped like real logs"),
        ("Architecture", "Sources feed ingest, ingest feeds the store, services read the store"),
        ("Releases", "Tag releases from main only after the changelog names every user-visible change"),
    ]
)


# --- a JSON-RPC client over a subprocess' pipes ------------------------------------


class ServerError(Exception):
    """The server died, timed out or answered with an error."""


class Client:
    """One server process and a blocking JSON-RPC client on its stdin and stdout.

    Requests go one at a time, so a request's time is its round trip and nothing
    else: from the first byte written to the last byte of the answer read (the
    client's JSON decoding is not counted). Requests from the server are answered
    with ``null``; notifications are counted.
    """

    def __init__(self, cmd: list[str], env: dict[str, str], cwd: Path, stderr: Path) -> None:
        self.started = time.perf_counter()
        with stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env, cwd=cwd, bufsize=0
            )
        self.stderr = stderr
        self.ps = psutil.Process(self.proc.pid)
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        self._buf = bytearray()
        self._id = 0
        self._last_read = self.answered_at = self.started
        self.notifications: dict[str, int] = defaultdict(int)

    def request(self, method: str, params: Any = None) -> tuple[Any, float]:
        """The result and the round trip in seconds."""
        self._id += 1
        rid = self._id
        start = time.perf_counter()
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            body, at = self._receive(start + TIMEOUT_S)
            msg = json.loads(body)
            if "method" not in msg and msg.get("id") == rid:
                if "error" in msg:
                    raise ServerError(f"{method}: {msg['error'].get('message')}")
                self.answered_at = at
                return msg.get("result"), at - start
            if "method" in msg and "id" in msg:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            elif "method" in msg:
                self.notifications[msg["method"]] += 1

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def initialize(self, root: Path, options: dict | None = None) -> float:
        """``initialize``; seconds from spawning the process to the answer."""
        params = {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}}},
            "initializationOptions": options,
        }
        self.request("initialize", params)
        return self.answered_at - self.started

    def stop(self) -> int | None:
        """``shutdown`` and ``exit``, then the exit code (the process is killed if it hangs)."""
        try:
            if self.proc.poll() is None:
                self.request("shutdown")
                self.notify("exit")
            return self.proc.wait(timeout=10)
        except (ServerError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.proc.stdin.close()
            self.proc.stdout.close()

    def error(self, message: str) -> str:
        tail = self.stderr.read_text(errors="replace").strip()[-600:] if self.stderr.exists() else ""
        return f"{message}" + (f"; stderr: {tail}" if tail else "")

    def _send(self, msg: dict) -> None:
        body = json.dumps(msg, separators=(",", ":")).encode()
        data = memoryview(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        while data:
            data = data[os.write(self._in, data) :]

    def _receive(self, deadline: float) -> tuple[bytes, float]:
        """The next message body, and when its last byte arrived."""
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end >= 0:
                length = int(
                    next(
                        line.split(b":", 1)[1]
                        for line in bytes(self._buf[:end]).split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    )
                )
                stop = end + 4 + length
                if len(self._buf) >= stop:
                    body = bytes(self._buf[end + 4 : stop])
                    del self._buf[:stop]
                    return body, self._last_read
            left = deadline - time.perf_counter()
            if left <= 0 or not select.select([self._out], [], [], left)[0]:
                raise ServerError(self.error(f"no answer within {TIMEOUT_S:.0f} s"))
            chunk = os.read(self._out, 1 << 20)
            self._last_read = time.perf_counter()
            if not chunk:
                code = self.proc.wait()
                raise ServerError(self.error(f"the server exited with {code}"))
            self._buf += chunk


# --- the sandbox -------------------------------------------------------------------


class Sandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.claude = root / "claude"
        self.data = root / "data"
        self.workspace = root / "workspace"
        self.minimal = root / "minimal_server.py"
        for d in (self.home / "codex", self.data, self.workspace):
            d.mkdir(parents=True)
        self.minimal.write_text(MINIMAL_SERVER)
        self.claude_md = self.workspace / "CLAUDE.md"
        self.claude_md.write_text(CLAUDE_MD)

    def env(self) -> dict[str, str]:
        """A minimal environment: nothing from the user's shell but PATH and locale."""
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_STATE_HOME=str(self.home / ".local/state"),
            TZ="UTC",
            NO_COLOR="1",
            CLAUDE_CONFIG_DIR=str(self.claude),
            CODEX_HOME=str(self.home / "codex"),
            LLM_SESSION_DATA_DIR=str(self.data),
        )
        return env

    def command(self, server: str, *flags: str) -> list[str]:
        if server == "minimal":
            return [sys.executable, *flags, str(self.minimal)]
        return [sys.executable, *flags, "-m", "llm_session_manager", "lsp"]

    def spawn(self, server: str, *flags: str) -> Client:
        stderr = self.root / f"stderr-{server}-{time.monotonic_ns()}.log"
        return Client(self.command(server, *flags), self.env(), self.workspace, stderr)

    def build_store(self, sessions: int, seed: int) -> dict:
        """Logs for about ``sessions`` sessions, then ``llm-session scan`` into the sandbox store."""
        files = round(sessions / SESSIONS_PER_FILE)
        start = time.perf_counter()
        stats = demo_logs.write_corpus(self.claude, files * 8_000, files, seed)
        generated = time.perf_counter() - start
        scan = subprocess.run(
            [sys.executable, "-m", "llm_session_manager", "scan", "--json"],
            env=self.env(), capture_output=True, text=True, check=True,
        )
        result = json.loads(scan.stdout)
        return {
            "files": stats.files,
            "bytes": stats.bytes,
            "lines": stats.lines,
            "generate_s": round(generated, 2),
            "scan": result,
            "sessions": result["sessions"],
        }


# --- statistics --------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks."""
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def ms_summary(seconds: list[float], *percentiles: int) -> dict:
    ms = [s * 1000 for s in seconds]
    out = {"n": len(ms), "median_ms": round(statistics.median(ms), 3)}
    for p in percentiles:
        out[f"p{p}_ms"] = round(pct(ms, p), 3)
    out.update(best_ms=round(min(ms), 3), max_ms=round(max(ms), 3))
    return out


def verdict(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "ERROR"}[ok]


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


# --- 1. start-up -------------------------------------------------------------------


def bench_startup(box: Sandbox, runs: int) -> dict:
    """Spawn -> ``initialize`` answered, the two servers interleaved (each warmed up once)."""
    times: dict[str, list[float]] = {"minimal": [], "ours": []}
    cpu: dict[str, list[float]] = {"minimal": [], "ours": []}  # less moved by a busy machine than wall time
    errors: dict[str, str] = {}
    bare: list[float] = []
    for i in range(-1, runs):  # run -1 warms the page cache and the .pyc files
        order = ("minimal", "ours") if i % 2 == 0 else ("ours", "minimal")
        for server in order:
            if server in errors:
                continue
            client = box.spawn(server)
            try:
                seconds = client.initialize(box.workspace)
                used = client.ps.cpu_times()
            except (ServerError, psutil.Error) as e:
                errors[server] = str(e)
                continue
            finally:
                client.stop()
            if i >= 0:
                times[server].append(seconds)
                cpu[server].append(used.user + used.system)
        if i >= 0:  # the interpreter alone, for scale: spawn -> exit of `python -c pass`
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], env=box.env(), check=True)
            bare.append(time.perf_counter() - start)
    out = {
        s: (ms_summary(t, 90) | {"cpu_median_ms": round(statistics.median(cpu[s]) * 1000, 1)} if t else {})
        | {"error": errors.get(s)}
        for s, t in times.items()
    }
    out["python -c pass"] = ms_summary(bare, 90) | {"error": None}
    out["ratio_median"] = ratio(out["ours"].get("median_ms"), out["minimal"].get("median_ms"))
    out["ratio_p90"] = ratio(out["ours"].get("p90_ms"), out["minimal"].get("p90_ms"))
    out["ratio_cpu"] = ratio(out["ours"].get("cpu_median_ms"), out["minimal"].get("cpu_median_ms"))
    return out


def importtime(box: Sandbox, server: str, runs: int) -> dict:
    """``python -X importtime`` up to the ``initialize`` answer: self time per top-level package."""
    per_run: list[dict[str, float]] = []
    per_run_whole: list[dict[str, float]] = []
    modules = 0
    for _ in range(runs):
        client = box.spawn(server, "-X", "importtime")
        try:
            client.initialize(box.workspace)
        finally:
            client.stop()
        rows = []  # (depth, package, self ms, cumulative ms), children before their parent
        for line in client.stderr.read_text(errors="replace").splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cumulative_us, name = line[len("import time:") :].split("|")
            depth = len(name) - len(name.lstrip())
            rows.append((depth, name.strip().split(".")[0], int(self_us) / 1000, int(cumulative_us) / 1000))
        modules = len(rows)
        packages: dict[str, float] = defaultdict(float)
        whole: dict[str, float] = defaultdict(float)
        stack: list[tuple[int, str]] = []  # the path from the root, walking the tree parents first
        for depth, package, self_ms, cumulative_ms in reversed(rows):
            while stack and stack[-1][0] >= depth:
                stack.pop()
            packages[package] += self_ms
            if not stack or stack[-1][1] != package:  # entered from outside: count all it pulled in
                whole[package] += cumulative_ms
            stack.append((depth, package))
        per_run.append(packages)
        per_run_whole.append(whole)
    return {
        "runs": runs,
        "modules": modules,
        "total_ms": round(sum(_median_of(per_run).values()), 1),
        "by_package_ms": _median_of(per_run),  # self time: sums to the total
        # Each package with what it imported first (so they overlap): what leaving it out would save.
        "cumulative_ms": _median_of(per_run_whole),
    }


def _median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    names = set().union(*runs)
    median = {n: statistics.median(r.get(n, 0.0) for r in runs) for n in names}
    return {n: round(ms, 1) for n, ms in sorted(median.items(), key=lambda kv: -kv[1])}


# --- 2. request latency ------------------------------------------------------------


def bench_requests(box: Sandbox, n: int) -> dict:
    """``n`` of each request, round-robin over one connection per server, after a warm-up."""
    claude_uri = box.claude_md.as_uri()
    plain_uri = (box.workspace / "notes.md").as_uri()
    hover = lambda uri: {"textDocument": {"uri": uri}, "position": {"line": 20, "character": 4}}  # noqa: E731
    out: dict[str, Any] = {}

    client = box.spawn("ours")
    try:
        client.initialize(box.workspace)
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": claude_uri, "languageId": "markdown", "version": 1, "text": CLAUDE_MD,
        }})
        refresh, refresh_s = client.request("workspace/executeCommand", {"command": "llmSession.refresh"})
        sessions, _ = client.request("llmSession/sessions", {})
        projects = [s["cwd"] for s in sessions if s.get("cwd")]
        cwd = max(set(projects), key=projects.count) if projects else str(box.workspace)
        cases = {
            "llmSession/sessions": ("llmSession/sessions", {}),
            "llmSession/status": ("llmSession/status", {"cwd": cwd}),
            "hover CLAUDE.md": ("textDocument/hover", hover(claude_uri)),
            "hover other file": ("textDocument/hover", hover(plain_uri)),
        }
        first, _ = client.request(*cases["hover CLAUDE.md"])  # waits for the first count (tiktoken's tables)
        for _ in range(5):
            for method, params in cases.values():
                client.request(method, params)
        times: dict[str, list[float]] = {case: [] for case in cases}
        results: dict[str, Any] = {}
        for _ in range(n):
            for case, (method, params) in cases.items():
                results[case], seconds = client.request(method, params)
                times[case].append(seconds)
        # A rescan with nothing new, as a client's refresh button does (no target; fewer runs).
        refresh = {"command": "llmSession.refresh"}
        times["llmSession.refresh"] = [client.request("workspace/executeCommand", refresh)[1]
                                       for _ in range(max(5, n // 25))]
        status = results["llmSession/status"]
        out["ours"] = {case: ms_summary(t, 50, 99) for case, t in times.items()}
        out["ours"]["error"] = None
        out["context"] = {
            "sessions_returned": len(sessions),
            "sessions_json_bytes": len(json.dumps(sessions, separators=(",", ":"))),
            "status_cwd": cwd,
            "status_cwd_sessions": projects.count(cwd),
            "status_label": status.get("label") if isinstance(status, dict) else None,
            "hover_first_line": (first or {}).get("contents", {}).get("value", "").split("\n")[0],
            "first_refresh_ms": round(refresh_s * 1000, 1),  # alongside the start-up scan
            "refresh": refresh,
            "notifications": dict(client.notifications),
        }
    except ServerError as e:
        out["ours"] = {"error": str(e)}
    finally:
        client.stop()

    client = box.spawn("minimal")
    try:
        client.initialize(box.workspace)
        client.notify("initialized", {})
        for _ in range(20):
            client.request("bench/echo", {})
        floor = [client.request("bench/echo", {})[1] for _ in range(n)]
        out["minimal"] = {"bench/echo": ms_summary(floor, 50, 99), "error": None}
    except ServerError as e:
        out["minimal"] = {"error": str(e)}
    finally:
        client.stop()
    return out


# --- 3. idle CPU -------------------------------------------------------------------


def bench_idle(box: Sandbox, idle_s: float, settle_s: float) -> dict:
    """Both servers initialized at once, left alone; CPU over the same ``idle_s`` window.

    ``llm-session`` gets the defaults an editor sends (a start-up scan, the store
    watcher polling every 5 s). The first ``settle_s`` seconds -- the start-up scan
    and the watcher's first look at what it wrote -- are reported but not counted.
    """
    clients: dict[str, Client] = {}
    out: dict[str, Any] = {}
    try:
        for server in ("minimal", "ours"):
            client = clients[server] = box.spawn(server)
            client.initialize(box.workspace)
            client.notify("initialized", {})
        time.sleep(settle_s)
        before = {s: _sample(c) for s, c in clients.items()}
        start = time.perf_counter()
        time.sleep(idle_s)
        wall = time.perf_counter() - start
        after = {s: _sample(c) for s, c in clients.items()}
        for server in clients:
            b, a = before[server], after[server]
            cpu = a["cpu_s"] - b["cpu_s"]
            out[server] = {
                "window_s": round(wall, 2),
                "cpu_ms": round(cpu * 1000, 1),
                "core_pct": round(100 * cpu / wall, 3),
                "resolution_ms": round(1000 / os.sysconf("SC_CLK_TCK"), 1) if hasattr(os, "sysconf") else None,
                "startup_cpu_ms": round(b["cpu_s"] * 1000, 1),  # spawn to the start of the window
                "ctx_switches": a["ctx"] - b["ctx"],
                "threads": a["threads"],
                "rss_mb": round(a["rss_mb"], 1),
                "error": None,
            }
    except (ServerError, psutil.Error) as e:
        for server in ("minimal", "ours"):
            out.setdefault(server, {"error": str(e)})
    finally:
        for client in clients.values():
            client.stop()
    return out


def _sample(client: Client) -> dict:
    with client.ps.oneshot():
        cpu = client.ps.cpu_times()
        ctx = client.ps.num_ctx_switches()
        return {
            "cpu_s": cpu.user + cpu.system,
            "ctx": ctx.voluntary + ctx.involuntary,
            "threads": client.ps.num_threads(),
            "rss_mb": client.ps.memory_info().rss / 2**20,
        }


# --- report ------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="start-up runs of each server")
    parser.add_argument("--requests", type=int, default=500, help="of each request")
    parser.add_argument("--sessions", type=int, default=1000, help="about this many sessions in the store")
    parser.add_argument("--idle", type=float, default=20.0, help="idle window in seconds")
    parser.add_argument("--settle", type=float, default=7.0, help="seconds after initialized before the window")
    parser.add_argument("--importtime-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="llm-session-bench-lsp-") as tmp:
        box = Sandbox(Path(tmp))
        print(f"building a store of about {args.sessions} sessions ...", flush=True)
        store = box.build_store(args.sessions, args.seed)
        print(f"start-up: {args.runs} interleaved runs of each server ...", flush=True)
        startup = bench_startup(box, args.runs)
        imports = {}
        for server in ("minimal", "ours"):
            try:
                imports[server] = importtime(box, server, args.importtime_runs)
            except ServerError as e:
                imports[server] = {"error": str(e)}
        print(f"requests: {args.requests} of each over one connection ...", flush=True)
        requests = bench_requests(box, args.requests)
        print(f"idle: {args.settle:g} s to settle, then {args.idle:g} s ...", flush=True)
        idle = bench_idle(box, args.idle, args.settle)

    # Packages ours imports that the minimal server does not, or pays more for.
    gap = {}
    if "by_package_ms" in imports.get("ours", {}) and "by_package_ms" in imports.get("minimal", {}):
        theirs = imports["minimal"]["by_package_ms"]
        extra = {n: round(ms - theirs.get(n, 0.0), 1) for n, ms in imports["ours"]["by_package_ms"].items()}
        gap = dict(sorted(((n, d) for n, d in extra.items() if d > 0), key=lambda kv: -kv[1])[:10])

    ours_req, floor = requests.get("ours", {}), requests.get("minimal", {}).get("bench/echo", {})
    targets = {
        f"start-up median <= {STARTUP_RATIO}x minimal pygls":
            None if startup["ratio_median"] is None else startup["ratio_median"] <= STARTUP_RATIO,
    }
    for case in ("llmSession/sessions", "llmSession/status", "hover CLAUDE.md"):
        p99 = ours_req.get(case, {}).get("p99_ms")
        targets[f"{case} p99 < {P99_LIMIT_MS:g} ms"] = None if p99 is None else p99 < P99_LIMIT_MS
    idle_pct = idle.get("ours", {}).get("core_pct")
    targets[f"idle CPU < {IDLE_LIMIT_PCT:g}% of one core"] = None if idle_pct is None else idle_pct < IDLE_LIMIT_PCT

    print(
        f"\nstore: {store['sessions']} sessions from {store['files']} Claude Code logs "
        f"({store['bytes'] / 1e6:.1f} MB); machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print(f"\nstart-up, spawn -> initialize answered ({args.runs} interleaved runs)")
    print(f"{'server':<18}{'median ms':>10}{'p90 ms':>9}{'best ms':>9}{'vs minimal':>12}{'CPU ms':>9}{'CPU vs':>8}")
    base = startup["minimal"].get("median_ms")
    for label, key in (("minimal pygls", "minimal"), ("llm-session lsp", "ours"), ("python -c pass", "python -c pass")):
        r = startup[key]
        if r.get("median_ms") is None:
            print(f"{label:<18}  error: {r.get('error')}")
            continue
        vs = f"{r['median_ms'] / base:.2f}x" if base else "-"
        line = f"{label:<18}{r['median_ms']:>10.1f}{r['p90_ms']:>9.1f}{r['best_ms']:>9.1f}{vs:>12}"
        if "cpu_median_ms" in r:  # user+system time of the server up to its answer (10 ms ticks)
            cpu_base = startup["minimal"].get("cpu_median_ms")
            cpu_vs = f"{r['cpu_median_ms'] / cpu_base:.2f}x" if cpu_base else "-"
            line += f"{r['cpu_median_ms']:>9.0f}{cpu_vs:>8}"
        print(line)
    for server, label in (("minimal", "minimal pygls"), ("ours", "llm-session lsp")):
        r = imports.get(server, {})
        if "error" in r:
            print(f"  imports, {label}: error: {r['error']}")
            continue
        top = ", ".join(f"{n} {ms:.0f}" for n, ms in list(r["cumulative_ms"].items())[:10])
        print(f"  imports, {label}: {r['total_ms']:.0f} ms in {r['modules']} modules; "
              f"top 10 packages, cumulative ms: {top}")
    if gap:
        print("  self time ours spends more than minimal, by package (ms): " + ", ".join(f"{n} +{d:.0f}" for n, d in gap.items()))

    print(f"\nrequests, one at a time over one connection ({args.requests} each, round-robin)")
    print(f"{'server':<18}{'request':<22}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'p50 vs floor':>14}")
    rows = [("minimal pygls", "bench/echo (floor)", floor)]
    rows += [("llm-session lsp", case, ours_req.get(case, {})) for case in
             ("hover other file", "hover CLAUDE.md", "llmSession/status", "llmSession/sessions",
              "llmSession.refresh")]
    for label, case, r in rows:
        if r.get("p50_ms") is None:
            err = requests.get("minimal" if label.startswith("minimal") else "ours", {}).get("error")
            print(f"{label:<18}{case:<22}  error: {err}")
            continue
        vs = f"{r['p50_ms'] / floor['p50_ms']:.1f}x" if floor.get("p50_ms") else "-"
        print(f"{label:<18}{case:<22}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['max_ms']:>8.2f}{vs:>14}")
    ctx = requests.get("context")
    if ctx:
        print(f"  sessions answer: {ctx['sessions_returned']} sessions, {ctx['sessions_json_bytes'] / 1e3:.0f} kB; "
              f"status cwd has {ctx['status_cwd_sessions']} sessions; the first llmSession.refresh, "
              f"alongside the start-up scan, {ctx['first_refresh_ms']:.0f} ms")

    tick = idle.get("ours", {}).get("resolution_ms")
    print(f"\nidle, {args.idle:g} s after initialized (+{args.settle:g} s to settle)"
          + (f"; CPU time moves in {tick:g} ms ticks" if tick else ""))
    print(f"{'server':<18}{'CPU ms':>8}{'% core':>8}{'ctx sw':>8}{'threads':>9}{'RSS MB':>8}{'start-up CPU ms':>17}")
    for label, key in (("minimal pygls", "minimal"), ("llm-session lsp", "ours")):
        r = idle.get(key, {})
        if r.get("error") or "cpu_ms" not in r:
            print(f"{label:<18}  error: {r.get('error')}")
            continue
        print(f"{label:<18}{r['cpu_ms']:>8.1f}{r['core_pct']:>8.3f}{r['ctx_switches']:>8}{r['threads']:>9}"
              f"{r['rss_mb']:>8.1f}{r['startup_cpu_ms']:>17.0f}")
    print()
    for name, ok in targets.items():
        print(f"  {verdict(ok):<6}{name}")

    RESULTS.write_text(json.dumps({
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_1min": round(os.getloadavg()[0], 2),
        },
        "args": vars(args),
        "store": store,
        "startup": startup,
        "imports": imports,
        "imports_gap_ms": gap,
        "requests": requests,
        "idle": idle,
        "targets": {name: verdict(ok) for name, ok in targets.items()},
    }, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
