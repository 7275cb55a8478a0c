"""What the status line's agent keeps between lines, and each line's client environment.

``Kept`` holds the store's connection (opened again when the file is replaced: a
restore, a ``doctor --recover``) and the parsed config files (parsed again when a
file changed); ``DrawContext`` is a command's context over them, so the line is
drawn by the command's own code (``frontends/cli/_statusline.text``); ``as_client``
applies a request's environment and working directory for the time of its line.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .._context import Context
from . import wire

if TYPE_CHECKING:
    import argparse

    import apsw

    from ....core.config import Config


class Kept:
    """The store and configs, kept open from one line to the next."""

    def __init__(self) -> None:
        self._conn: apsw.Connection | None = None
        self._db: tuple[int, int] | None = None  # the store file's (device, inode)
        self._configs: dict[tuple, Config] = {}

    def config(self, explicit: Path | None) -> Config:
        """The config as ``load`` reads it, parsed again only when its file changed."""
        from ....core import config as config_file

        path = os.path.abspath(config_file.config_path(explicit))
        try:
            st = os.stat(path)
            key: tuple = (path, st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
        except OSError:
            key = (path, None)
        found = self._configs.get(key)
        if found is None:
            found = config_file.load(explicit)  # an error is not kept: the next request reads the file again
            if len(self._configs) >= 8:
                self._configs.clear()
            self._configs[key] = found
        return found

    def store(self) -> apsw.Connection:
        """The store's connection, opened again when its file was replaced."""
        from ....store import connect, db_path

        path = db_path()
        try:
            st = os.stat(path)
            now: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            now = None
        if self._conn is not None and now is not None and now == self._db:
            return self._conn
        self.close()
        self._conn = connect(path)
        st = os.stat(path)
        self._db = (st.st_dev, st.st_ino)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


class DrawContext(Context):
    """A command's context whose config and store are the agent's."""

    def __init__(self, args: argparse.Namespace, kept: Kept) -> None:
        super().__init__(args)
        self._kept = kept

    @property
    def config(self) -> Config:
        return self._kept.config(self.args.config)

    @property
    def conn(self) -> apsw.Connection:
        return self._kept.store()

    def close(self) -> None:
        """The store stays open for the next line."""


@contextlib.contextmanager
def as_client(request: wire.Request) -> Iterator[None]:
    """The client's environment (what a line depends on) and working directory, then the agent's again."""
    own = {name: value for name, value in os.environ.items() if wire.is_wanted(name)}
    _set_env(own, request.env)
    with contextlib.suppress(OSError):  # a directory gone since: relative paths fail as they would for the client
        os.chdir(request.cwd)
    try:
        yield
    finally:
        _set_env(request.env, own)
        os.chdir("/")


def _set_env(old: dict[str, str], new: dict[str, str]) -> None:
    for name in old:
        if name not in new:
            os.environ.pop(name, None)
    for name, value in new.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
    time.tzset()
