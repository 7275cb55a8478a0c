"""Reading the JSON params of our custom requests and command arguments.

A wrong type is a ``BadInput`` naming the field, which the client receives as
an ``InvalidParams`` error response.
"""

from __future__ import annotations

from typing import Any

from pygls.uris import to_fs_path

from ...core.errors import BadInput
from ...core.models import PROVIDERS


def fields(params: Any, method: str) -> dict[str, Any]:
    """The params object of ``method``; absent, null or ``[]`` mean no fields.

    Neovim's ``client:request(method, {})`` sends an empty Lua table as ``[]``.
    """
    if params is None or params == []:
        return {}
    if not isinstance(params, dict):
        raise BadInput(f"{method}: params must be an object, got {_kind(params)}")
    return params


def text(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadInput(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise BadInput(f"{name} must be a string, got {_kind(value)}")
    return value.strip()


def flag(value: Any, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadInput(f"{name} must be true or false, got {_kind(value)}")
    return value


def count(value: Any, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(f"{name} must be a positive integer, got {value!r}")
    return value


def provider(value: Any) -> str | None:
    found = text(value, "provider")
    if found is not None and found not in PROVIDERS:
        raise BadInput(f"unknown provider {found!r}; one of {', '.join(PROVIDERS)}")
    return found


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


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
