"""Which directory a Gemini chat was about, which the chat itself does not say.

Gemini CLI files a chat under ``tmp/<project>/chats/``. ``<project>`` was the
sha256 of the project root (``getProjectHash``; its first 16 hex digits in the
earliest releases), and since the project registry it is a short slug the
registry maps the root to (``projects.json``: ``{"projects": {root: slug}}``),
with the root also written to ``tmp/<slug>/.project_root`` (``projectRegistry.ts``).
The chat keeps ``projectHash``, the sha256 of the root, in any release.

So the directory is, in order of trust: what ``.project_root`` says; the
registry's root for that slug, or whose sha256 is the chat's hash; a directory
the chat names (its ``<session_context>`` lists the workspace directories, older
context says "I'm currently working in the directory: ...", a sub-agent's
metadata has ``directories``) if it hashes to ``projectHash``. A chat under a
hash directory from before the registry has none of these: its directory is
unknown (None), as no hash can be reversed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

_MARKER = ".project_root"
_REGISTRY = "projects.json"
_WORKING_IN = re.compile(r"^I'm currently working in the directory: (.+?)\s*$", re.MULTILINE)
_WORKSPACE = re.compile(r"Workspace Directories:\*\*[ \t]*\n((?:[ \t]+- [^\n]*\n?)+)")
_CONTEXT_MARKS = ("<session_context>", "This is the Gemini CLI. We are setting up the context")


class _Registry(msgspec.Struct):
    projects: dict[str, str] = {}


_REGISTRY_DECODER = msgspec.json.Decoder(_Registry)


def workspace_dir(path: Path) -> Path:
    """``tmp/<project>`` of a chat (``chats/…`` or ``chats/<parent>/…``) or of ``logs.json``."""
    for parent in path.parents:
        if parent.name == "chats":
            return parent.parent
    return path.parent


def is_context(text: str) -> bool:
    """Whether a user message is the environment context Gemini CLI injects, not a prompt."""
    return text.lstrip().startswith(_CONTEXT_MARKS)


def named_dirs(text: str) -> list[str]:
    """Directories an injected context names as the workspace, first the working one."""
    found = [m.group(1) for m in _WORKING_IN.finditer(text)]
    for block in _WORKSPACE.finditer(text):
        found += [line.strip()[2:].strip() for line in block.group(1).splitlines() if line.strip()]
    return found


def hashes_to(directory: str, project_hash: str) -> bool:
    """Whether ``directory`` is the root ``project_hash`` was computed from."""
    if not project_hash:
        return False
    digest = hashlib.sha256(directory.encode()).hexdigest()
    return digest == project_hash or digest[:16] == project_hash


def recorded_root(workspace: Path, project_hash: str) -> str | None:
    """The root ``.project_root`` or the registry records for ``workspace``, if any."""
    try:
        marked = (workspace / _MARKER).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        marked = ""
    if marked:
        return marked
    try:
        registry = _REGISTRY_DECODER.decode((workspace.parent.parent / _REGISTRY).read_bytes())
    except (OSError, msgspec.MsgspecError):
        return None
    slug = workspace.name
    for root, short in registry.projects.items():
        if short == slug or hashes_to(root, slug) or hashes_to(root, project_hash):
            return root
    return None


def verified(candidates: Iterable[str], project_hash: str) -> str | None:
    """The first candidate that hashes to ``project_hash``."""
    for candidate in candidates:
        if candidate and hashes_to(candidate, project_hash):
            return candidate
    return None
