"""Cursor: the ``state.vscdb`` SQLite files in Cursor's user data directory.

``User/globalStorage/state.vscdb`` holds every composer (chat and agent sessions)
and its bubbles (``_global``); each ``User/workspaceStorage/<hash>/state.vscdb``
holds the pre-composer chat panel's tabs (``_tabs``) and says which composers
belong to the folder its ``workspace.json`` names (``_places``). How a composer
becomes rows — exact where Cursor recorded token counts, estimated where it did
not — is in ``_composer``; the files its tool calls touched in ``_tools``. The
databases are opened read-only while Cursor runs (``sqlite_readonly``, ``_db``)
and, after the first read, read only as far as Cursor wrote to them since (each
file's state). While Cursor holds a lock on one, ``parse`` raises ``Busy`` (an
``OSError``) and ingest reads it again next scan. The readers are imported on
first use: a rescan that finds nothing new never needs them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from ...core.models import Batch
from ..base import Layout, subdirs

DB_NAME = "state.vscdb"


def user_data_dir(env: Mapping[str, str], home: Path, platform: str = sys.platform) -> Path:
    """Where Cursor (an Electron app) keeps its data: Electron's ``appData`` + ``Cursor``."""
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Cursor"
    if platform == "win32":
        appdata = env.get("APPDATA", "").strip()
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / "Cursor"
    config = env.get("XDG_CONFIG_HOME", "").strip()
    return (Path(config) if config else home / ".config") / "Cursor"


class Cursor:
    provider = "cursor"
    exact = False  # builds since early 2026 record no token counts; older ones' rows say exact
    layout: Layout = "sqlite"
    watched = True

    def default_roots(self, env: Mapping[str, str], home: Path) -> list[Path]:
        return [user_data_dir(env, home)]

    def discover(self, root: Path) -> Iterator[str]:
        """The global database, then each workspace's.

        ``root`` is Cursor's data directory or its ``User`` directory (either may
        be configured in ``sources.cursor.paths``).
        """
        user = root / "User" if (root / "User").is_dir() else root
        top = user / "globalStorage" / DB_NAME
        if top.is_file():
            yield os.fspath(top)
        for workspace in subdirs(os.path.join(user, "workspaceStorage")):
            db = os.path.join(workspace, DB_NAME)
            if os.path.isfile(db):
                yield db

    def parse(self, path: Path, data: bytes, state: bytes | None) -> Batch:
        if path.parent.name == "globalStorage":
            from ._global import read_global

            return read_global(path, state)
        from ._tabs import read_workspace

        return read_workspace(path, state)


SOURCE = Cursor()

__all__ = ["SOURCE", "Cursor", "user_data_dir"]
