"""A small stand-in for the GitHub Actions runner, enough to run our composite ``action.yml``.

`act` (nektos/act) is not packaged in the registries these machines use (PyPI's
wrappers download its binary and need Docker), so the tests run the action the
way the runner does, step by step:

* each ``run:`` step is written to a file and run with the shell the runner uses
  for ``shell: bash``: ``bash --noprofile --norc -eo pipefail FILE``;
* ``${{ inputs.x }}``, ``${{ github.x }}`` and ``${{ steps.id.outputs.x }}`` are
  substituted in ``env:``, ``working-directory:`` and ``run:`` before the step
  runs, inputs taking the action's defaults (which may be expressions too);
* the runner's files (``GITHUB_OUTPUT``, ``GITHUB_ENV``, ``GITHUB_PATH``,
  ``GITHUB_STEP_SUMMARY``) are fresh per step (the summary is kept across
  steps, as the job's page shows them), and what a step writes to them is
  read back: outputs, variables and PATH entries for the steps after it;
* ``uses:`` steps are the one part not run: ``actions/setup-python`` is stood in
  for by the Python the test puts first on PATH, as setup-python would.

An expression the action uses that this runner does not know fails the test,
rather than being replaced by nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


@dataclass
class StepResult:
    name: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Run:
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # the action's outputs
    summary: str = ""

    @property
    def returncode(self) -> int:
        return self.steps[-1].returncode if self.steps else 0

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)


def _key_values(path: Path) -> dict[str, str]:
    """``name=value`` lines (and ``name<<EOF`` blocks) as the runner reads GITHUB_OUTPUT and GITHUB_ENV."""
    found: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, end = line.split("<<", 1)
            body: list[str] = []
            i += 1
            while lines[i] != end:
                body.append(lines[i])
                i += 1
            found[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            found[name] = value
        i += 1
    return found


def run_action(action_dir: Path, inputs: dict[str, str], env: dict[str, str], workspace: Path, temp: Path,
               only: set[str] | None = None) -> Run:
    """Run the composite action in ``action_dir`` as a job step would; ``only``: step names to run."""
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    github = {"workspace": str(workspace), "token": env.get("GITHUB_TOKEN", ""), "action_path": str(action_dir)}
    given = {k: v for k, v in inputs.items()}
    unknown = set(given) - set(action["inputs"])
    assert not unknown, f"inputs the action does not declare: {unknown}"
    steps_outputs: dict[str, dict[str, str]] = {}

    def evaluate(text: Any) -> str:
        def one(m: re.Match[str]) -> str:
            expr = m.group(1)
            parts = expr.split(".")
            if parts[0] == "inputs" and len(parts) == 2:
                name = parts[1]
                assert name in action["inputs"], f"unknown input {name}"
                value = given.get(name, str(action["inputs"][name].get("default", "")))
                return evaluate(value)
            if parts[0] == "github" and len(parts) == 2 and parts[1] in github:
                return github[parts[1]]
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return steps_outputs.get(parts[1], {}).get(parts[3], "")
            raise AssertionError(f"the runner stand-in does not know the expression {expr!r}")

        return _EXPRESSION.sub(one, str(text))

    summary = temp / "step_summary.md"
    summary.write_text("")
    job_env = {**env, "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(temp), "GITHUB_ACTIONS": "true",
               "CI": "true", "RUNNER_OS": "Linux", "GITHUB_ACTION_PATH": str(action_dir),
               "GITHUB_STEP_SUMMARY": str(summary)}
    run = Run()
    for number, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {number}")
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), f"not pinned by commit: {step['uses']}"
            continue  # stood in for by the caller (docs of this module)
        if only is not None and name not in only:
            continue
        assert step.get("shell") == "bash", f"{name}: composite run steps must say their shell"
        files = {k: temp / f"{k.lower()}_{number}" for k in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")}
        for f in files.values():
            f.write_text("")
        step_env = {**job_env, **{k: str(f) for k, f in files.items()},
                    **{k: evaluate(v) for k, v in (step.get("env") or {}).items()}}
        script = temp / f"step_{number}.sh"
        script.write_text(evaluate(step["run"]))
        cwd = evaluate(step.get("working-directory", str(workspace)))
        done = subprocess.run([*BASH, str(script)], cwd=cwd, env=step_env, capture_output=True, text=True,
                              timeout=600, check=False)
        run.steps.append(StepResult(name, done.returncode, done.stdout, done.stderr))
        if "id" in step:
            steps_outputs[step["id"]] = _key_values(files["GITHUB_OUTPUT"])
        job_env.update(_key_values(files["GITHUB_ENV"]))
        added = [p for p in files["GITHUB_PATH"].read_text().splitlines() if p]
        if added:
            job_env["PATH"] = os.pathsep.join([*reversed(added), job_env["PATH"]])
        if done.returncode != 0:
            break  # the job stops at a failed step
    run.outputs = {k: evaluate(v["value"]) for k, v in (action.get("outputs") or {}).items()}
    run.summary = summary.read_text()
    return run
