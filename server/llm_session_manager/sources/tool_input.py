"""A tool call's input in a few words, the same way for every assistant.

Replay and export show each call as its name and what it was asked: the
command, the path, the pattern, the URL, the query. Every assistant names
those arguments alike (Claude Code's ``command`` / ``file_path`` / ``pattern``,
Codex's ``command`` / ``cmd`` / ``input``, Gemini CLI's ``command`` /
``absolute_path`` / ``dir_path``), so one reader picks them out of a call's
input whatever the source; an input with none of them (an MCP tool's, say) is
kept as its compact JSON. The parsers store what ``summary`` returns; ingest
redacts it like a message body and only then cuts it to one short line
(``shorten``), so a cut never leaves half of a secret that redaction could no
longer recognise. An Edit's or Write's file contents are never decoded: the
struct below declares only the arguments a summary uses.
"""

import shlex
from typing import Any

import msgspec
from msgspec import Struct

from .base import DECODE_ERRORS

# What a summary keeps before redaction; ``shorten`` cuts the redacted text to ``LIMIT``.
# The margin is wider than any secret a rule knows (a PEM key without its END line loses
# its body anyway), so no secret can straddle the first cut and show after the second.
BEFORE_REDACTION = 2000
LIMIT = 200
# ``bash -lc "…"`` and its kin: the command is the script they run.
_SHELLS = frozenset({"bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/bin/zsh", "/usr/bin/bash"})


class _Fields(Struct, gc=False):
    """The arguments a summary is made of; any other is skipped unread."""

    command: str | list[str] | None = None
    cmd: str | None = None
    pattern: str | None = None
    file_path: str | None = None
    notebook_path: str | None = None
    absolute_path: str | None = None
    path: str | None = None
    dir_path: str | None = None
    url: str | None = None
    query: str | None = None
    skill: str | None = None
    subagent_type: str | None = None
    description: str | None = None
    prompt: str | None = None
    input: str | None = None  # Codex's apply_patch as a function


_FIELDS = msgspec.json.Decoder(_Fields)
_CONVERT = msgspec.convert


def summary(raw: bytes | str | msgspec.Raw | None) -> str | None:
    """A call's input (its JSON) in words; None when it has none."""
    if not raw:
        return None
    try:
        fields = _FIELDS.decode(raw)  # a Raw as it is: an Edit's file contents are not copied
    except DECODE_ERRORS:
        return _raw(raw)
    return _words(fields) or _raw(raw)


def summary_of(args: Any) -> str | None:
    """The same for arguments already decoded (Gemini CLI's ``args``)."""
    if not args:
        return None
    if isinstance(args, dict):
        try:
            words = _words(_CONVERT(args, _Fields))
        except msgspec.ValidationError:
            words = None
        if words:
            return words
    return _raw(msgspec.json.encode(args))


def command(argv: list[str] | str) -> str:
    """A command as typed: an argv joined the shell's way, less a ``bash -lc`` wrapper."""
    if isinstance(argv, str):
        return argv
    if len(argv) == 3 and argv[0] in _SHELLS and argv[1] in ("-c", "-lc", "-ic"):
        return argv[2]
    return shlex.join(argv)


def patch_files(patch: str) -> str | None:
    """The files an ``apply_patch`` names (``*** Update File: …`` lines), or None."""
    names = [line.split(":", 1)[1].strip() for line in patch.splitlines()
             if line.startswith(("*** Add File:", "*** Update File:", "*** Delete File:"))]
    return "apply_patch " + ", ".join(names) if names else None


def shorten(text: str) -> str:
    """A redacted summary as one line of at most ``LIMIT`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= LIMIT else line[: LIMIT - 1] + "…"


def _words(f: _Fields) -> str | None:
    if f.command:
        return _cut(command(f.command))
    if f.cmd:
        return _cut(f.cmd)
    where = f.file_path or f.notebook_path or f.absolute_path or f.path or f.dir_path
    if f.pattern:
        return _cut(f"{f.pattern} in {where}" if where else f.pattern)
    if where:
        return _cut(where)
    if f.url:
        return _cut(f.url)
    if f.query:
        return _cut(f.query)
    if f.skill:
        return _cut(f.skill)
    if f.subagent_type or f.description:
        return _cut(": ".join(x for x in (f.subagent_type, f.description) if x))
    if f.input:
        return patch_files(f.input) or _cut(f.input)
    if f.prompt:
        return _cut(f.prompt)
    return None


def _raw(data: bytes | str | msgspec.Raw) -> str | None:
    """An input none of the known arguments describe, as its JSON text."""
    if isinstance(data, str):
        text = data
    else:
        text = memoryview(data)[: BEFORE_REDACTION * 4].tobytes().decode("utf-8", "replace")
    text = text.strip()
    return _cut(text) if text and text not in ("{}", "null", '""') else None


def _cut(text: str) -> str:
    """At most ``BEFORE_REDACTION`` characters; a cut drops the word it went through."""
    if len(text) <= BEFORE_REDACTION:
        return text
    kept = text[:BEFORE_REDACTION]
    at = max(kept.rfind(" "), kept.rfind("\n"), kept.rfind(","))
    return (kept[:at] if at > 0 else "") + "…"
