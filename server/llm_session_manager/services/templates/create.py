"""``create-from-template``: what a template would load and start, then plan and start it.

``prepare`` works everything out without changing anything: the files the
template's globs match in the directory and their token cost, the commands.
``plan`` stores one plan per session (``store.template_plans``): the sessions
appear in the store only once their assistants write logs, and the first scan
after that tags them. ``launch`` starts the commands.
"""

from __future__ import annotations

import glob
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import apsw
import msgspec

from ...core.errors import BadArgument, BadInput
from ...core.models import TokenCount
from ...store import template_plans
from .. import tokens
from .schema import Template

MAX_FILE_BYTES = 4 << 20  # larger files are listed, not counted: no assistant loads them whole


class ContextFile(msgspec.Struct):
    path: str  # relative to the directory when under it, else absolute
    bytes: int
    tokens: int | None  # None: not counted (too large, or unreadable)
    source: str  # exact | estimated | unknown
    method: str | None = None  # how it was counted (as count-tokens says)
    note: str | None = None  # why it was not counted


class PlannedSession(msgspec.Struct):
    position: int
    provider: str
    role: str | None
    model: str | None
    command: str
    plan_id: int | None = None  # set once planned
    pid: int | None = None  # set when launched
    exit_code: int | None = None  # set when launched and finished


class Preparation(msgspec.Struct):
    template: str
    cwd: str
    tags: list[str]  # what each session gets: the template's name, then its tags
    files: list[ContextFile]
    unmatched: list[str]  # globs that matched no file
    total_tokens: int
    token_source: str  # exact | estimated: exact only if every counted file is
    token_model: str | None  # whose tokenizer counted (None: o200k_base)
    token_method: str
    sessions: list[PlannedSession]
    dry_run: bool = False
    launched: bool = False


def prepare(name: str, template: Template, cwd: Path, *, model: str | None = None) -> Preparation:
    """What creating ``template`` in ``cwd`` would load and run; changes nothing.

    Tokens are counted for ``model``, else the first session's model, with the
    bundled tokenizer as ``count-tokens`` counts them without an API key
    (docs/pricing.md): no file is sent anywhere, and a template's files are
    counted at once.
    """
    if not cwd.is_dir():
        raise BadArgument("cwd", f"{cwd} is not a directory")
    cwd = Path(os.path.realpath(cwd))
    model = model or next((s.model for s in template.sessions if s.model), None)
    paths, unmatched = resolve(template.context_files, cwd)
    files = [_counted(p, cwd, model) for p in paths]
    counted = [f for f in files if f.tokens is not None]
    methods = list(dict.fromkeys(f.method for f in counted if f.method))
    return Preparation(
        template=name, cwd=str(cwd), tags=list(dict.fromkeys([name, *template.tags])),
        files=files, unmatched=unmatched,
        total_tokens=sum(f.tokens or 0 for f in counted),
        token_source="exact" if counted and all(f.source == "exact" for f in counted) else "estimated",
        token_model=model, token_method=", ".join(methods) or tokens.count_tokens("", model, offline=True).method,
        sessions=[PlannedSession(i, s.provider, s.role, s.model, s.command) for i, s in enumerate(template.sessions)],
    )


def resolve(globs: tuple[str, ...], cwd: Path) -> tuple[list[Path], list[str]]:
    """The files ``globs`` match (relative to ``cwd``, ``**`` spanning folders), each once
    in the order found, and the globs that matched none."""
    found: dict[Path, None] = {}
    unmatched = []
    for pattern in globs:
        expanded = os.path.expanduser(pattern)
        hits = sorted(glob.glob(expanded, root_dir=None if os.path.isabs(expanded) else cwd, recursive=True))
        files = [p for p in (cwd / h for h in hits) if p.is_file()]
        if not files:
            unmatched.append(pattern)
        found.update(dict.fromkeys(files))
    return list(found), unmatched


def plan(conn: apsw.Connection, prep: Preparation, *, now: float | None = None) -> Preparation:
    """Store a plan per session, so the sessions get the tags when they appear."""
    now = time.time() if now is None else now
    stored = template_plans.add(conn, [
        template_plans.Plan(0, prep.template, s.position, s.provider, s.role, s.model, s.command, prep.cwd,
                            prep.tags, now)
        for s in prep.sessions
    ])
    sessions = [msgspec.structs.replace(s, plan_id=p.id) for s, p in zip(prep.sessions, stored, strict=True)]
    return msgspec.structs.replace(prep, sessions=sessions)


def launch(prep: Preparation, *, stdout: IO[str] | None = None) -> Preparation:
    """Run every session's command in the directory, all at once, and wait for them.

    Each inherits this terminal, so one interactive assistant works as if typed;
    for several at once, commands that open their own window or pane (``tmux
    new-window claude``) or run headless keep them apart. The environment tells
    each its template and role: ``LLM_SESSION_TEMPLATE``, ``LLM_SESSION_ROLE``.
    ``stdout``: where their output goes instead of this process's (``--json`` keeps
    stdout for its one document).
    """
    procs = []
    for s in prep.sessions:
        argv = command_argv(s.command)
        env = {**os.environ, "LLM_SESSION_TEMPLATE": prep.template, "LLM_SESSION_ROLE": s.role or ""}
        try:
            procs.append(subprocess.Popen(argv, cwd=prep.cwd, env=env, stdout=stdout))
        except OSError as e:
            for started, p in zip(prep.sessions, procs, strict=False):  # left running: the user's sessions now
                print(f"started {started.command} (pid {p.pid})", file=sys.stderr)
            raise BadInput(f"cannot run {argv[0]!r} for session {s.position} ({s.provider}): {e.strerror}") from None
    sessions = [msgspec.structs.replace(s, pid=p.pid, exit_code=p.wait())
                for s, p in zip(prep.sessions, procs, strict=True)]
    return msgspec.structs.replace(prep, sessions=sessions, launched=True)


def command_argv(command: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise BadInput(f"cannot split command {command!r}: {e}") from None
    if not argv:
        raise BadInput("a session's command is empty")
    return argv


def _counted(path: Path, cwd: Path, model: str | None) -> ContextFile:
    shown = str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return ContextFile(shown, size, None, "unknown", f"over {MAX_FILE_BYTES >> 20} MB, not counted")
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as e:
        return ContextFile(shown, 0, None, "unknown", f"cannot read: {e.strerror}")
    count: TokenCount = tokens.count_tokens(text, model, offline=True)
    return ContextFile(shown, size, count.tokens, count.source, count.method)
