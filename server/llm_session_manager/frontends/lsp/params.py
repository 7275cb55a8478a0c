"""Reading the JSON params of our custom requests and command arguments.

Params that other frontends take too are read into the shared argument structs
of ``core/args.py`` (``query``), so their bounds and messages are the CLI's and
the MCP tools'. A wrong value is a ``BadInput`` naming the field, which the
client receives as an ``InvalidParams`` error response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pygls.uris import to_fs_path

from ...core import args as shared
from ...core.args import kind
from ...core.errors import BadInput

S = TypeVar("S", bound=shared.Query)


def fields(params: Any, method: str) -> dict[str, Any]:
    """The params object of ``method``; absent, null or ``[]`` mean no fields.

    Neovim's ``client:request(method, {})`` sends an empty Lua table as ``[]``.
    """
    if params is None or params == []:
        return {}
    if not isinstance(params, dict):
        raise BadInput(f"{method}: params must be an object, got {kind(params)}")
    return params


def query(given: Mapping[str, Any], tp: type[S]) -> S:
    """``given`` (params, or command arguments by name) as the shared struct ``tp``.

    Null and blank text count as not given: editors send them for an empty
    input box. Fields ``tp`` does not declare are ignored, as before.
    """
    present = {k: v.strip() if isinstance(v, str) else v for k, v in given.items()
               if v is not None and not (isinstance(v, str) and not v.strip())}
    return shared.convert(present, tp)


def text(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadInput(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise BadInput(f"{name} must be a string, got {kind(value)}")
    return value.strip()


def path(value: Any, name: str) -> str | None:
    """A directory as a path or a ``file://`` URI (what editors hold)."""
    found = text(value, name)
    if found is not None and found.startswith("file:"):
        found = to_fs_path(found) or found
    return found


def arguments(args: tuple, command: str, *, at_least: int, at_most: int | None) -> tuple:
    """Check how many arguments a command was given."""
    if len(args) < at_least or (at_most is not None and len(args) > at_most):
        expected = str(at_least) if at_most == at_least else (
            f"{at_least} or more" if at_most is None else f"{at_least} to {at_most}")
        raise BadInput(f"{command} takes {expected} arguments, got {len(args)}")
    return args
