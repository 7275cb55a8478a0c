"""The pre-commit hooks (.pre-commit-hooks.yaml) run by pre-commit itself on a fixture repository.

``pre-commit try-repo`` runs this tree's hooks as a user trying them would;
``--fail-on`` needs hook ``args``, which only a ``.pre-commit-config.yaml`` gives,
so that story pins a commit of the hooks file as users pin a release. The
hooks run the ``llm-session`` on PATH (``language: system``, docs/ci.md): here the
test environment's, running this tree's code through PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ci_repo import CLAUDE_MD, git

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SESSION = "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "shop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "CLAUDE.md").write_text("# Shop\n\nA small web shop.\n\n## Style\n\nFour-space indents.\n")
    git(repo, "add", "-A")
    return repo


def pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@shop.test",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@shop.test"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_a_small_instruction_file_passes_the_budget_hook(repo: Path) -> None:
    done = pre_commit(repo, "try-repo", str(ROOT), "llm-session-instructions-budget", "--files", "CLAUDE.md",
                      "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CLAUDE.md: 16 tokens per turn (within 4,000)" in done.stdout


def test_an_instruction_file_over_budget_fails_the_commit_naming_its_largest_sections(repo: Path) -> None:
    (repo / "CLAUDE.md").write_text(CLAUDE_MD * 3)  # its "Testing" section three times: over 4,000
    git(repo, "add", "-A")
    done = pre_commit(repo, "try-repo", str(ROOT), "llm-session-instructions-budget", "--files", "CLAUDE.md")
    assert done.returncode == 1
    assert "llm-session-instructions-budget" in done.stdout and "Failed" in done.stdout
    assert "CLAUDE.md is 4," in done.stdout or "CLAUDE.md is 5," in done.stdout
    assert 'over the budget of 4,000 (--max-tokens); largest sections: "Testing" line 5' in done.stdout


def test_the_health_hook_passes_and_creates_nothing_without_a_store(repo: Path) -> None:
    done = pre_commit(repo, "try-repo", str(ROOT), "llm-session-health", "--all-files", "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no llm-session store on this machine" in done.stdout
    assert not Path(os.environ["LLM_SESSION_DATA_DIR"]).exists()


def test_a_critical_session_on_the_checkout_warns_and_fails_where_configured(repo: Path, cli, tmp_path: Path) -> None:
    # Alice's Claude Code session, as if it had worked in this checkout; a config under which its health (80) is critical.
    logs = Path(os.environ["HOME"]) / ".claude" / "projects" / "-shop"
    logs.mkdir(parents=True)
    text = (FIXTURES / "claude-code" / "projects" / "-home-dev-shop" / f"{SESSION}.jsonl").read_text()
    (logs / f"{SESSION}.jsonl").write_text(text.replace("/home/dev/shop", str(repo)))
    config = tmp_path / "config.yaml"
    config.write_text("health_thresholds:\n  healthy: 95\n  warning: 90\n")
    os.environ["LLM_SESSION_CONFIG"] = str(config)  # the sandbox restores the environment after the test
    assert cli("scan").code == 0

    warned = pre_commit(repo, "try-repo", str(ROOT), "llm-session-health", "--all-files", "--verbose")
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert f"warning: the claude-code session {SESSION} working here is critical (health 80)" in warned.stdout

    hooks = tmp_path / "hooks"  # this tree's hooks file, committed, as a user pins a release
    hooks.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks)
    git(hooks, "init", "-q")
    git(hooks, "add", "-A")
    git(hooks, "commit", "-qm", "hooks", author="Maintainer")
    rev = git(hooks, "rev-parse", "HEAD").strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: llm-session-health\n"
        "    args: [--fail-on, critical]\n")
    failed = pre_commit(repo, "run", "--all-files")
    assert failed.returncode == 1
    assert f"error: the claude-code session {SESSION} working here is critical (health 80; --fail-on critical)" \
        in failed.stdout
