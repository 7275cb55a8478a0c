"""The benchmark corpus: hundreds of megabytes of Claude Code logs, shaped like the demo's, fast.

Same arguments, same bytes: times are dated from a fixed epoch, not from now. The
stats returned are what a correct reader must report, so the benchmark can check
another tool's per-day totals against them.
"""

from __future__ import annotations

import functools
import random
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from ._claude_lines import HAIKU, LEADS, OPUS, OPUS_41, SONNET, SONNET_4, Transcript, step
from ._claude_tools import Blob, Files, blob, text_block
from ._content import source
from ._format import Ids

_DAY_FIELDS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")


class CorpusStats(msgspec.Struct):
    """What ``write_corpus`` wrote, and the per-day totals a correct reader must report."""

    bytes: int
    files: int
    lines: int
    assistant_lines: int
    unique_responses: int
    days: dict[str, dict[str, int]]  # UTC day -> input/output/cache_creation/cache_read _tokens


_EPOCH = datetime(2025, 9, 1, tzinfo=UTC)  # dated, not relative to now: same arguments, same bytes
_SPAN_DAYS = 60
_NAMES = [
    "web-api",
    "mobile-app",
    "data-pipeline",
    "infra",
    "billing-service",
    "search-indexer",
    "admin-portal",
    "ml-features",
    "auth-gateway",
    "docs-site",
    "etl-jobs",
    "payments-sdk",
    "notifications",
    "analytics-dashboard",
    "cli-tools",
    "design-system",
]
_PATHS = {
    "py": [
        "src/app.py",
        "src/settings.py",
        "src/api/orders.py",
        "src/api/deps.py",
        "src/db/models.py",
        "src/domain/pricing.py",
        "tests/test_orders.py",
        "tests/conftest.py",
        "pipeline/transform.py",
    ],
    "ts": [
        "src/App.tsx",
        "src/api/client.ts",
        "src/store/cart.ts",
        "src/screens/CheckoutScreen.tsx",
        "src/components/Button.tsx",
        "src/hooks/useAuth.ts",
        "src/utils/format.ts",
        "package.json",
    ],
    "tf": [
        "terraform/modules/rds/main.tf",
        "terraform/envs/prod/main.tf",
        "terraform/envs/staging/main.tf",
        "k8s/deployment.yaml",
        ".github/workflows/deploy.yml",
    ],
}
_COMMANDS = {
    "py": ["pytest -q", "pytest tests/test_orders.py -q", "git status --short", "git diff --stat"],
    "ts": ["npx jest", "npx tsc --noEmit", "git diff --stat"],
    "tf": ["terraform plan -chdir=terraform/envs/prod", "terraform fmt -check -recursive", "git diff --stat"],
}
_PROMPTS = [
    "Fix the failing test in the CI run and explain what broke.",
    "Add pagination to the list endpoint, default page size 50.",
    "Refactor this module so the database access is behind a repository class.",
    "Why is this function slow on large inputs? Profile it and fix it.",
    "Add input validation and return 422 with field errors.",
    "Write unit tests for the edge cases we discussed.",
    "Rename the config option and keep the old name working with a deprecation warning.",
    "Review this diff for bugs before I merge it.",
    "Add structured logging with request ids.",
    "Upgrade the dependency and fix the breaking changes.",
    "Make the retry logic use exponential backoff with jitter.",
    "continue",
]
_ANSWERS = [
    "Done. The change is covered by the new tests and the full suite passes.",
    "Fixed: the cache key ignored the tenant, so two tenants shared entries. It now includes the tenant id,"
    " with a regression test.",
    "Refactored as asked; behaviour is unchanged and the tests pass. I left one TODO where the old code"
    " swallowed an exception.",
    "The slow part was an O(n^2) membership test on a list; a set brings the 100k-item case from 41 s to 0.3 s.",
]
_TOOLS = (
    "read",
    "read",
    "read",
    "read",
    "bash",
    "bash",
    "edit",
    "edit",
    "grep",
    "glob",
    "write",
    "todo",
    "edit!",
    "bash!",
)


def _blob_for(blobs: list[Blob], rel: str) -> Blob:
    """One of a language's file contents, the same one for the same path."""
    return blobs[zlib.crc32(rel.encode()) % len(blobs)]


def _corpus_turn(t: Transcript, files: Files, lang: str) -> None:
    """A prompt, a few tool calls with realistic results, an answer; compacting as Claude Code does when full."""
    rng = t.rng
    t.wait(30, 1500)
    if t.context > 150_000:
        t.compact("The user asked for changes across the service; tests were updated and pass.")
    t.prompt(rng.choice(_PROMPTS))
    for n in range(rng.choice((1, 2, 2, 3, 3, 4, 5, 6, 8))):
        kind = rng.choice(_TOOLS)
        if kind.startswith(("read", "edit", "write")):
            arg = rng.choice(_PATHS[lang])
        elif kind.startswith("bash"):
            arg = rng.choice(_COMMANDS[lang])
        else:
            arg = {"grep": "TODO", "glob": "src/**/*", "todo": "Read the code; Make the change; Run the tests"}[kind]
        think = n == 0 and t.model != HAIKU and rng.random() < 0.3
        lead = LEADS[n % len(LEADS)] if rng.random() < 0.5 else ""
        step(t, files, kind, arg, lead, "Let me look at the relevant code before changing anything." if think else "")
    t.wait(4, 40)
    if rng.random() < 0.005:
        t.api_error(500, "api_error", "Internal server error")
    t.respond([text_block(rng.choice(_ANSWERS))], rng.randint(30, 700), "end_turn")


def write_corpus(root: Path, target_bytes: int, files: int, seed: int) -> CorpusStats:
    """Claude Code logs for the benchmark: ``files`` files, about ``target_bytes`` in all, under ``root/projects``.

    Same arguments, same bytes. File contents come from a small pool encoded once, which
    is what makes hundreds of megabytes take seconds; file sizes are skewed as real ones
    are. One file in ten is a sub-agent transcript and one in twenty a resumed session
    repeating part of an earlier one, so repeated responses also cross files.
    """
    rng = random.Random(seed)
    ids = Ids(rng)
    pool = {
        lang: [blob(source(rng, lang, min(1500, 8 + int(rng.lognormvariate(4.6, 0.9))))) for _ in range(24)]
        for lang in _PATHS
    }
    projects: list[tuple[str, str, Files]] = []
    for i in range(max(1, min(160, files // 12))):
        suffix = f"-{i // len(_NAMES)}" if i >= len(_NAMES) else ""
        cwd = f"/home/{rng.choice(('alex', 'sam', 'dev'))}/src/{_NAMES[i % len(_NAMES)]}{suffix}"
        lang = rng.choice(("py", "py", "ts", "ts", "tf"))
        blobs = pool[lang]
        projects.append((cwd, lang, Files(ids, cwd, functools.partial(_blob_for, blobs))))
    weights = [rng.lognormvariate(0, 1.2) for _ in range(files)]
    weight_left = sum(weights)
    latest: dict[str, Transcript] = {}  # per project, for sub-agents and resumes
    days: dict[str, dict[str, int]] = {}
    written = lines = assistant_lines = responses = 0
    for i in range(files):
        budget = max(4_000, int((target_bytes - written) * weights[i] / weight_left))  # absorbs overshoot so far
        weight_left -= weights[i]
        cwd, lang, project_files = projects[rng.randrange(len(projects))]
        model = rng.choice((SONNET, SONNET, SONNET, OPUS, OPUS_41, HAIKU, SONNET_4))
        branch = rng.choice(("main", "main", "develop", f"feat/task-{rng.randint(100, 999)}"))
        earlier = latest.get(cwd)
        if earlier is not None and i % 10 == 9:
            clock = earlier.started + timedelta(minutes=rng.uniform(1, 30))
            t = Transcript(ids, earlier.session_id, cwd, branch, rng.choice((HAIKU, SONNET)), clock, ids.hex(8))
        else:
            clock = _EPOCH + timedelta(days=rng.randrange(_SPAN_DAYS), hours=rng.uniform(7, 23))
            t = Transcript(ids, ids.uuid4(), cwd, branch, model, clock)
            if earlier is not None and i % 20 == 7:
                t.summary("Continue work on the service refactor")
                t.replay(earlier, budget // 2)
                t.clock = earlier.clock + timedelta(hours=rng.uniform(1, 20))
        while t.size < budget:
            _corpus_turn(t, project_files, lang)
        written += t.write(root / t.relpath)
        lines += len(t.lines)
        assistant_lines += sum(1 for line in t.lines if '"role":"assistant"' in line)
        responses += len(t.responses)
        for r in t.responses:
            day = days.setdefault(r.at.strftime("%Y-%m-%d"), dict.fromkeys(_DAY_FIELDS, 0))
            for key, value in zip(_DAY_FIELDS, r[1:], strict=True):
                day[key] += value
        if not t.agent_id:
            latest[cwd] = t
    return CorpusStats(written, files, lines, assistant_lines, responses, dict(sorted(days.items())))
