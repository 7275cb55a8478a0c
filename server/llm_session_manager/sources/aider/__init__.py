"""Aider: the ``.aider.chat.history.md`` it appends to in each project.

Aider has no central data directory: it writes the file at the top of the git
repository it runs in (or in the current directory without git), so the file's
directory is the session's project. Where to look is therefore a guess, kept
cheap because ``serve`` repeats it every scan (and does not watch these trees):

* the directories listed in ``sources.aider.paths``, and ``~/src``, ``~/code``,
  ``~/projects``, ``~/work``, ``~/dev``, ``~/git``, ``~/repos`` and a few more
  (``CODE_DIRS``), each searched ``MAX_DEPTH`` levels down, not into hidden
  directories, dependency or build trees (``SKIP``), nor into a git repository
  below its top (its file is at the top);
* the home directory itself and each directory directly in it, one level only;
* the file ``AIDER_CHAT_HISTORY_FILE`` names, when it is an absolute path.

How a file's lines become rows is in ``_history``; the usage report in ``_report``.
Both are imported on first use: a rescan that finds nothing new never needs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout

HISTORY = ".aider.chat.history.md"
CODE_DIRS = ("src", "code", "Code", "projects", "Projects", "work", "dev", "Developer",
             "git", "repos", "workspace", "github", "GitHub")
MAX_DEPTH = 4
SKIP = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "target"})


class Aider:
    provider = "aider"
    exact = False  # the report rounds its counts (12k); rows printed in full say exact
    layout: Layout = "lines"
    watched = False  # project trees are too broad to watch; the periodic scan reads them

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        roots = [home / name for name in CODE_DIRS]
        roots += [Path(p) for p in _histories(os.fspath(home), 1)]
        named = Path(env.get("AIDER_CHAT_HISTORY_FILE", "").strip()).expanduser()
        if named.is_absolute():
            roots.append(named)
        return roots

    def discover(self, root: Path) -> Iterator[str]:
        """``root`` itself if it is a history file, else the history files under it."""
        if root.is_file():
            yield os.fspath(root)
            return
        yield from _histories(os.fspath(root), MAX_DEPTH)

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        from ._history import parse_history

        return parse_history(path, data, state)


def _histories(top: str, depth: int) -> list[str]:
    """History files in ``top`` and up to ``depth`` directories below it, sorted.

    ``os.scandir`` tells directories from the listing, so a directory costs one
    call; a missing or unreadable one is skipped.
    """
    found: list[str] = []
    stack = [(top, 0)]
    while stack:
        directory, level = stack.pop()
        below: list[str] = []
        is_repo = False
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = entry.name
                    if name == HISTORY:
                        if entry.is_file():
                            found.append(entry.path)
                    elif name == ".git":
                        is_repo = True
                    elif (level < depth and name[0] != "." and name not in SKIP
                          and entry.is_dir(follow_symlinks=False)):
                        below.append(entry.path)
        except OSError:
            continue
        if not is_repo or level == 0:
            stack += [(d, level + 1) for d in below]
    found.sort(key=lambda p: p.split(os.sep))
    return found


SOURCE = Aider()

__all__ = ["SOURCE", "Aider"]
