"""Claude Code's content blocks and tool calls, each encoded to JSON once.

A tool call is an ``Op``: the assistant's ``tool_use`` block, the ``tool_result`` that
comes back, and the ``toolUseResult`` detail Claude Code logs beside it, shaped as
Claude Code 2.0.x writes them for Read, Edit, Bash, Grep, Glob, Write and TodoWrite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ._content import bash_output, lang_of, source
from ._format import Ids, dumps, tokens

_ARROW = "\u2192"  # Read numbers lines as "     1→text"
_REMINDER = (
    "\n\n<system-reminder>\nWhen you read a file, consider whether it looks malicious. You may explain"
    " what such code does, but do not improve or extend it.\n</system-reminder>\n"
)
_TODO_DONE = (
    "Todos have been modified successfully. Ensure that you continue to use the todo list to track your"
    " progress. Please proceed with the current tasks if applicable"
)


def _numbered(lines: list[str], first: int = 1) -> str:
    return "\n".join(f"{n:>6}{_ARROW}{line}" for n, line in enumerate(lines, first))


class Blob(NamedTuple):
    """A file's text, encoded once: the raw text and the Read tool's numbered view."""

    raw: str  # JSON string of the text
    numbered: str  # JSON string of the text as Read shows it
    lines: list[str]
    tokens: int


def blob(text: str) -> Blob:
    lines = text.split("\n")
    numbered = _numbered(lines) + _REMINDER
    return Blob(dumps(text), dumps(numbered), lines, tokens(numbered))


class Op(NamedTuple):
    """One tool call: the assistant's tool_use block and what came back."""

    id: str
    use: str  # tool_use content block, JSON
    result: str  # tool_result content, JSON
    detail: str  # the line's toolUseResult, JSON
    error: bool
    tokens: int  # what the result adds to the context


def tool_use(tid: str, name: str, args: dict[str, object]) -> str:
    return f'{{"type":"tool_use","id":"{tid}","name":"{name}","input":{dumps(args)}}}'


def text_block(text: str) -> str:
    return f'{{"type":"text","text":{dumps(text)}}}'


def thinking_block(ids: Ids, text: str) -> str:
    return f'{{"type":"thinking","thinking":{dumps(text)},"signature":"{ids.b58(180)}"}}'


def tool_id(ids: Ids) -> str:
    return "toolu_01" + ids.b58(22)


class Files:
    """One project's files, and the tool calls Claude Code makes on them.

    ``op(kind, arg)`` takes a kind (``read``, ``edit``, ``bash``, ``grep``, ``glob``,
    ``write``, ``todo``; ``edit!`` and ``bash!`` fail) and a path, command or pattern.
    """

    def __init__(self, ids: Ids, cwd: str, blob_for: Callable[[str], Blob]) -> None:
        self.ids, self.rng, self.cwd, self.blob_for = ids, ids.rng, cwd, blob_for

    def op(self, kind: str, arg: str) -> Op:
        return getattr(self, "_" + kind.rstrip("!"))(tool_id(self.ids), arg, kind.endswith("!"))

    def _read(self, tid: str, rel: str, _: bool) -> Op:
        b, path = self.blob_for(rel), f"{self.cwd}/{rel}"
        n = len(b.lines)
        detail = (
            f'{{"type":"text","file":{{"filePath":{dumps(path)},"content":{b.raw},'
            f'"numLines":{n},"startLine":1,"totalLines":{n}}}}}'
        )
        return Op(tid, tool_use(tid, "Read", {"file_path": path}), b.numbered, detail, False, b.tokens)

    def _edit(self, tid: str, rel: str, fail: bool) -> Op:
        b, path = self.blob_for(rel), f"{self.cwd}/{rel}"
        at = self.rng.randrange(len(b.lines))
        old = b.lines[at] or b.lines[0]
        new = old.replace("return", "return  ") if "return" in old else old + "  # reviewed"
        use = tool_use(tid, "Edit", {"file_path": path, "old_string": old, "new_string": new})
        if fail:
            msg = f"String to replace not found in file.\nString: {old}"
            return Op(tid, use, dumps(f"<tool_use_error>{msg}</tool_use_error>"), dumps("Error: " + msg), True, 30)
        first = max(0, at - 4)
        text = (
            f"The file {path} has been updated. Here's the result of running `cat -n` on a snippet of the"
            f" edited file:\n{_numbered(b.lines[first : at + 5], first + 1)}"
        )
        patch = [
            {"oldStart": at + 1, "oldLines": 1, "newStart": at + 1, "newLines": 1, "lines": [f"-{old}", f"+{new}"]}
        ]
        detail = (
            f'{{"filePath":{dumps(path)},"oldString":{dumps(old)},"newString":{dumps(new)},"originalFile":{b.raw},'
            f'"structuredPatch":{dumps(patch)},"userModified":false,"replaceAll":false}}'
        )
        return Op(tid, use, dumps(text), detail, False, tokens(text))

    def _bash(self, tid: str, command: str, fail: bool) -> Op:
        out = bash_output(self.rng, self.cwd, command, not fail)
        use = tool_use(tid, "Bash", {"command": command, "description": "Run " + command.split()[0]})
        if fail:
            return Op(tid, use, dumps("Exit code 1\n" + out), dumps("Error: Exit code 1\n" + out), True, tokens(out))
        detail = dumps({"stdout": out, "stderr": "", "interrupted": False, "isImage": False})
        return Op(tid, use, dumps(out), detail, False, tokens(out))

    def _grep(self, tid: str, pattern: str, _: bool) -> Op:
        rng = self.rng
        where = ("src/app.py", "src/settings.py", "src/api/deps.py")[: rng.randint(1, 3)]
        hits = [f"{self.cwd}/{p}:{rng.randint(3, 140)}:    {pattern} = settings.{pattern.lower()}" for p in where]
        text = "\n".join(hits)
        detail = dumps({"mode": "content", "numFiles": 0, "filenames": [], "content": text, "numLines": len(hits)})
        use = tool_use(tid, "Grep", {"pattern": pattern, "output_mode": "content", "-n": True})
        return Op(tid, use, dumps(text), detail, False, tokens(text))

    def _glob(self, tid: str, pattern: str, _: bool) -> Op:
        names = [f"{self.cwd}/src/{d}/{n}" for d in ("screens", "store", "api") for n in ("index.ts", "types.ts")]
        detail = dumps(
            {"filenames": names, "durationMs": self.rng.randint(4, 90), "numFiles": len(names), "truncated": False}
        )
        use = tool_use(tid, "Glob", {"pattern": pattern})
        return Op(tid, use, dumps("\n".join(names)), detail, False, 20 * len(names))

    def _write(self, tid: str, rel: str, _: bool) -> Op:
        text, path = source(self.rng, lang_of(rel), self.rng.randint(30, 110)), f"{self.cwd}/{rel}"
        detail = dumps({"type": "create", "filePath": path, "content": text, "structuredPatch": []})
        use = tool_use(tid, "Write", {"file_path": path, "content": text})
        return Op(tid, use, dumps(f"File created successfully at: {path}"), detail, False, 12)

    def _todo(self, tid: str, items: str, _: bool) -> Op:
        states = ("completed", "in_progress", "pending", "pending", "pending")
        todos = [{"content": c, "status": s, "activeForm": c} for c, s in zip(items.split("; "), states, strict=False)]
        detail = dumps({"oldTodos": [], "newTodos": todos})
        return Op(tid, tool_use(tid, "TodoWrite", {"todos": todos}), dumps(_TODO_DONE), detail, False, 40)
