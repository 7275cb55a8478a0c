"""What a tool is made of: typed arguments, a typed result and a service call.

Arguments and results are msgspec structs, the same kind the services hand to
every frontend; arguments other frontends take too derive from the shared ones
in ``core/args.py``. From them come the JSON schemas a client sees in
``tools/list`` (field descriptions and bounds included), the validation of
each call -- an error names the argument, as in ``limit must be a whole number
from 1 to 50, got 51``, the same words the LSP answers -- and the structured
content of each result. Schemas are built on the first ``tools/list``, not at
start-up.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import msgspec

from ...core import args as shared
from ...core.args import NonEmpty

__all__ = ["Args", "NonEmpty", "Tool", "object_schema", "to_json", "tool"]


class Args(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base of tool arguments: an unknown argument is an error, not silently dropped.

    A tool taking arguments another frontend takes too lists the shared struct
    first, ``class RecallArgs(shared.RecallQuery, Args)``: its fields come first
    in the schema, and unknown fields are still refused.
    """


class Tool:
    """One MCP tool. ``run(conn, config, args)`` runs in a worker thread.

    A ``signed`` tool is told who called it, ``run(conn, config, args, writer)``,
    to label what it writes ("claude-code 2.1.3 via remember"), so a reader can
    weigh a memory a model planted.
    """

    def __init__(
        self,
        run: Callable[..., Any],
        args: type[Args],
        result: Any,
        *,
        title: str,
        fresh: bool = False,
        read_only: bool = True,
        idempotent: bool = True,
        signed: bool = False,
    ) -> None:
        self.name = run.__name__
        self.description = inspect.cleandoc(run.__doc__ or "")
        self.run = run
        self.args = args
        self.result = result
        self.title = title
        self.fresh = fresh  # scan the logs first: the tool reads sessions
        self.read_only = read_only
        self.idempotent = idempotent
        self.signed = signed

    def parse(self, arguments: dict[str, Any] | None) -> Args:
        """The call's arguments as ``self.args``; a ``BadArgument`` names one that does not fit."""
        return shared.convert(arguments or {}, self.args)

    @functools.cached_property
    def input_schema(self) -> dict[str, Any]:
        return object_schema(self.args)

    @functools.cached_property
    def output_schema(self) -> dict[str, Any]:
        """What a result holds, in outline: its fields and the JSON type of each.

        Every ``tools/list`` lands in the assistant's context, and the full nested
        schemas of the results cost as many tokens as all the tools' arguments; the
        descriptions say what the fields hold. An outline is still true of every
        result, so a client that validates structured content accepts each one.
        """
        return outline(object_schema(self.result))


def tool(args: type[Args], result: Any, **options: Any) -> Callable[[Callable[..., Any]], Tool]:
    """Make the decorated ``run(conn, config, args)`` a ``Tool``; its docstring is the description."""
    return lambda run: Tool(run, args, result, **options)


def object_schema(tp: Any) -> dict[str, Any]:
    """A self-contained JSON schema whose top level is the object itself (MCP needs ``type: object``).

    msgspec puts every struct in ``$defs`` and refers to it; the top-level one
    is inlined and the others stay in ``$defs`` of the same document, so the
    ``$ref``s resolve without any outside registry.
    """
    (top,), defs = msgspec.json.schema_components([tp], ref_template="#/$defs/{name}")
    name = top["$ref"].rsplit("/", 1)[-1]
    schema = dict(defs.pop(name))
    if defs:
        schema["$defs"] = defs
    return compact(schema)


def compact(schema: Any) -> Any:
    """The same schema in fewer tokens: every ``tools/list`` lands in the model's context.

    ``anyOf: [{type: T}, {type: null}]`` becomes ``type: [T, null]`` (an enum
    takes ``null`` among its values), and what says nothing goes: the
    ``title`` msgspec gives each struct (its class name), ``default: null`` of
    an optional field, an empty ``required``. What a value may be is unchanged.
    """
    if isinstance(schema, list):
        return [compact(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    # A property named "title" has a schema (a dict) for its value, so it stays.
    out = {k: compact(v) for k, v in schema.items()
           if not (k == "title" and isinstance(v, str)) and (k, v) not in (("default", None), ("required", []))}
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = options[0] if options[1] == {"type": "null"} else options[1]
        if isinstance(other.get("type"), str) and "anyOf" not in other:
            del out["anyOf"]
            out.update(other)
            out["type"] = [other["type"], "null"]
        elif list(other) == ["enum"]:
            del out["anyOf"]
            out["enum"] = [*other["enum"], None]
    return out


def outline(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema cut to its top level: each property's JSON type, nothing nested."""
    defs = schema.get("$defs", {})
    properties = {}
    for name, prop in schema["properties"].items():
        types = sorted(_types(prop, defs), key=_TYPE_ORDER.index)
        properties[name] = {"type": types[0] if len(types) == 1 else types}
    return {"type": "object", "properties": properties}


_TYPE_ORDER = ["object", "array", "string", "integer", "number", "boolean", "null"]


def _types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    """The JSON types a (sub)schema admits, ``$ref``s and unions followed."""
    if "$ref" in schema:
        return _types(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return set().union(*(_types(s, defs) for s in schema["anyOf"]))
    kind = schema.get("type")
    if kind is None:
        return set(_TYPE_ORDER) if "enum" not in schema else {_json_type(v) for v in schema["enum"]}
    return {kind} if isinstance(kind, str) else set(kind)


def _json_type(value: Any) -> str:
    return {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}[type(value)]


def to_json(value: Any) -> Any:
    """A result as plain JSON values (the tool's ``structuredContent``)."""
    return msgspec.to_builtins(value)
