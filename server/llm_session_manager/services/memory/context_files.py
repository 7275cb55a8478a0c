"""``recall --import-to``: recalled memories into the file a session's assistant reads.

Claude Code reads ``CLAUDE.md``, Codex ``AGENTS.md`` and Gemini CLI ``GEMINI.md``
in the session's working directory. The memories go in a marked section, which
is replaced on the next import; everything outside the markers is the user's
and is kept byte for byte. The file is replaced atomically.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import apsw

from ...core.errors import BadInput
from ...store import write_transaction
from ..sessions import resolve_id
from .records import Memory

START = "<!-- llm-session-manager:memories start -->"
END = "<!-- llm-session-manager:memories end -->"
FILES = {"claude-code": "CLAUDE.md", "codex": "AGENTS.md", "gemini": "GEMINI.md"}
DEFAULT_FILE = "AGENTS.md"  # the cross-tool convention, for assistants without their own
_SECTION = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\n?", re.S)


def context_file(provider: str, cwd: str) -> Path:
    return Path(cwd) / FILES.get(provider, DEFAULT_FILE)


def section(memories: list[Memory]) -> str:
    lines = [START, "## Memories (from llm-session-manager)", ""]
    for m in memories:
        text = " ".join(m.text.split()).replace("<!--", "<!- -").replace("-->", "- ->")
        where = ", ".join(x for x in (m.project, (m.created_at or "")[:10]) if x)
        lines.append(f"- {text}" + (f" ({where})" if where else ""))
    if not memories:
        lines.append("_No memories matched._")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def merge(existing: str, new_section: str) -> str:
    """``existing`` with its memory section replaced by ``new_section`` (or appended)."""
    if _SECTION.search(existing):
        return _SECTION.sub(lambda _: new_section, existing, count=1)
    if not existing:
        return new_section
    gap = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
    return existing + gap + new_section


def import_to_session(conn: apsw.Connection, config: Any, session_ref: str, memories: list[Memory]) -> Path:
    """Write ``memories`` into session ``session_ref``'s context file; record the link."""
    sid = resolve_id(conn, session_ref)
    provider, cwd = conn.execute("SELECT provider, cwd FROM sessions WHERE id = ?", (sid,)).get
    if not cwd:
        raise BadInput(f"session {sid} has no working directory recorded; cannot place its context file")
    if not Path(cwd).is_dir():
        raise BadInput(f"session {sid}'s working directory {cwd} does not exist (moved or on another machine)")
    path = context_file(provider, cwd)
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from e
    _write_atomic(path, merge(existing, section(memories)))
    now = time.time()
    with write_transaction(conn):
        conn.executemany(
            "INSERT OR REPLACE INTO memory_imports (session_id, memory_id, path, imported_at) VALUES (?, ?, ?, ?)",
            [(sid, m.id, str(path), now) for m in memories],
        )
    return path


def _write_atomic(path: Path, text: str) -> None:
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else None
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        raise BadInput(f"cannot write {path}: {e.strerror}") from e
