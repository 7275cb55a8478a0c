"""What is kept of a rollout's conversation: the user's prompts, Codex's answers,
and the files its tool calls read, searched, listed or changed.

Prompts are read from ``user_message`` events, not from the ``response_item``
messages that also carry what Codex injects (``AGENTS.md``, the environment). What
still is not typed by the user is left out: 0.3x's ``<environment_context>`` and
``<user_instructions>`` wrappers, and the editor state IDE extensions put before
``## My request for Codex:``. Tool output is not kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from ..shell_paths import paths_from_command, paths_from_patch
from ._lines import ARGUMENTS, CustomCall, FunctionCall, Line, LocalShellCall, Message

if TYPE_CHECKING:
    from ._chunk import Chunk

_WRAPPERS = ("<environment_context>", "<user_instructions>")
_WRAPPER_KINDS = ("environment_context", "user_instructions")
_REQUEST_MARK = "## My request for Codex:"  # IDE extensions prepend editor context
_SHELL_TOOLS = frozenset({"shell", "container.exec", "shell_command", "exec_command"})


def user_message(c: Chunk, line: Line[Message]) -> None:
    p = line.payload
    text = p.message.strip()
    if p.kind in _WRAPPER_KINDS or text.startswith(_WRAPPERS):
        return
    text = text.rpartition(_REQUEST_MARK)[2].strip()
    if not text:
        return
    c.message(line.timestamp, "user", "prompt", text)
    if c.s.title is None:
        one_line = " ".join(text.split())
        c.s.title = one_line if len(one_line) <= 80 else one_line[:79] + "…"


def agent_message(c: Chunk, line: Line[Message]) -> None:
    text = line.payload.message.strip()
    if text:
        c.message(line.timestamp, "assistant", "text", text)


def function_call(c: Chunk, line: Line[FunctionCall]) -> None:
    """``shell``/``exec_command``/``shell_command`` runs, and ``apply_patch`` as a function."""
    p = line.payload
    if p.name != "apply_patch" and p.name not in _SHELL_TOOLS:
        return
    try:
        args = ARGUMENTS.decode(p.arguments)
    except msgspec.MsgspecError:
        return
    base = _base(c, args.workdir)
    if p.name == "apply_patch":
        c.refs(line.timestamp, paths_from_patch(args.input or "", base))
    elif args.command or args.cmd:
        c.refs(line.timestamp, paths_from_command(args.command or args.cmd or "", base))


def custom_call(c: Chunk, line: Line[CustomCall]) -> None:
    """``apply_patch`` as a freeform tool: the patch is the whole input."""
    if line.payload.name == "apply_patch":
        c.refs(line.timestamp, paths_from_patch(line.payload.input, c.s.cwd))


def local_shell_call(c: Chunk, line: Line[LocalShellCall]) -> None:
    action = line.payload.action
    if action and action.command:
        base = _base(c, action.working_directory)
        c.refs(line.timestamp, paths_from_command(action.command, base))


def _base(c: Chunk, workdir: str | None) -> str | None:
    """A call's working directory: its own ``workdir``, relative to the session's cwd."""
    cwd = c.s.cwd
    if workdir and cwd and workdir[0] != "/":
        return f"{cwd}/{workdir}"
    return workdir or cwd
