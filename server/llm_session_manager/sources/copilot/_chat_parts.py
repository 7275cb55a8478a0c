"""What one request of a VS Code chat session says: the prompt, the text sent and
received, the token counts when recorded, and the files it touched.

A request is ``ISerializableChatRequestData`` (``chatModel.ts``): ``message`` (a string
in the oldest files, else ``{"text", "parts"}``), ``variableData.variables`` (attached
context), ``response`` (parts: markdown is a bare ``{"value"}``, everything else keeps
its ``kind``), ``result`` (the Copilot extension's ``timings``, ``details`` and
``metadata``: ``renderedUserMessage``, ``toolCallRounds``, ``toolCallResults`` and,
in recent versions, ``promptTokens``/``outputTokens``/``resolvedModel``),
``modelState``, ``modelId``, ``contentReferences``, ``editedFileEvents``; and, since
VS Code records usage itself, ``promptTokens``/``completionTokens`` on the request.
"""

from __future__ import annotations

from typing import Any

from ._paths import uri_path

Ref = tuple[str, str]  # (path, action)

PENDING, NEEDS_INPUT = 0, 4  # ResponseModelState: the response is still being written
_TEXT = 1  # ChatCompletionContentPartKind.Text, in a rendered prompt
_EDIT_KINDS = ("textEditGroup", "notebookEditGroup")
# Parts inside a run of markdown that do not end it (a code block's file, an undo point).
_INLINE_KINDS = ("codeblockUri", "undoStop", "prepareToolInvocation")


def obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: object) -> str:
    return value if isinstance(value, str) else ""


def count(value: object) -> int:
    """A token count as logged: a non-negative int, anything else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def metadata(req: dict[str, Any]) -> dict[str, Any]:
    return obj(obj(req.get("result")).get("metadata"))


def in_progress(req: dict[str, Any]) -> bool:
    state = obj(req.get("modelState")).get("value")
    return state in (PENDING, NEEDS_INPUT)


def answered(req: dict[str, Any]) -> bool:
    """Whether the request got as far as the model: a result or some response."""
    return bool(req.get("result")) or bool(items(req.get("response")))


def recorded_tokens(req: dict[str, Any]) -> tuple[int, int]:
    """(prompt, output) tokens as logged, 0 where absent.

    VS Code's own ``completionTokens`` adds up every model call of the turn, the
    extension's ``outputTokens`` only the last one: the larger is the fuller figure.
    Both prompt counts are the last call's whole prompt.
    """
    md = metadata(req)
    prompt = max(count(req.get("promptTokens")), count(md.get("promptTokens")))
    output = max(count(req.get("completionTokens")), count(md.get("outputTokens")))
    return prompt, output


def prompt(req: dict[str, Any]) -> str:
    message = req.get("message")
    return (message if isinstance(message, str) else text(obj(message).get("text"))).strip()


def input_text(req: dict[str, Any], typed: str) -> str:
    """What was sent for this turn: the rendered prompt when the extension recorded it,
    else the typed message and the text of its attached variables; plus tool results,
    which the model read back in the turn's later calls."""
    md = metadata(req)
    rendered = [
        *_rendered(md.get("renderedGlobalContext")), *_rendered(md.get("renderedUserMessage"))
    ]
    if not rendered:
        variables = items(obj(req.get("variableData")).get("variables"))
        rendered = [typed, *(text(obj(v).get("value")) for v in variables)]
    rendered.extend(_tool_results(md.get("toolCallResults")))
    return "\n".join(t for t in rendered if t)


def response_text(req: dict[str, Any]) -> str:
    """The markdown the user was shown: runs of markdown (with inline file references,
    shown as the file's name) are one block, and blocks that tool calls or edits came
    between are separate paragraphs, as VS Code copies a response."""
    blocks: list[str] = []
    block: list[str] = []
    for part in items(req.get("response")):
        part = obj(part)
        kind = part.get("kind")
        if kind is None:
            block.append(text(part.get("value")))
        elif kind in ("markdownContent", "markdownVuln"):
            block.append(text(obj(part.get("content")).get("value")))
        elif kind == "inlineReference":
            block.append(_reference_name(part))
        elif kind not in _INLINE_KINDS and block:
            blocks.append("".join(block).strip())
            block = []
    blocks.append("".join(block).strip())
    return "\n\n".join(b for b in blocks if b)


def output_text(req: dict[str, Any], shown: str) -> str:
    """What the model wrote: every tool-call round's text, tool arguments and thinking
    when recorded (agent mode), else the shown markdown, thinking and edits."""
    rounds = items(metadata(req).get("toolCallRounds"))
    out: list[str] = []
    if rounds:
        for r in rounds:
            r = obj(r)
            out.append(text(r.get("response")))
            out.extend(text(obj(call).get("arguments")) for call in items(r.get("toolCalls")))
            out.append(_thinking(obj(r.get("thinking")).get("text")))
        return "\n".join(t for t in out if t)
    out.append(shown)
    for part in items(req.get("response")):
        part = obj(part)
        if part.get("kind") == "thinking":
            out.append(_thinking(part.get("value")))
        elif part.get("kind") in _EDIT_KINDS:
            for batch in items(part.get("edits")):
                out.extend(text(obj(e).get("text")) for e in items(batch))
    return "\n".join(t for t in out if t)


def file_refs(req: dict[str, Any]) -> list[Ref]:
    """Files attached or used as context (read) and files the response changed (edit)."""
    refs: dict[Ref, None] = {}
    for var in items(obj(req.get("variableData")).get("variables")):
        var = obj(var)
        if var.get("kind") == "directory":
            _add(refs, _location(var.get("value")), "list")
        elif var.get("kind") == "file" or var.get("isFile"):
            _add(refs, _location(var.get("value")), "read")
    for ref in items(req.get("contentReferences")):
        _add(refs, _location(obj(ref).get("reference")), "read")
    for event in items(req.get("editedFileEvents")):
        _add(refs, uri_path(obj(event).get("uri")), "edit")
    for part in items(req.get("response")):
        part = obj(part)
        if part.get("kind") in _EDIT_KINDS:
            _add(refs, uri_path(part.get("uri")), "edit")
    return list(refs)


def _add(refs: dict[Ref, None], path: str | None, action: str) -> None:
    if path:
        refs[(path, action)] = None


def _location(value: object) -> str | None:
    """A URI, or a ``Location`` (``{"uri", "range"}``)."""
    value = obj(value)
    return uri_path(value.get("uri")) if "uri" in value else uri_path(value)


def _reference_name(part: dict[str, Any]) -> str:
    name = text(part.get("name"))
    if not name:
        ref = obj(part.get("inlineReference"))
        name = text(ref.get("name")) or (_location(ref) or "").rpartition("/")[2]
    return f"`{name}`" if name else ""


def _rendered(parts: object) -> list[str]:
    if isinstance(parts, str):
        return [parts]
    return [text(obj(p).get("text")) for p in items(parts) if obj(p).get("type") == _TEXT]


def _thinking(value: object) -> str:
    if isinstance(value, list):
        return "".join(text(v) for v in value)
    return text(value)


def _tool_results(results: object) -> list[str]:
    """Tool output as the model read it: plain strings, or VS Code's prompt-tsx render
    trees, whose text leaves are ``{"type": 2, "text"}`` nodes."""
    out: list[str] = []
    for result in obj(results).values():
        for item in items(obj(result).get("content")):
            value = obj(item).get("value")
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, dict):
                out.append(_tree_text(value.get("node")))
    return out


def _tree_text(node: object) -> str:
    parts: list[str] = []
    stack = [node]
    while stack:
        n = obj(stack.pop())
        if n.get("type") == 2:
            parts.append(text(n.get("text")))
        stack.extend(reversed(items(n.get("children"))))
    return "".join(parts)

