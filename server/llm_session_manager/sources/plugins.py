"""Sources other packages add: the ``llm_session_manager.sources`` entry-point group.

A package reads another assistant's logs by declaring in its ``pyproject.toml``::

    [project.entry-points."llm_session_manager.sources"]
    my-assistant = "my_package:SOURCE"

naming a ``Source`` (``base.py``), or a class or function that makes one when
called without arguments. Ingest asks for them only when it scans (``active``),
never at start-up: ``importlib.metadata.entry_points`` costs 25-30 ms (it imports
the ``email`` package and reads every installed package's metadata), a fifth of
a warm ``usage``. So its answer is kept in the cache
directory with the modification times of the ``sys.path`` directories: installing
or removing a package adds or removes a ``.dist-info`` directory there, which
changes its directory's time, and only then is the lookup made again.

A plugin that fails to load, is not shaped like a ``Source`` or claims a built-in
provider id is one warning line of the scan, and every other source is read.
"""

import contextlib
import functools
import importlib
import os
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, get_args

import msgspec

from ..core import whole_file
from ..core.models import PROVIDERS, Batch
from .base import Layout, Source, warn

GROUP = "llm_session_manager.sources"
# A directory changed this recently could change again within the same tick of
# its file system's clock without its time moving: its lookup is not kept.
_RACY_NS = 2_000_000_000
_KEPT_PATHS = 8  # lookups kept, one per sys.path (ways of starting us)


class Plugins(NamedTuple):
    sources: tuple[Source, ...]
    warnings: tuple[str, ...]  # one line per plugin skipped


class _Kept(msgspec.Struct):
    """A cached lookup: the entry points found, and the ``sys.path`` they were found on."""

    path_times: list[tuple[str, int]]
    entries: list[tuple[str, str]]  # (name, "module:attribute")


@functools.cache
def active() -> Plugins:
    """The plugin sources installed, looked up once in a process (its first scan)."""
    return load(_entries(cache_path()))


def cache_path() -> Path:
    """Where the lookup is kept: the XDG cache directory, like the tokenizer's ranks."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(root) / "llm-session-manager" / "source-plugins.json"


def load(entries: Iterable[tuple[str, str]]) -> Plugins:
    """The sources ``entries`` (name, ``"module:attribute"``) name, and a warning for each that is no good."""
    sources: list[Source] = []
    warnings: list[str] = []
    for name, value in entries:
        about = f"source plugin {name} ({value})"
        try:
            source = _made(_resolve(value))
        except Exception as e:  # noqa: BLE001 -- a plugin's own code can fail in any way; the scan goes on
            warnings.append(f"{about}: cannot load: {type(e).__name__}: {e}; skipped")
            continue
        problem = _shape_problem(source)
        if problem is None and source.provider in PROVIDERS:
            problem = f"provider id {source.provider!r} is a built-in one"
        if problem is not None:
            warnings.append(f"{about}: {problem}; skipped")
            continue
        sources.append(_Guarded(source))
    return Plugins(tuple(sources), tuple(warnings))


class _Guarded:
    """A plugin's source, whose finding of logs cannot stop a scan.

    Ingest takes an ``OSError`` from a source as something it could not read,
    and a failing ``parse`` as a warning naming the log; any other error in a
    built-in source's ``default_roots`` or ``discover`` is a bug of ours. A
    plugin's is one warning, and the scan reads every other source.
    """

    def __init__(self, source: Any) -> None:
        self._source = source
        self.provider: str = source.provider
        self.exact: bool = source.exact
        self.layout: Layout = source.layout
        self.watched: bool = source.watched

    def __getattr__(self, name: str) -> Any:  # optional members (``totals``)
        if name.startswith("_"):  # never the wrapped source's internals (nor ``_source`` itself, unset)
            raise AttributeError(name)
        return getattr(self._source, name)

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        try:
            return list(self._source.default_roots(env, home))
        except Exception as e:  # noqa: BLE001 -- the plugin's bug: its logs are not found, the others are
            warn(f"source plugin {self.provider}: default_roots failed: {type(e).__name__}: {e}")
            return []

    def discover(self, root: Path) -> list[str]:
        try:
            return [os.fspath(path) for path in self._source.discover(root)]
        except OSError:
            raise
        except Exception as e:  # noqa: BLE001 -- the plugin's bug: its logs are not found, the others are
            warn(f"source plugin {self.provider}: discover failed in {root}: {type(e).__name__}: {e}")
            return []

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        return self._source.parse(path, data, state)


def _entries(cache: Path) -> list[tuple[str, str]]:
    """The group's entry points: as kept, unless a ``sys.path`` directory changed since.

    A lookup is kept for each of the last few paths: ``llm-session`` and
    ``python -m llm_session_manager`` (an editor's way) see different ones.
    """
    times = _path_times()
    kept: list[_Kept] = []
    with contextlib.suppress(OSError, msgspec.DecodeError):
        kept = msgspec.json.decode(cache.read_bytes(), type=list[_Kept])
    for lookup in kept:
        if lookup.path_times == times:
            return lookup.entries
    from importlib.metadata import entry_points  # only here: its import is most of its cost

    entries = [(ep.name, ep.value) for ep in entry_points(group=GROUP)]
    if all(time.time_ns() - mtime >= _RACY_NS for _, mtime in times):
        paths = [entry for entry, _ in times]
        others = [k for k in kept if [entry for entry, _ in k.path_times] != paths]
        _keep(cache, [_Kept(times, entries), *others[: _KEPT_PATHS - 1]])
    return entries


def _path_times() -> list[tuple[str, int]]:
    """Each ``sys.path`` entry with its modification time (0: it does not exist yet)."""
    times = []
    for entry in sys.path:
        try:
            times.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            times.append((entry, 0))
    return times


def _keep(cache: Path, kept: list[_Kept]) -> None:
    """Write the lookup atomically; one that cannot be written is only slower next time."""
    whole_file.write_cache(cache, (msgspec.json.encode(kept),), mode=0o666, parents=True)


def _resolve(value: str) -> Any:
    """The object an entry point's ``module:attribute.path [extras]`` names, as
    ``EntryPoint.load`` finds it (without importing ``importlib.metadata``)."""
    module, _, attributes = value.partition("[")[0].partition(":")
    found: Any = importlib.import_module(module.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        found = getattr(found, attribute)
    return found


def _made(found: Any) -> Any:
    """The source itself, or what a class or function without arguments makes."""
    if isinstance(found, type) or (callable(found) and not hasattr(found, "parse")):
        return found()
    return found


def _shape_problem(source: Any) -> str | None:
    """What ``source`` lacks of the ``Source`` protocol, or None."""
    provider = getattr(source, "provider", None)
    if not isinstance(provider, str) or not provider or provider != provider.strip():
        return "not a Source: no provider id (a non-empty string)"
    for flag in ("exact", "watched"):
        if not isinstance(getattr(source, flag, None), bool):
            return f"not a Source: {flag} is not True or False"
    if getattr(source, "layout", None) not in get_args(Layout):
        return f"not a Source: layout is not one of {', '.join(get_args(Layout))}"
    for method in ("default_roots", "discover", "parse"):
        if not callable(getattr(source, method, None)):
            return f"not a Source: no {method} method"
    return None


__all__ = ["GROUP", "Plugins", "active", "cache_path", "load"]
