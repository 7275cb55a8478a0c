"""``ci report`` and ``instructions-budget`` at the edges a CI job or a hook meets (docs/ci.md)."""

from __future__ import annotations

import os
from pathlib import Path

import apsw
from ci_repo import make_repo


def test_a_repository_without_transcripts_is_one_clear_line(cli, tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    r = cli("ci", "report", "--repo", str(repo))
    assert r.code == 1
    assert r.err == (f"error: no transcripts directory {repo / '.llm-sessions'}: commit the assistants' logs there "
                     "(.claude/projects/..., .codex/sessions/...) or download them as an artifact\n")


def test_a_comment_outside_a_pull_request_warns_and_the_job_still_passes(cli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop")
    event = tmp_path / "push.json"
    event.write_text('{"ref": "refs/heads/fix/coupon"}')
    r = cli("ci", "report", "--repo", str(repo), "--comment", "--json",
            env={"GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "",
                 "CI_COMMIT_REF_NAME": "", "GITHUB_ACTIONS": "true", "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "acme/shop",
                 "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": "http://127.0.0.1:9"})
    assert r.code == 0, r.err
    assert r.err == "warning: this run is not for a pull request (push): nothing to comment on\n"
    assert r.json()["branch"] == "fix/coupon"  # git's branch: no CI variable names it here
    assert not Path(os.environ["LLM_SESSION_DATA_DIR"]).exists()  # the transcripts went to a throw-away store


def test_instruction_file_counts_are_kept_in_an_existing_store_and_no_store_is_made(cli, tmp_path: Path) -> None:
    (tmp_path / "CLAUDE.md").write_text("# Shop\n\nA web shop.\n\n## Style\n\nFour-space indents.\n")
    data = Path(os.environ["LLM_SESSION_DATA_DIR"])
    first = cli("instructions-budget", str(tmp_path / "CLAUDE.md"), "--json")
    assert first.code == 0 and not data.exists()
    assert cli("scan").code == 0  # now there is a store
    warm = cli("instructions-budget", str(tmp_path / "CLAUDE.md"), "--json")
    assert warm.json() == first.json()
    kept = apsw.Connection(str(data / "sessions.db")).execute(
        "SELECT count(*) FROM token_counts WHERE model = 'o200k_base'").fetchone()[0]
    assert kept == len(first.json()[0]["sections"])
