"""A store of a million realistic messages for ``bench/search.py``, built straight into SQLite.

No logs: messages are written with ``executemany`` in large transactions, so the
store takes a minute or two to build, once; it is cached in ``bench/.cache`` while
the size, seed and this file are unchanged (as ``bench/run.py`` caches its corpus).

The text is what coding sessions hold: prompts, answers, tool errors and summaries
drawn from the demo corpus's phrases, source chunks and command outputs, mixed with
a long Zipf-distributed tail of identifiers (so rare words are rare, as in real
logs), a few distinctive needles, and a secret in one message in 2,000 (stored raw,
as a store written before ingest redacted would hold it).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from itertools import accumulate
from pathlib import Path

from llm_session_manager.demo_logs import _content, corpus
from llm_session_manager.store import DB_NAME, connect, write_transaction
from llm_session_manager.store.bulk import bulk_load

PROVIDERS = (("claude-code", 6), ("codex", 3), ("gemini", 1))
PROJECTS = [f"proj-{i:02d}" for i in range(60)]
NEEDLES = ("xylophonic", "quetzalcoatl", "zanzibarite")  # each in about 50 messages
SECRET = "sk-ant-api03-" + "Q" * 80 + "AA"  # the shape of an Anthropic key
YEAR = 365 * 86400

_ERRORS = [
    "Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)",
    "Traceback (most recent call last):\n  File \"app/db.py\", line 88, in connect\n"
    "psycopg.OperationalError: connection refused: is the server running on port 5432?",
    "error[E0382]: borrow of moved value: `config`\n  --> src/main.rs:41:20",
    "TypeError: Cannot read properties of undefined (reading 'map')\n    at OrderList (src/components/OrderList.tsx:23:19)",
    "fatal: not a git repository (or any of the parent directories): .git",
    "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree",
    "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
    "Claude AI usage limit reached|1735689600",
]
_SUMMARIES = [
    "Fixing the flaky rate limit test and the retry backoff",
    "Pagination for the orders endpoint with cursor tokens",
    "Migrating the billing service from Flask to FastAPI",
    "Debugging the memory leak in the websocket handler",
]


def _tail_words(rng: random.Random, n: int) -> list[str]:
    """Identifiers and words of the long tail: ``n`` of them, Zipf-ranked by position."""
    syllables = ["ka", "lo", "mi", "ren", "tas", "vo", "qui", "zel", "dor", "pha", "gri", "nu", "sel", "tor"]
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(n * 2)}
    return sorted(words)[:n]


class Pools:
    """Pieces of text by kind, made once from the demo corpus's phrases and outputs."""

    def __init__(self, rng: random.Random) -> None:
        self.prompts = list(corpus._PROMPTS)
        self.answers = list(corpus._ANSWERS)
        self.code = [_content.source(rng, lang, rng.randint(4, 20)) for lang in ("py", "ts", "tf", "md") for _ in range(50)]
        commands = [c for cs in corpus._COMMANDS.values() for c in cs]
        self.outputs = [_content.bash_output(rng, f"/home/dev/{rng.choice(PROJECTS)}", rng.choice(commands), ok=False)
                        for _ in range(100)]
        self.tail = _tail_words(rng, 50_000)
        # Zipf over the tail (weight 1/rank), cumulative so that sampling is a bisection
        self.tail_cum = list(accumulate(1.0 / (r + 1) for r in range(len(self.tail))))


def message(rng: random.Random, pools: Pools, kind: str) -> str:
    tail = " ".join(rng.choices(pools.tail, cum_weights=pools.tail_cum, k=rng.randint(3, 12)))
    if kind == "prompt":
        return f"{rng.choice(pools.prompts)} {tail}"
    if kind == "text":
        parts = [rng.choice(pools.answers), tail]
        if rng.random() < 0.3:
            parts.append("```\n" + rng.choice(pools.code) + "```")
        return " ".join(parts)
    if kind == "tool_error":
        return rng.choice(_ERRORS) + "\n" + (rng.choice(pools.outputs) if rng.random() < 0.5 else tail)
    if kind == "api_error":
        return rng.choice(_ERRORS[-2:])
    return f"{rng.choice(_SUMMARIES)} {tail}"


_KINDS = (("user", "prompt", 25), ("assistant", "text", 60), ("user", "tool_error", 10),
          ("assistant", "api_error", 2), ("system", "summary", 3))


def build(path: Path, messages: int, seed: int) -> dict:
    """Write the store at ``path``; return what is in it and how long it took."""
    rng = random.Random(seed)
    pools = Pools(rng)
    per_session = 100
    n_sessions = max(1, messages // per_session)
    now = 1_767_225_600.0  # 2026-01-01: dated, so the same seed makes the same store
    conn = connect(path)
    started = time.perf_counter()
    providers = [p for p, w in PROVIDERS for _ in range(w)]
    kinds = [(r, k) for r, k, w in _KINDS for _ in range(w)]
    needle_every = max(1, messages // 50)
    with bulk_load(conn, enabled=True):
        for first in range(0, n_sessions, 1000):
            with write_transaction(conn):
                for s in range(first, min(n_sessions, first + 1000)):
                    sid = hashlib.sha1(f"{seed}:{s}".encode()).hexdigest()
                    provider, project = rng.choice(providers), rng.choice(PROJECTS)
                    start = now - rng.random() * YEAR
                    conn.execute("INSERT INTO sessions (id, provider, cwd, project, title, started_at, last_activity) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (sid, provider, f"/home/dev/{project}", project, rng.choice(_SUMMARIES),
                                  start, start + per_session * 30))
                    rows = []
                    for m in range(per_session):
                        n = s * per_session + m
                        role, kind = rng.choice(kinds)
                        text = message(rng, pools, kind)
                        if n % needle_every == 7:
                            text += f" {NEEDLES[n % len(NEEDLES)]}"
                        if n % 2000 == 11:
                            text += f"\nexport ANTHROPIC_API_KEY={SECRET}"
                        rows.append((f"bench:{n}", sid, start + m * 30, role, kind, text))
                    conn.executemany("INSERT INTO messages (key, session_id, ts, role, kind, text) "
                                     "VALUES (?, ?, ?, ?, ?, ?)", rows)
    insert_s = time.perf_counter() - started  # a bulk load, as a first big scan: indexed once at its end
    # What migration 019 does to an existing store of this size: fill the index from scratch.
    started = time.perf_counter()
    with write_transaction(conn):
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    rebuild_s = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    conn.close()
    return {"messages": count, "sessions": n_sessions, "insert_s": round(insert_s, 1),
            "backfill_rebuild_s": round(rebuild_s, 1), "mb": round(path.stat().st_size / 1e6, 1)}


def cached(cache: Path, messages: int, seed: int) -> tuple[Path, dict]:
    """The store for these arguments, built if the cache has none (or an outdated one)."""
    source = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:12]
    folder = cache / f"search-{messages}-{seed}"
    stamp = folder / "corpus.json"
    want = {"messages": messages, "seed": seed, "generator": source}
    if stamp.exists():
        known = json.loads(stamp.read_text())
        if known.get("want") == want and (folder / DB_NAME).exists():
            return folder / DB_NAME, known["stats"]
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{DB_NAME}*"):
        old.unlink()
    stats = build(folder / DB_NAME, messages, seed)
    stamp.write_text(json.dumps({"want": want, "stats": stats}, indent=2))
    return folder / DB_NAME, stats
