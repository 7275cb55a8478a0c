"""What a new user sees first: the README's opening, the demo's closing hint."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_the_readme_opens_with_its_title_then_the_two_commands_for_a_fresh_machine():
    lines = [line for line in (ROOT / "README.md").read_text().splitlines() if line.strip()]
    assert lines[0] == "# llm-session-manager"
    assert lines[1].split("#")[0].strip() == "make demo"
    assert lines[2].split("#")[0].strip() == "make test"


def test_the_docs_point_nowhere_outside_the_repository():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)", page.read_text()):
            if not target.startswith(("http://", "https://", "mailto:")):
                assert (page.parent / target).resolve().is_relative_to(ROOT), (page.name, target)
                assert (page.parent / target).exists(), (page.name, target)
        assert "shared/DESIGN.md" not in page.read_text(), page.name


def _starts() -> list[list[str]]:
    """``llm-session`` as ``make demo`` runs it (the venv's script), and as ``python -m``."""
    script = Path(sys.executable).with_name("llm-session")
    return [[str(script)], [sys.executable, "-m", "llm_session_manager"]] if script.exists() else \
        [[sys.executable, "-m", "llm_session_manager"]]


@pytest.mark.parametrize("start", _starts(), ids=lambda s: Path(s[-1]).name)
def test_the_demo_ends_with_a_command_that_runs_as_printed(start, tmp_path):
    # The venv's bin is not on PATH, as after `make demo`; a narrow terminal must not wrap the command.
    env = {**os.environ, "PATH": "/usr/bin:/bin", "COLUMNS": "50"}
    demo = subprocess.run([*start, "demo", "--dir", str(tmp_path / "demo")], capture_output=True, text=True,
                          check=False, env=env, timeout=120)
    assert demo.returncode == 0, demo.stderr
    hint = demo.stdout.rstrip("\n").splitlines()[-1].strip()
    assert hint.endswith(" list --no-scan"), hint
    listed = subprocess.run(hint.replace(" list --no-scan", " list --no-scan --json"), shell=True, check=False,
                            capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 10  # the demo's sessions, not the user's
