"""The GitLab CI template (ci/gitlab/llm-session.yml) run as a runner runs a job's script.

The runner joins the ``script`` lines into one bash session with ``set -eo
pipefail`` and GitLab's predefined variables; so does this test, on a real
repository with transcripts, with the job's Python stood in for by a throw-away
one that sees the test environment's packages (``LLM_SESSION_PACKAGE`` points at
a copy of this tree, as a job would name a release). The merge request notes API
is a loopback fake.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from ci_repo import BRANCH, CLAUDE_ON_BRANCH, make_repo
from fake_forge import Forge, serve

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "glpat-for-tests"


def _job_script(lines: list[str], variables: dict[str, str], env: dict[str, str], cwd: Path, script: Path
                ) -> subprocess.CompletedProcess[str]:
    script.write_text("set -eo pipefail\n" + "\n".join(lines) + "\n")
    return subprocess.run(["bash", "--noprofile", "--norc", str(script)], cwd=cwd, env={**env, **variables},
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("gitlab")
    package = root / "package"
    package.mkdir()
    for part in ("server", "pyproject.toml", "README.md"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, package / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, package / part)
    python = root / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(python)], check=True)
    (next(python.glob("lib/python*/site-packages")) / "test-environment.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    home = root / "home"
    home.mkdir()
    with serve() as forge:
        yield root, package, python, home, forge


def test_the_gitlab_job_writes_the_report_artifact_fails_its_gate_and_keeps_one_note(world) -> None:
    root, package, python, home, forge = world
    forge: Forge
    job = yaml.safe_load((ROOT / "ci" / "gitlab" / "llm-session.yml").read_text())["llm-session-report"]
    project = make_repo(root / "project")
    variables = {k: str(v) for k, v in job["variables"].items()}
    variables |= {"LLM_SESSION_PACKAGE": str(package), "LLM_SESSION_MAX_COST": "0.10", "LLM_SESSION_COMMENT": "true"}
    env = {"PATH": f"{python / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TZ": "UTC",
           "LANG": "C.UTF-8", "GITLAB_CI": "true", "CI": "true", "CI_PROJECT_DIR": str(project),
           "CI_PROJECT_ID": "42", "CI_API_V4_URL": f"{forge.url}/api/v4", "CI_PIPELINE_SOURCE": "merge_request_event",
           "CI_MERGE_REQUEST_IID": "3", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": BRANCH, "GITLAB_TOKEN": TOKEN,
           "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    done = _job_script(job["script"], variables, env, project, root / "job.sh")

    assert done.returncode == 1, done.stderr
    assert "error: max-cost: cost $0.28 is over max-cost $0.10" in done.stderr
    for artifact in job["artifacts"]["paths"]:
        assert (project / artifact).is_file()  # artifacts: when: always uploads them for the failed job
    summary = (project / "llm-session-report.md").read_text()
    assert "| `max-cost` | **fail** |" in summary and f"`{CLAUDE_ON_BRANCH[:8]}`" in summary
    (posted,) = forge.writes()
    assert (posted.method, posted.path) == ("POST", "/api/v4/projects/42/merge_requests/3/notes")
    assert posted.headers["private-token"] == TOKEN and posted.body["body"] == summary

    variables["LLM_SESSION_MAX_COST"] = "1"  # the next pipeline: within budget, the same note updated
    again = _job_script(job["script"][1:], variables, env, project, root / "again.sh")
    assert again.returncode == 0, again.stderr
    assert [r.method for r in forge.writes()] == ["POST", "PUT"]
    (note,) = forge.comments.values()
    assert "| `max-cost` | pass |" in note["body"]
