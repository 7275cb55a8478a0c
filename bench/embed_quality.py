"""How good and how fast is the bundled static embedding model, against its teacher?

The static model (services/embed.py, built by scripts/make_embedding_model.py) is
a distillation of all-MiniLM-L6-v2: a table lookup instead of a transformer. This
measures what that costs in retrieval quality, on sentences of the kind memory
holds, and what it buys in speed:

* **pairs**: 100 code-related facts, each said two ways; every sentence queries
  the 100 of the other side, and its own paraphrase should come first
  (recall@1, recall@5, MRR, averaged over both directions);
* **queries**: 40 short questions an assistant might ask ("database locked
  error"), each against the 40 memories, one of which answers it (the pair
  sentences are no distractors: many are true answers to the questions too);
* **agreement**: Spearman correlation between the model's and the teacher's
  cosine similarities over all pairs of the 200 sentences;
* load time (fresh process, first vector), throughput for one-sentence and
  one-paragraph texts, and size on disk.

Besides the bundled model it can rate other static model dirs (``--static DIR``,
e.g. a 128-dimensional build), the teacher (``--teacher DIR``: a
sentence-transformers directory; needs sentence-transformers and torch, so run it
from the build venv of scripts/make_embedding_model.py with PYTHONPATH=server),
and a word TF-IDF baseline (what keyword search alone would do).

Usage: python bench/embed_quality.py [--teacher DIR] [--static DIR]... [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from llm_session_manager.core.embed import SentenceTransformerEmbedder, StaticEmbedder, bundled_model_dir

# (sentence, paraphrase): the same fact about code, said two ways.
PAIRS = [
    ("The test suite fails because the database fixture is not cleaned up between tests.",
     "Tests break since the DB fixture keeps state from one test to the next."),
    ("Use git rebase -i to squash the last three commits into one.",
     "Combine the three most recent commits into a single commit with an interactive rebase."),
    ("The Docker image is too large because the build cache is copied into the final stage.",
     "Our container image is bloated: the builder's cache ends up in the last layer."),
    ("The API returns 401 when the bearer token has expired.",
     "An expired access token makes the endpoint answer with an unauthorized status."),
    ("We switched from requests to httpx to get async HTTP calls.",
     "The project replaced the requests library with httpx so network calls can be awaited."),
    ("The memory leak came from an lru_cache on a method holding references to self.",
     "Caching a bound method with functools kept every instance alive and leaked memory."),
    ("Run the linter with ruff check --fix before committing.",
     "Before you commit, let ruff automatically fix lint errors."),
    ("The SQLite database is locked because two processes write at the same time.",
     "Concurrent writers from separate processes cause 'database is locked' errors in SQLite."),
    ("Enable WAL mode so readers do not block the writer.",
     "Write-ahead logging lets reads proceed while a write transaction is open."),
    ("The CI pipeline times out while installing dependencies.",
     "Our continuous integration job runs out of time during the package install step."),
    ("Pin the numpy version in requirements to avoid the ABI break.",
     "Lock numpy to a fixed release so the binary incompatibility does not hit us."),
    ("The frontend build fails because node_modules was installed with a different Node version.",
     "Webpack breaks since the dependencies were compiled under another Node.js release."),
    ("Add an index on user_id to speed up the orders query.",
     "The orders lookup is slow; create a database index on the user_id column."),
    ("The function returns None when the key is missing instead of raising KeyError.",
     "If the key is absent, the helper gives back None rather than throwing an exception."),
    ("Mock the HTTP client in unit tests so they never touch the network.",
     "Unit tests should replace the web client with a fake so no real requests go out."),
    ("The race condition happens when two threads update the counter without a lock.",
     "Two threads incrementing the shared counter unsynchronized produce wrong totals."),
    ("Set the environment variable PYTHONUNBUFFERED so logs appear immediately.",
     "Disable Python's output buffering through an env var to see log lines right away."),
    ("The migration adds a nullable column and backfills it in batches.",
     "The schema change introduces an optional field and fills existing rows chunk by chunk."),
    ("Refactor the payment module to separate validation from the network call.",
     "Split the billing code so that checking input is independent of talking to the gateway."),
    ("The Kubernetes pod keeps restarting because the liveness probe fails.",
     "The container is killed repeatedly since its health check never passes."),
    ("Use a context manager so the file is closed even if an exception occurs.",
     "Open the file in a with block to guarantee it gets closed when errors are raised."),
    ("The regex is catastrophically slow on long inputs because of nested quantifiers.",
     "Nested repetition in the pattern causes exponential backtracking for big strings."),
    ("Store secrets in the keychain instead of the config file.",
     "Passwords and API keys belong in the OS credential store, not in plain settings files."),
    ("The React component re-renders on every keystroke because the callback is recreated.",
     "A new handler function each render makes the UI component update on each key press."),
    ("Paginate the results with a cursor rather than an offset.",
     "Use keyset pagination instead of LIMIT/OFFSET to page through the rows."),
    ("The build works locally but fails in CI because of a case-sensitive file path.",
     "On the Linux runner the import breaks since the filename capitalization differs, though it works on my Mac."),
    ("Increase the timeout for the integration tests that call the staging server.",
     "Give the end-to-end tests hitting staging more time before they are aborted."),
    ("The JSON parser rejects trailing commas in the config.",
     "A comma after the last element makes the settings file invalid JSON."),
    ("Convert timestamps to UTC before storing them in the database.",
     "Normalize all datetimes to coordinated universal time prior to saving."),
    ("The daylight saving change shifted the daily report by one hour.",
     "When clocks moved for DST, the per-day totals were off by an hour."),
    ("Use argparse subcommands for scan, list and show.",
     "The command-line tool should have separate sub-commands for scanning, listing and showing."),
    ("The profiler shows most of the time is spent parsing JSON.",
     "Profiling reveals that decoding JSON dominates the runtime."),
    ("Replace the json module with msgspec for faster decoding.",
     "Swap the standard library JSON parser for msgspec to decode quicker."),
    ("The websocket connection drops after sixty seconds of inactivity.",
     "Idle socket connections are closed by the proxy after one minute."),
    ("Send a ping every thirty seconds to keep the connection alive.",
     "A heartbeat message twice a minute prevents the link from timing out."),
    ("The tokenizer splits camelCase identifiers into separate words.",
     "Identifiers written in camel case are broken into their component words by the tokenizer."),
    ("The cache key must include the user id, otherwise users see each other's data.",
     "Without the account identifier in the cache key, one person's results leak to another."),
    ("We deploy with a blue-green strategy to avoid downtime.",
     "Releases switch traffic between two identical environments so the service never goes offline."),
    ("Roll back the release because the new version crashes on startup.",
     "Revert the deployment: the latest build dies as soon as it boots."),
    ("The null pointer exception occurs when the user has no profile picture.",
     "Accounts without an avatar trigger a NullPointerException."),
    ("Type hints and mypy caught a bug where a string was passed instead of an int.",
     "Static type checking found that text was given where a number was expected."),
    ("The GraphQL resolver makes one database query per item, the N+1 problem.",
     "Each element in the list triggers its own SQL query in the resolver."),
    ("Batch the inserts inside one transaction to make the import faster.",
     "Wrap all the row insertions in a single transaction to speed up loading."),
    ("The Rust code does not compile because the borrow outlives the value.",
     "The borrow checker rejects the program: a reference lives longer than its owner."),
    ("Use an Arc and a Mutex to share the state between threads.",
     "Wrap the shared data in atomic reference counting plus a lock for multithreaded access."),
    ("The Go program deadlocks because nobody reads from the channel.",
     "All goroutines are asleep since the unbuffered channel has no receiver."),
    ("Close the HTTP response body to avoid leaking connections.",
     "Not closing the response body exhausts the connection pool."),
    ("The CSS grid layout breaks on narrow mobile screens.",
     "On small phone displays the grid-based page layout falls apart."),
    ("Add a media query to stack the columns below 600 pixels.",
     "Under 600px width, put the columns on top of each other with a responsive breakpoint."),
    ("The form submits twice when the user double clicks the button.",
     "Double clicking the submit button sends the form two times."),
    ("Debounce the search input so we do not query on every keystroke.",
     "Delay the search request until the user stops typing."),
    ("The cron job did not run because the server timezone is different.",
     "The scheduled task was skipped as the machine's clock is set to another time zone."),
    ("The log file grows without bound; add log rotation.",
     "Rotate the logs so the file stops growing forever."),
    ("Structured logging with JSON lines makes the logs searchable.",
     "Emitting one JSON object per log line lets us query the logs easily."),
    ("The Python virtual environment uses the wrong interpreter version.",
     "The venv was created with a different python than the one we need."),
    ("Import errors appear because the package is not installed in editable mode.",
     "Modules cannot be imported since the project was not installed with pip install -e."),
    ("The circular import between models and services breaks at startup.",
     "Two modules importing each other cause an ImportError when the app starts."),
    ("Move the shared types into a separate module to break the cycle.",
     "Put common data classes in their own file so the modules no longer depend on each other."),
    ("The UTF-8 decode error comes from a file saved in Latin-1.",
     "The file was written in ISO-8859-1, so decoding it as UTF-8 fails."),
    ("Escape user input to prevent SQL injection.",
     "Use parameterized queries so malicious input cannot change the SQL statement."),
    ("The XSS vulnerability was in the comment rendering code.",
     "Cross-site scripting was possible because comments were displayed without sanitizing HTML."),
    ("Rate limit the login endpoint to stop brute force attacks.",
     "Throttle sign-in attempts so attackers cannot guess passwords quickly."),
    ("The OAuth redirect URI does not match the one registered with the provider.",
     "Login fails because the callback URL differs from the configured one in the identity provider."),
    ("Rotate the leaked API key and revoke the old one.",
     "The credential was exposed; issue a new key and disable the compromised key."),
    ("The unit test is flaky because it depends on the current time.",
     "The test randomly fails since it reads the real clock."),
    ("Freeze time in tests with a fake clock.",
     "Inject a fixed clock so tests do not depend on the actual date."),
    ("Snapshot tests broke after the UI library upgrade.",
     "Updating the component framework invalidated the stored render snapshots."),
    ("Code coverage dropped below the eighty percent threshold.",
     "Test coverage is now under 80% and the check fails."),
    ("The benchmark shows the new parser is three times faster.",
     "Measurements say the rewritten parser runs at triple the speed."),
    ("Vectorize the loop with numpy instead of iterating in Python.",
     "Replace the Python for loop with array operations to make it fast."),
    ("The model runs out of GPU memory with a batch size of 64.",
     "CUDA out of memory errors occur when training with batches of 64."),
    ("Use gradient accumulation to simulate a larger batch.",
     "Sum gradients over several small steps to emulate a bigger batch size."),
    ("The embedding search returns irrelevant results for short queries.",
     "Vector similarity lookup gives poor matches when the query is only a word or two."),
    ("Combine full-text search with vector search for better recall.",
     "Hybrid retrieval merges keyword matching and embedding similarity to find more relevant items."),
    ("The context window filled up, so the assistant forgot earlier instructions.",
     "Once the prompt exceeded the token limit, the model lost track of what we said at the start."),
    ("Summarize the conversation before starting a new session.",
     "Write a short recap of the chat so a fresh session can continue from it."),
    ("The assistant keeps editing the wrong file because of a stale path.",
     "The AI agent modifies an outdated file location instead of the right one."),
    ("Count tokens with tiktoken before sending the prompt.",
     "Estimate the prompt length in tokens locally prior to calling the API."),
    ("The monthly API bill doubled after enabling the larger model.",
     "Costs went up twice as much since we switched to the bigger model."),
    ("Cache the prompt prefix to reduce input token costs.",
     "Reuse the cached beginning of the prompt so we pay less for input tokens."),
    ("The server binds to all interfaces; restrict it to localhost.",
     "Listening on 0.0.0.0 is unsafe, make the service listen only on 127.0.0.1."),
    ("Check the Origin header to prevent DNS rebinding attacks.",
     "Reject requests whose origin is not local so a malicious website cannot reach the local server."),
    ("The language server crashes when the file has no trailing newline.",
     "The LSP process dies on documents that do not end with a line break."),
    ("Show the token count of CLAUDE.md as a code lens.",
     "Display how many tokens the instruction file costs inline in the editor."),
    ("The VS Code extension does not activate on startup.",
     "The editor plugin never loads when the IDE opens."),
    ("The merge conflict is in the lock file; regenerate it instead of editing by hand.",
     "Don't resolve conflicts in package-lock manually, just recreate the lockfile."),
    ("Cherry-pick the hotfix onto the release branch.",
     "Apply that single bug-fix commit to the release line as well."),
    ("The pre-commit hook rejects files larger than one megabyte.",
     "Our git hook blocks commits containing files over 1 MB."),
    ("Use feature flags to ship the change disabled by default.",
     "Deploy the new code behind a toggle that is off until we enable it."),
    ("The queue consumer processes the same message twice after a crash.",
     "When the worker dies, messages get delivered and handled again."),
    ("Make the handler idempotent so retries are harmless.",
     "Design the operation so running it more than once has the same effect as once."),
    ("The PDF export truncates long tables at the page boundary.",
     "Large tables get cut off at the end of the page when exporting to PDF."),
    ("The CSV export uses semicolons because of the German locale.",
     "Exported spreadsheets have ';' separators due to the regional settings."),
    ("Compress the backups with zstd to save disk space.",
     "Use zstandard compression on backup archives so they take less storage."),
    ("The disk is full because Docker never prunes old images.",
     "Storage ran out since unused container images pile up."),
    ("Replace the polling loop with file system notifications.",
     "Watch for file changes with inotify instead of checking in a loop."),
    ("Read only the bytes appended since the last scan.",
     "Incrementally parse just the new data added to the log since the previous pass."),
    ("The progress bar flickers when output is redirected to a file.",
     "Piping the output to a file makes the progress indicator produce garbage."),
    ("Detect whether stdout is a terminal before printing colors.",
     "Only emit ANSI color codes when the output is an interactive TTY."),
    ("The HTTP client retries failed requests with exponential backoff.",
     "When a call fails, wait longer before each new attempt to reach the server."),
]

# (short query, memory it should find): recall as an assistant does it.
QUERIES = [
    ("how do we run the tests", "Run the full test suite with make test; it creates the virtualenv first."),
    ("database locked error", "SQLite reported 'database is locked' when the daemon and CLI wrote together; fixed with WAL and a busy timeout of 5 seconds."),
    ("where are the API keys stored", "Credentials live in the system keyring under the service name llm-session; never in config.yaml."),
    ("deploy to production", "Production releases go through the GitHub Actions workflow release.yml after tagging vX.Y.Z."),
    ("python version", "The project requires Python 3.11 or newer because it uses tomllib and ExceptionGroup."),
    ("code style", "We format with ruff format, line length 100, and keep imports sorted by ruff."),
    ("why is the docker build slow", "The container build was slow because pip cache was not mounted; use a BuildKit cache mount."),
    ("timezone bug", "Daily usage was grouped in UTC instead of the local time zone; honour TZ when bucketing by day."),
    ("flaky test", "test_watcher is flaky on CI because inotify events arrive late; wait on a condition instead of sleeping."),
    ("token pricing", "Cost is computed from the pricing table in data/pricing.json, per million input and output tokens."),
    ("how to add a new assistant", "Adding a provider means writing sources/<name>.py with discover() and read(), plus fixtures and tests."),
    ("memory leak", "RSS grew without limit because every parsed line was kept in a list; stream records instead."),
    ("frontend framework", "The web dashboard is plain HTML with htmx, no React, to keep the bundle tiny."),
    ("login fails", "Sign-in broke because the OAuth callback URL pointed at port 3000 while the app runs on 8080."),
    ("slow query", "Listing sessions took two seconds until we added an index on sessions(last_activity)."),
    ("git workflow", "Feature branches are rebased on main and squashed before merging; no merge commits."),
    ("environment variables", "LLM_SESSION_DATA_DIR overrides where the database lives; LLM_SESSION_CONFIG points at the config file."),
    ("cache invalidation", "The token count cache is keyed by the sha256 of the text and the model name."),
    ("GPU out of memory", "Training crashed with CUDA OOM at batch 64; batch 16 with gradient accumulation 4 works."),
    ("json parsing speed", "Switching from json to msgspec made log parsing about four times faster."),
    ("editor integration", "The Neovim plugin talks to llm-session lsp over stdio and shows token counts as virtual text."),
    ("security review", "Secrets like API keys and private keys are redacted before memories are stored or exported."),
    ("backup strategy", "Nightly backups of the database are compressed with zstd and kept for 30 days."),
    ("logging format", "Logs are JSON lines with ts, level, event and fields, written to stderr."),
    ("rate limiting", "The public API allows 100 requests per minute per token; excess requests get HTTP 429."),
    ("broken build on windows", "Paths with backslashes broke the glob matching on Windows; use pathlib everywhere."),
    ("dependency upgrade", "Upgrading pydantic to v2 required replacing validator with field_validator in all models."),
    ("monitoring", "Prometheus scrapes /metrics every 15 seconds; alerts fire when the scan lag exceeds five minutes."),
    ("search results are bad", "Recall mixes FTS5 bm25 scores with vector similarity through reciprocal rank fusion."),
    ("how to release", "To cut a release, bump the version in pyproject.toml, update CHANGELOG.md and push a tag."),
    ("keyboard shortcuts", "In the dashboard, q quits, r refreshes, / filters and enter opens the session details."),
    ("websocket disconnects", "The proxy closed idle websockets after 60 seconds, so the client now sends a ping every 25 seconds."),
    ("unicode error", "A UnicodeDecodeError came from Aider history files written in cp1252 on Windows."),
    ("concurrency model", "All servers run on trio with structured concurrency; no threads except for blocking file reads."),
    ("context window full", "When a session passes 85 percent of its context window, recommend compacting or starting fresh."),
    ("test database", "Each test gets a temporary data dir through the sandbox_home fixture, so the real database is never touched."),
    ("api timeout", "Calls to the count-tokens endpoint time out after three seconds and fall back to the local estimate."),
    ("mobile layout", "On phones the dashboard collapses the sidebar into a menu below 640 pixels."),
    ("license", "The project is released under the MIT license."),
    ("who maintains the vscode extension", "The VS Code extension lives in editors/vscode and is a thin LSP client written in TypeScript."),
]

PARAGRAPH = (
    "We spent the afternoon on the flaky integration test. It failed about one run in "
    "five on CI but never locally. The cause was the watcher fixture: it started the "
    "inotify thread before the temporary directory existed, so on a slow runner the "
    "first event was lost and the test waited for a change that had already happened. "
    "The fix creates the directory first and waits on a condition instead of sleeping "
    "for a fixed half second; the suite is now stable across twenty runs."
)


class TfIdf:
    """Keyword baseline: lower-cased words, tf-idf weights fitted on the texts embedded."""

    name = "tf-idf words (baseline)"

    def __init__(self, corpus: list[str]) -> None:
        docs = [set(self._words(t)) for t in corpus]
        df = Counter(w for d in docs for w in d)
        self.vocab = {w: i for i, w in enumerate(sorted(df))}
        self.idf = np.array([math.log((1 + len(docs)) / (1 + df[w])) + 1 for w in sorted(df)])
        self.dim = len(self.vocab)

    @staticmethod
    def _words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word, n in Counter(self._words(text)).items():
                if word in self.vocab:
                    out[row, self.vocab[word]] = n * self.idf[self.vocab[word]]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)


def ranks(queries: np.ndarray, docs: np.ndarray, gold: list[int]) -> np.ndarray:
    """1-based rank of each query's gold document by cosine similarity."""
    sims = queries @ docs.T
    gold_sims = sims[np.arange(len(gold)), gold]
    return (sims > gold_sims[:, None]).sum(axis=1) + 1


def summary(r: np.ndarray) -> dict[str, float]:
    return {"recall@1": float(np.mean(r <= 1)), "recall@5": float(np.mean(r <= 5)),
            "mrr": float(np.mean(1 / r))}


def quality(embedder, teacher_sims: np.ndarray | None) -> dict:
    left = embedder.embed([a for a, _ in PAIRS])
    right = embedder.embed([b for _, b in PAIRS])
    n = len(PAIRS)
    both = np.concatenate([ranks(left, right, list(range(n))), ranks(right, left, list(range(n)))])
    queries = embedder.embed([q for q, _ in QUERIES])
    docs = embedder.embed([m for _, m in QUERIES])
    result = {"pairs": summary(both), "queries": summary(ranks(queries, docs, list(range(len(QUERIES)))))}
    sims = _upper(np.concatenate([left, right]))
    result["_sims"] = sims
    if teacher_sims is not None:
        result["spearman_vs_teacher"] = float(np.corrcoef(_rank(sims), _rank(teacher_sims))[0, 1])
    return result


def _upper(vectors: np.ndarray) -> np.ndarray:
    sims = vectors @ vectors.T
    return sims[np.triu_indices(len(vectors), k=1)]


def _rank(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values))
    out[np.argsort(values, kind="stable")] = np.arange(len(values))
    return out


def speed(embedder, seconds: float = 2.0) -> dict[str, float]:
    sentences = [a for a, _ in PAIRS] + [b for _, b in PAIRS]
    out = {}
    for label, texts in (("sentence", sentences), ("paragraph", [f"{PARAGRAPH} ({i})" for i in range(200)])):
        embedder.embed(texts[:8])  # warm: load, caches
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            embedder.embed(texts)
            done += len(texts)
        out[f"{label}s_per_s"] = done / (time.perf_counter() - start)
        single, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 2:
            embedder.embed([texts[single % len(texts)]])
            single += 1
        out[f"{label}_one_at_a_time_per_s"] = single / (time.perf_counter() - start)
    return out


def cold_start(model_dir: Path) -> dict[str, float]:
    """A fresh interpreter: import the module, then load the model and embed one query."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "from llm_session_manager.core.embed import StaticEmbedder\n"
        f"t1 = time.perf_counter(); e = StaticEmbedder({str(model_dir)!r})\n"
        "e.embed(['where is the config file'])\n"
        "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)\n"
    )
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={"PYTHONPATH": str(ROOT / "server"), "PATH": "/usr/bin:/bin"})
        runs.append([float(x) for x in out.stdout.split()])
    imp, load = np.median(np.array(runs), axis=0)
    return {"import_s": float(imp), "load_and_first_embed_s": float(load)}


def size_mb(model_dir: Path) -> float:
    return sum(p.stat().st_size for p in model_dir.iterdir() if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", type=Path, help="sentence-transformers dir of all-MiniLM-L6-v2")
    parser.add_argument("--static", type=Path, action="append", default=[], help="another static model dir")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per throughput measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    teacher_sims = None
    if args.teacher:
        teacher = SentenceTransformerEmbedder(str(args.teacher))
        start = time.perf_counter()
        teacher.embed(["warm up"])
        load_s = time.perf_counter() - start
        entry = quality(teacher, None)
        teacher_sims = entry["_sims"]
        entry.update(speed(teacher, args.seconds), load_and_first_embed_s=load_s, dim=teacher.dim)
        results["all-MiniLM-L6-v2 (teacher)"] = entry
    for model_dir in [bundled_model_dir(), *args.static]:
        embedder = StaticEmbedder(model_dir)
        entry = quality(embedder, teacher_sims)
        entry.update(speed(embedder, args.seconds))
        entry.update(cold_start(model_dir), size_mb=size_mb(model_dir), dim=embedder.dim)
        results[embedder.name + (" (bundled)" if model_dir == bundled_model_dir() else "")] = entry
    everything = [s for p in PAIRS for s in p] + [q for q, _ in QUERIES] + [m for _, m in QUERIES]
    results[TfIdf.name] = quality(TfIdf(everything), teacher_sims)
    for entry in results.values():
        entry.pop("_sims")

    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, entry in results.items():
        print(name)
        for key, value in entry.items():
            if isinstance(value, dict):
                print(f"  {key:12} " + "  ".join(f"{k} {v:.3f}" for k, v in value.items()))
            else:
                print(f"  {key:12} {value:,.3f}" if isinstance(value, float) else f"  {key:12} {value}")


if __name__ == "__main__":
    main()
