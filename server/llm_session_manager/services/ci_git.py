"""What a CI report asks of the repository's git history: its branch, and who each session was.

A session's **author** is, in this order:

1. the author of the commit that added its transcript (a file under the
   transcripts directory whose name holds the session id: Claude Code names a
   log by its session id, Codex ends the name with it). People commit their own
   logs, so this is the person whose session it was.
2. else the author of most commits made in the repository while the session
   ran (its first to its last response): who worked with it, for transcripts
   uploaded as artifacts rather than committed;
3. else ``(unknown)``.

The transcript's own fields are not used: they hold a local user name at most,
which is not how the repository knows anyone.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

import msgspec

UNKNOWN = "(unknown)"


class Commit(msgspec.Struct, array_like=True):
    ts: float
    author: str


class History(msgspec.Struct):
    added_by: dict[str, str]  # transcript file name -> who added it
    commits: list[Commit]  # oldest first

    def author(self, session_id: str, started: float | None, last: float | None) -> str:
        for name, who in self.added_by.items():
            if session_id in name:
                return who
        if started is not None and last is not None:
            during = Counter(c.author for c in self.commits if started <= c.ts <= last)
            if during:
                return during.most_common(1)[0][0]
        return UNKNOWN


def _git(repo: Path, *args: str) -> str | None:
    """``git ARGS`` in ``repo``, or None where it is not a repository or git is missing."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def branch(repo: Path) -> str | None:
    """The branch being built: the CI's word for it (a pull request's head branch), else git's."""
    for name in ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"):
        if os.environ.get(name):
            return os.environ[name]
    found = (_git(repo, "rev-parse", "--abbrev-ref", "HEAD") or "").strip()
    return found if found and found != "HEAD" else None


def history(repo: Path, transcripts: Path) -> History:
    """Who added each transcript, and every commit's time and author."""
    added: dict[str, str] = {}
    where = os.path.relpath(transcripts, repo) if transcripts.is_relative_to(repo) else None
    if where is not None:
        out = _git(repo, "log", "--diff-filter=A", "--format=%x00%an <%ae>", "--name-only", "--", where) or ""
        for block in out.split("\x00")[1:]:
            who, *names = block.strip().splitlines()
            for name in names:
                added.setdefault(os.path.basename(name), who)  # newest first: a re-added log is its latest adder's
    commits = []
    for line in (_git(repo, "log", "--format=%at %an <%ae>") or "").splitlines():
        ts, _, who = line.partition(" ")
        if ts.isdigit():
            commits.append(Commit(float(ts), who))
    commits.reverse()
    return History(added, commits)
