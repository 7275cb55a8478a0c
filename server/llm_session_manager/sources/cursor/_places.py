"""Which project folder each composer belongs to.

The global database holds the conversations but, in most versions, not where they
ran. That is recorded three ways, tried in this order:

* ``workspaceIdentifier.uri.fsPath`` on the composer itself (newest versions);
* the global ``ItemTable`` key ``composer.composerHeaders``, a list of composer
  heads with their ``workspaceIdentifier`` (versions that moved it there);
* each ``workspaceStorage/<hash>/state.vscdb``: its ``ItemTable`` key
  ``composer.composerData`` lists the workspace's composers, and the
  ``workspace.json`` beside it names the folder (``{"folder": "file:///…"}``).

The second is a list of every composer and the last opens every workspace
database, so each is read only when a composer is not placed by the ones before.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import apsw
import msgspec

from .. import sqlite_readonly
from ..base import DECODE_ERRORS
from . import _db
from ._shapes import INDEX, Composer, WorkspaceId

_DRIVE = re.compile(r"^/[A-Za-z]:")


class Places:
    """``cwd(composer)``: the folder a composer's workspace has open, or None."""

    def __init__(self, conn: apsw.Connection, global_db: Path) -> None:
        self._conn = conn
        self._heads: dict[str, str] | None = None
        self._workspaces = global_db.parent.parent / "workspaceStorage"
        self._from_workspaces: dict[str, str] | None = None

    def cwd(self, composer: Composer) -> str | None:
        cid = composer.composerId
        place = _fs_path(composer.workspaceIdentifier)
        if place:
            return place
        if self._heads is None:
            self._heads = _read_heads(self._conn)
        if cid in self._heads:
            return self._heads[cid]
        if self._from_workspaces is None:
            self._from_workspaces = _workspace_map(self._workspaces)
        return self._from_workspaces.get(cid)


def folder_of(workspace_dir: Path) -> str | None:
    """The folder a ``workspaceStorage/<hash>`` directory belongs to, from ``workspace.json``.

    A multi-root workspace names its ``.code-workspace`` file instead; the folder
    holding that file is the project as far as grouping goes.
    """
    try:
        data = msgspec.json.decode((workspace_dir / "workspace.json").read_bytes())
    except (OSError, *DECODE_ERRORS):
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("folder"), str):
        return _uri_path(data["folder"])
    if isinstance(data.get("workspace"), str):
        path = _uri_path(data["workspace"])
        return os.path.dirname(path) if path else None
    return None


def _read_heads(conn: apsw.Connection) -> dict[str, str]:
    """Composer id → folder from ``composer.composerHeaders`` in the global ``ItemTable``."""
    if "ItemTable" not in sqlite_readonly.tables(conn):
        return {}
    value = _db.get(conn, "ItemTable", "composer.composerHeaders")
    if value is None:
        return {}
    try:
        heads = INDEX.decode(value).allComposers
    except DECODE_ERRORS:
        return {}
    return {h.composerId: p for h in heads if (p := _fs_path(h.workspaceIdentifier))}


def _workspace_map(top: Path) -> dict[str, str]:
    """Composer id → folder, from every workspace database that lists composers."""
    found: dict[str, str] = {}
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        db = Path(entry.path) / "state.vscdb"
        if not entry.is_dir() or not db.is_file():
            continue
        folder = folder_of(Path(entry.path))
        if folder is None:
            continue
        for cid in _composer_ids(db):
            found.setdefault(cid, folder)
    return found


def _composer_ids(db: Path) -> list[str]:
    try:
        with sqlite_readonly.snapshot(db, _db.OWNER) as conn:
            if "ItemTable" not in sqlite_readonly.tables(conn):
                return []
            value = _db.get(conn, "ItemTable", "composer.composerData")
    except (sqlite_readonly.Busy, *sqlite_readonly.UNREADABLE):
        return []  # the composer stays unplaced until it is read again
    if value is None:
        return []
    try:
        return [h.composerId for h in INDEX.decode(value).allComposers if h.composerId]
    except DECODE_ERRORS:
        return []


def _fs_path(ident: WorkspaceId | None) -> str | None:
    if ident is None or ident.uri is None:
        return None
    return ident.uri.fsPath or ident.uri.path or None


def _uri_path(uri: str) -> str | None:
    """The path of a ``file://`` (or remote) URI, with a Windows drive letter unslashed."""
    path = unquote(urlparse(uri).path)
    if not path:
        return None
    return path[1:] if _DRIVE.match(path) else path
