"""The GitHub Action (action.yml) run the way the runner runs it, on a real repository with transcripts.

`act` is not available from the registries these machines use, so
``action_runner`` runs every ``run:`` step with the runner's shell, environment
and files; ``actions/setup-python`` is stood in for by a throw-away Python first
on PATH that sees the test environment's packages, so the action's install step
really installs the package (a copy of this tree, as the runner checks the
action out) without the network. The first run goes through every step; the
budget-gate runs repeat the report step, where the gates are, on that install.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from action_runner import Run, run_action
from ci_repo import BRANCH, CLAUDE_ON_BRANCH, make_repo
from fake_forge import Forge, serve

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
REPORT_STEP = "Report AI usage"
TOKEN = "ghs_job_token_for_tests"


class Job:
    """One job's world: the checked-out action, the workspace, the stand-in Python, the PR event."""

    def __init__(self, root: Path, forge: Forge) -> None:
        self.root = root
        self.action = root / "action"
        self.action.mkdir()
        for part in ("server", "pyproject.toml", "README.md", "action.yml"):
            source = ROOT / part
            if source.is_dir():
                shutil.copytree(source, self.action / part, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, self.action / part)
        self.workspace = make_repo(root / "workspace")
        python = root / "python"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(python)], check=True)
        site = next(python.glob("lib/python*/site-packages"))
        (site / "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        event = root / "event.json"
        event.write_text(json.dumps({"number": 7, "pull_request": {"number": 7, "head": {"ref": BRANCH}}}))
        home = root / "home"
        home.mkdir()
        self.env = {
            "PATH": f"{python / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TZ": "UTC", "LANG": "C.UTF-8",
            "GITHUB_REPOSITORY": "acme/shop", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
            "GITHUB_HEAD_REF": BRANCH, "GITHUB_REF_NAME": "7/merge", "GITHUB_API_URL": forge.url,
            "GITHUB_TOKEN": TOKEN,
            # pip as the runner has it, but offline: the packages, and setuptools to build ours (the test
            # extra), are the test environment's.
            "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        self.runs = 0

    def run(self, inputs: dict[str, str], only: set[str] | None = None) -> Run:
        self.runs += 1
        temp = self.root / f"runner-temp-{self.runs}"
        temp.mkdir()
        return run_action(self.action, inputs, self.env, self.workspace, temp, only)


@pytest.fixture(scope="module")
def forge():
    with serve() as found:
        yield found


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory, forge: Forge) -> Job:
    return Job(tmp_path_factory.mktemp("github"), forge)


@pytest.fixture(scope="module")
def first(job: Job) -> Run:
    """Every step, every gate given and within budget, commenting on the pull request."""
    return job.run({"max-cost": "5", "max-context-file-tokens": "8000", "min-health": "50", "comment": "true"})


def test_every_step_of_the_action_runs_and_the_report_installs_from_the_action(first: Run, job: Job) -> None:
    assert [(s.name, s.returncode) for s in first.steps] == [("Install llm-session", 0), (REPORT_STEP, 0)], \
        [s.stderr for s in first.steps]
    installed = next((job.root / "python").glob("lib/python*/site-packages/llm_session_manager/__init__.py"))
    assert installed.is_file()  # the install step put it in the job's Python, not a path we gave
    report = json.loads(Path(first.outputs["report"]).read_text())
    assert first.outputs["total-tokens"] == str(report["totals"]["total_tokens"]) != "0"
    assert float(first.outputs["cost-usd"]) == report["totals"]["cost_usd"] > 0


def test_the_step_summary_has_usage_by_model_author_and_day_the_branch_sessions_and_instruction_files(
        first: Run) -> None:
    summary = first.summary
    assert summary.startswith("<!-- llm-session-report -->")
    for heading in ("### By model", "### By author", "### By day", f"### Sessions on `{BRANCH}`",
                    "### Instruction files", "### Budgets"):
        assert heading in summary
    by_author = summary.split("### By author")[1].split("###")[0]
    assert "Alice <alice@shop.test>" in by_author and "Bob <bob@shop.test>" in by_author
    assert "Carol" not in by_author  # she committed code, not a session
    assert "| 2025-08-15 |" in summary and "| claude-sonnet-4-5-20250929 |" in summary
    branch = summary.split("### Sessions on")[1].split("###")[0]
    assert f"`{CLAUDE_ON_BRANCH[:8]}`" in branch and "Alice" in branch
    assert "6f1c2a3b" not in branch  # Alice's session on main
    assert '| `CLAUDE.md` |' in summary and '"Testing" line 5' in summary
    assert summary.count("| pass |") == 3


def test_the_pull_request_comment_is_posted_once_then_updated_in_place(first: Run, job: Job, forge: Forge) -> None:
    posted = [r for r in forge.writes() if r.method == "POST"]
    assert len(posted) == 1 and posted[0].path == "/repos/acme/shop/issues/7/comments"
    assert posted[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert posted[0].body["body"] == first.summary
    again = job.run({"comment": "true", "max-cost": "0.5"}, only={REPORT_STEP})
    assert again.returncode == 0, again.steps[-1].stderr
    assert [r.method for r in forge.writes()] == ["POST", "PATCH"]
    assert len(forge.comments) == 1
    (only,) = forge.comments.values()
    assert "`max-cost` | pass" in only["body"] and "max-context-file-tokens" not in only["body"]


@pytest.mark.parametrize(("inputs", "said"), [
    ({"max-cost": "0.05"}, "max-cost: cost $0.28 is over max-cost $0.05"),
    ({"max-context-file-tokens": "500"},
     'max-context-file-tokens: CLAUDE.md is 1,'),
    ({"min-health": "99"}, f"min-health: session {CLAUDE_ON_BRANCH} (claude-code, Alice <alice@shop.test>) has health"),
])
def test_each_budget_gate_fails_the_job_with_a_clear_message(first: Run, job: Job, inputs: dict[str, str],
                                                             said: str) -> None:
    run = job.run(inputs, only={REPORT_STEP})
    step = run.step(REPORT_STEP)
    assert step.returncode == 1
    assert said in step.stderr
    assert step.stderr.count("\n") == 1  # one line, no traceback
    (gate,) = inputs
    assert f"| `{gate}` | **fail** |" in run.summary  # the summary is written before the job fails
    assert json.loads(Path(run.outputs["report"]).read_text())["gates"][0]["passed"] is False


def test_the_oversized_instruction_file_names_its_largest_section(first: Run, job: Job) -> None:
    run = job.run({"max-context-file-tokens": "500"}, only={REPORT_STEP})
    assert 'largest sections: "Testing" line 5' in run.step(REPORT_STEP).stderr
