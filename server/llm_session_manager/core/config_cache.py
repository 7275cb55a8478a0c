"""The config file's YAML as last parsed, kept in ``<data dir>/config.cache``.

Importing PyYAML and parsing even the commented default config costs about 200 M
instructions (50 ms): more than all the rest of a status line, which Claude Code
runs after every update. The cache holds the file's text and what YAML made of it
(msgpack); a process whose config file has the same text takes the data from there
and skips YAML. Only plain data is kept (mappings with string keys, lists, strings,
numbers, booleans, null), which msgpack gives back exactly: a file that makes
anything else (a date, a set, binary) is parsed every time. What the data means
(defaults, checks, paths relative to the file) is decided after this, as without it.
The data dir is never created for it; deleting the cache is always safe.
"""

from __future__ import annotations

from typing import Any

import msgspec

from . import whole_file
from .paths import data_dir

CACHE_NAME = "config.cache"


class _Cached(msgspec.Struct, array_like=True):
    text: str
    data: Any


def read(text: str) -> tuple[bool, Any]:
    """(True, the data) if the cache holds what YAML made of ``text``; else (False, None)."""
    try:
        cached = msgspec.msgpack.decode((data_dir() / CACHE_NAME).read_bytes(), type=_Cached)
    except (OSError, msgspec.DecodeError):
        return False, None
    return (True, cached.data) if cached.text == text else (False, None)


def write(text: str, data: Any) -> None:
    """Keep what YAML made of ``text``, if it is plain data and the data dir exists."""
    directory = data_dir()
    if not _plain(data) or not directory.is_dir():
        return
    try:
        encoded = msgspec.msgpack.encode(_Cached(text, data))
    except (OverflowError, TypeError):  # an integer beyond 64 bits
        return
    # Owner only, like the config it copies: a config may hold tokens (team, webhooks).
    whole_file.write_cache(directory / CACHE_NAME, (encoded,), mode=0o600)


def _plain(value: Any) -> bool:
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False
