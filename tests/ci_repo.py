"""A real git repository such as a team that commits its assistants' transcripts keeps, for the CI tests.

``main`` holds the code and its CLAUDE.md (Carol's); the branch ``fix/coupon``
adds the transcripts under ``.llm-sessions/``, laid out like a home directory:
Alice commits her Claude Code logs (tests/fixtures/claude-code: one session on
``main``, one on ``fix/coupon``), Bob his Codex logs (tests/fixtures/codex).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
CLAUDE_ON_BRANCH = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"  # "Fix double coupon discount in cart total"
CLAUDE_ON_MAIN = "6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b"
BRANCH = "fix/coupon"

# Big enough to weigh something, with one section far larger than the others.
CLAUDE_MD = """# Shop

A small web shop: Python, FastAPI, PostgreSQL.

## Testing

""" + "\n".join(f"- Case {i}: run `pytest tests/test_cart.py -k coupon_{i}` and compare totals with the fixture "
                f"prices before and after discount rounding." for i in range(60)) + """

## Style

Four-space indents; type hints on new code.
"""


def git(repo: Path, *args: str, author: str | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if author:
        name = author
        env |= {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{name.lower()}@shop.test",
                "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": f"{name.lower()}@shop.test"}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True,
                          check=True).stdout


def make_repo(repo: Path) -> Path:
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "CLAUDE.md").write_text(CLAUDE_MD)
    (repo / "cart.py").write_text("def total(items):\n    return sum(items)\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shop: cart and assistant instructions", author="Carol")
    git(repo, "checkout", "-qb", BRANCH)
    sessions = repo / ".llm-sessions"
    shutil.copytree(FIXTURES / "claude-code" / "projects", sessions / ".claude" / "projects")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "transcripts: my Claude Code sessions", author="Alice")
    shutil.copytree(FIXTURES / "codex" / "home" / "sessions", sessions / ".codex" / "sessions")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "transcripts: my Codex sessions", author="Bob")
    return repo
