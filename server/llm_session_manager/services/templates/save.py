"""``save-template``: a template made from sessions that worked well together.

It takes what the store knows of them: which assistants ran and with which
model (one template session per assistant and model, in the order they were
first active), their tags, and the files they read or wrote (``file_refs``),
the most used first, as paths relative to their directory. The launch command
is each assistant's usual one with its model option; it is a starting point
the user can edit in ``templates.yaml``.
"""

from __future__ import annotations

import glob
import os
from collections import Counter
from datetime import UTC, datetime

import apsw

from ...core.errors import BadInput, NotFound
from ...core.models import short_id
from .. import sessions as listing
from .schema import NAME, Template, TemplateError, TemplateSession

MAX_FILES = 40  # the most used files; a template is a starting point, not a transcript
MAX_SESSIONS = 200  # of a project, the newest

# The command that starts each assistant, and how it is told the model.
_COMMANDS: dict[str, tuple[str, str | None]] = {
    "claude-code": ("claude", "--model"),
    "codex": ("codex", "--model"),
    "gemini": ("gemini", "--model"),
    "copilot": ("copilot", "--model"),
    "aider": ("aider", "--model"),
    "cursor": ("cursor-agent", "--model"),
    "llm": ("llm chat", "-m"),
    "ollama": ("ollama run", ""),
}


def from_sessions(conn: apsw.Connection, name: str, *, refs: list[str] | None = None,
                  project: str | None = None, now: float | None = None) -> Template:
    """A template of the sessions ``refs`` (ids or prefixes), or of ``project``'s newest sessions."""
    if not NAME.match(name):
        raise TemplateError(f"template name {name!r} must be 1-64 letters, digits, '.', '_' or '-', "
                            "starting with a letter or digit")
    if bool(refs) == bool(project):
        raise BadInput("say which sessions: --from ID... or --project P")
    if refs:
        ids = list(dict.fromkeys(listing.resolve_id(conn, r) for r in refs))
    else:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM sessions WHERE project = ? ORDER BY last_activity DESC LIMIT ?", (project, MAX_SESSIONS))]
        if not ids:
            raise NotFound(f"no sessions in project {project!r}")
    marks = ",".join("?" * len(ids))
    rows: list[tuple[str, str, str | None, str | None]] = [
        (str(sid), str(provider), model if isinstance(model, str) else None, cwd if isinstance(cwd, str) else None)
        for sid, provider, model, cwd in conn.execute(
            f"SELECT id, provider, model, cwd FROM sessions WHERE id IN ({marks}) ORDER BY started_at", ids)]
    cwd = Counter(r[3] for r in rows if r[3]).most_common(1)
    root = os.path.realpath(cwd[0][0]) if cwd else None
    kinds = list(dict.fromkeys((provider, model) for _, provider, model, _ in rows))
    tags = [t for (t,) in conn.execute(
        f"SELECT DISTINCT tag FROM tags WHERE session_id IN ({marks}) ORDER BY tag", ids) if t != name]
    when = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
    return Template(
        sessions=tuple(TemplateSession(provider=p, command=_command(p, m), model=m) for p, m in kinds),
        description=f"saved from {', '.join(short_id(i) for i in ids[:5])}{' ...' if len(ids) > 5 else ''}"
                    f" on {when:%Y-%m-%d}",
        tags=tuple(tags),
        context_files=tuple(_files(conn, ids, marks, root)),
    )


def _command(provider: str, model: str | None) -> str:
    program, option = _COMMANDS.get(provider, (provider, None))
    if model and option is not None:
        return f"{program} {option} {model}".replace("  ", " ")
    return program


def _files(conn: apsw.Connection, ids: list[str], marks: str, root: str | None) -> list[str]:
    """The files the sessions used most (by how many sessions, then how often), as globs;
    folders they searched or listed are not files they worked on."""
    ranked = conn.execute(
        f"SELECT path FROM file_refs WHERE session_id IN ({marks}) AND action NOT IN ('search', 'list')"
        " GROUP BY path"
        " ORDER BY count(DISTINCT session_id) DESC, count(*) DESC, min(ts) LIMIT ?", [*ids, MAX_FILES])
    out = []
    for (path,) in ranked:
        if root and os.path.isabs(path) and (os.path.realpath(path) + os.sep).startswith(root + os.sep):
            path = os.path.relpath(os.path.realpath(path), root)
        out.append(glob.escape(path))  # a literal file, even if its name has * or [
    return out
