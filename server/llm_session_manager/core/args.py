"""The arguments more than one frontend takes, typed once: names, value sets and bounds.

The CLI, the MCP tools and the LSP requests take some of the same arguments:
which sessions (``SessionFilters``), what to recall (``RecallQuery``), an
export format, a usage grouping. Each is declared here once, as a msgspec
struct or an annotated type carrying its bounds and description:

- the MCP tools' arguments derive from these structs, so the JSON schema a
  model reads is made from them;
- the LSP converts its params into the same structs;
- the CLI takes its ``choices`` from the same ``Literal``s;
- the services check single values (the recall ``limit``, analytics' ``days``)
  against the same annotated types, so a bound holds whichever door a call
  came through.

A value that does not fit is a ``BadArgument`` naming the argument as MCP and
LSP callers see it (``limit must be a whole number from 1 to 50, got 51``);
the CLI says ``--limit`` at its edge.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import msgspec.inspect as mi
from msgspec import Meta

from . import when
from .errors import BadArgument, BadInput
from .models import EXPORT_FORMATS, PROVIDERS, USAGE_GROUPS, ExportFormat, SearchRole, SearchSort, UsageGroup

__all__ = [
    "EXPORT_FORMATS",
    "MAX_DAYS",
    "MAX_TOP",
    "RECALL_LIMIT",
    "SEARCH_LIMIT",
    "USAGE_GROUPS",
    "Days",
    "ExportFormat",
    "LocalDate",
    "NonEmpty",
    "Project",
    "Provider",
    "Query",
    "RecallLimit",
    "RecallQuery",
    "SearchLimit",
    "SearchQuery",
    "SessionFilters",
    "Top",
    "UsageGroup",
    "check",
    "convert",
    "kind",
]

S = TypeVar("S", bound=msgspec.Struct)

NonEmpty = Annotated[str, Meta(min_length=1)]
Provider = Literal[PROVIDERS]  # type: ignore[valid-type]  # Literal of the providers tuple: msgspec reads it at run time
# ``extra`` is for our messages only: it is not part of the JSON schema.
LocalDate = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", extra={"expected": "a date like 2025-01-31"})]

# Recall fuses the best 50 of each ranking (words, meaning); past that an answer
# is the leftovers of one list, not the next best. ``memory list`` shows everything.
RECALL_LIMIT = 50
RecallLimit = Annotated[int, Meta(ge=1, le=RECALL_LIMIT)]
MAX_DAYS = 3650  # analytics and blocks: ten years of local days
Days = Annotated[int, Meta(ge=1, le=MAX_DAYS)]
MAX_TOP = 1000  # entries in each analytics ranking
Top = Annotated[int, Meta(ge=1, le=MAX_TOP)]

Project = Annotated[NonEmpty | None, Meta(description="Project name (to search in, or of the memory).")]


class Query(msgspec.Struct, frozen=True):
    """Base of the shared argument structs. A field nobody declared is ignored
    here (an editor may send more than we read); MCP's ``Args`` refuses it."""


class SessionFilters(Query, frozen=True):
    """Which sessions: the MCP ``list_sessions`` tool and ``llmSession/sessions``, with the
    names and meanings of ``llm-session list``'s filters."""

    provider: Annotated[Provider | None, Meta(description="Only this assistant's sessions.")] = None
    project: Annotated[str | None, Meta(description="Only this project's sessions.")] = None
    tag: Annotated[str | None, Meta(description="Only sessions with this tag.")] = None
    active: Annotated[bool, Meta(description="Only sessions whose assistant is running.")] = False
    since: Annotated[str | None, Meta(description="Active since a date (2025-01-31), ISO time or age (12h, 7d).")] = None

    def since_time(self) -> float | None:
        """``since`` as unix seconds; a ``BadArgument`` naming ``since`` if it is no date, time or age."""
        return None if self.since is None else when.parse_since(self.since)


class RecallQuery(Query, frozen=True):
    """What to recall: the MCP ``recall`` tool and ``llmSession/recall``; ``llm-session recall``
    meets the same ``limit`` in the service, which checks it against ``RecallLimit``."""

    query: Annotated[str, Meta(min_length=1, description="What you want to know; matched by meaning and words.")]
    limit: Annotated[RecallLimit, Meta(description="At most this many, best first.")] = 5
    project: Project = None


SEARCH_LIMIT = 200  # hits of one search: past that, narrow the search rather than read on
SearchLimit = Annotated[int, Meta(ge=1, le=SEARCH_LIMIT)]


class SearchQuery(Query, frozen=True):
    """What to search in past conversations: the MCP ``search_history`` tool and ``llmSession/search``,
    with the names and meanings of ``llm-session search``'s options (docs/search.md)."""

    query: Annotated[str, Meta(min_length=1, max_length=500, description=(
        'Words to find (all must match, any order, "failing" also finds "fails"); "a phrase" in '
        "double quotes; a trailing * for a prefix (migrat*). Anything else is searched as text."))]
    session_id: Annotated[NonEmpty | None, Meta(description="Search only this session (id or unique prefix).")] = None
    provider: Annotated[Provider | None, Meta(description="Only this assistant's sessions.")] = None
    project: Project = None
    since: Annotated[str | None, Meta(description="Said since a date (2025-01-31), ISO time or age (12h, 7d).")] = None
    role: Annotated[SearchRole | None, Meta(description=(
        "Only prompts (user), answers (assistant), tool errors (tool) or summaries (system)."))] = None
    sort: Annotated[SearchSort, Meta(description="best: best match first (words and meaning); newest: newest first.")] = "best"
    limit: Annotated[SearchLimit, Meta(description="At most this many matches.")] = 20

    def since_time(self) -> float | None:
        """``since`` as unix seconds; a ``BadArgument`` naming ``since`` if it is no date, time or age."""
        return None if self.since is None else when.parse_since(self.since)


def convert(data: Mapping[str, Any], tp: type[S]) -> S:
    """``data`` (a JSON object) as ``tp``, or a ``BadArgument`` naming the field that does not fit."""
    try:
        return msgspec.convert(data, tp)
    except msgspec.ValidationError as e:
        raise _explained(str(e), tp, data) from None


def check(value: Any, tp: Any, name: str) -> Any:
    """``value`` if it is a ``tp`` (one of the annotated types above), else a ``BadArgument`` naming ``name``."""
    try:
        return msgspec.convert(value, tp)
    except msgspec.ValidationError as e:
        raise BadArgument(name, _problem(mi.type_info(tp), tp, value, str(e))) from None


def kind(value: Any) -> str:
    """What a JSON value is, for a message: "a string", "a number", "null"."""
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


_AT = re.compile(r"(?s)(.*) - at `\$\.(\w+)(.*)`")
_FIELD = re.compile(r"Object (missing required|contains unknown) field `(\w+)`")


def _explained(message: str, tp: type[msgspec.Struct], data: Mapping[str, Any]) -> BadInput:
    """msgspec's ``Expected `int` <= 50 - at `$.limit``` said of the argument and its value."""
    info = mi.type_info(tp)
    fields = {f.encode_name: f for f in info.fields} if isinstance(info, mi.StructType) else {}
    at = _AT.fullmatch(message)
    if at and at.group(2) in fields:
        name, inner = at.group(2), at.group(3)
        if not inner:
            hint = typing.get_type_hints(tp, include_extras=True).get(fields[name].name)
            return BadArgument(name, _problem(fields[name].type, hint, data.get(name), at.group(1)))
        return BadArgument(name, f"is invalid at {name}{inner}: {at.group(1)}")
    named = _FIELD.fullmatch(message)
    if named:
        name = named.group(2)
        if named.group(1).startswith("missing"):
            return BadArgument(name, "is required")
        return BadArgument(name, f"is not an argument here; the arguments are {', '.join(fields)}")
    return BadInput(message)


def _problem(t: mi.Type, hint: Any, value: Any, message: str) -> str:
    """What is wrong with ``value`` for a field of type ``t`` (``hint`` as declared), after its name."""
    expected = None
    while True:
        if isinstance(t, mi.Metadata):
            expected = expected or (t.extra or {}).get("expected")
            t = t.type
        elif isinstance(t, mi.UnionType) and len(others := [u for u in t.types if not isinstance(u, mi.NoneType)]) == 1:
            t = others[0]
        else:
            break
    if expected:
        return f"must be {expected}, got {value!r}"
    if isinstance(t, mi.IntType):
        if t.ge is not None and t.le is not None:
            return f"must be a whole number from {t.ge} to {t.le}, got {value!r}"
        if t.ge is not None:
            return f"must be a whole number of at least {t.ge}, got {value!r}"
        return f"must be a whole number, got {value!r}"
    if isinstance(t, mi.BoolType):
        return f"must be true or false, got {kind(value)}"
    if isinstance(t, mi.LiteralType):
        return f"must be one of {', '.join(map(str, _declared(hint) or t.values))}, got {value!r}"
    if isinstance(t, mi.StrType):
        if not isinstance(value, str):
            return f"must be a string, got {kind(value)}"
        if t.min_length and len(value) < t.min_length:
            return "must not be empty" if t.min_length == 1 else f"must be at least {t.min_length} characters"
        if t.max_length is not None and len(value) > t.max_length:
            return f"must be at most {t.max_length:,} characters, got {len(value):,}"
    return f"is invalid: {message}"


def _declared(hint: Any) -> tuple[Any, ...]:
    """The values of the ``Literal`` in ``hint``, in the order written (msgspec sorts them)."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return typing.get_args(hint)
    if origin is Annotated:
        return _declared(typing.get_args(hint)[0])
    for arg in typing.get_args(hint) if origin is not None else ():
        if found := _declared(arg):
            return found
    return ()
