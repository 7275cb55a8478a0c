"""What the files a session used cost in its context window, costliest first.

Deciding what to leave out or summarise before a context fills up starts from
this ranking; the MCP ``optimize_context`` tool and the LSP
``llmSession.optimizeContext`` command both show it, each in its own shape.
A file without a token count says why (``state``): gone from disk, a
directory, too large to read, or unreadable.
"""

from __future__ import annotations

import os

import apsw
import msgspec

from ..core.config import Config
from ..core.models import FileCost, FileUse, Session
from . import export


class FileRanking(msgspec.Struct):
    session: Session
    files: list[FileCost]  # every file that matched, costliest first, those without a count last
    total_tokens: int  # of all of ``files``
    gone: int  # of ``files``, how many are no longer on disk


def rank_files(conn: apsw.Connection, config: Config, ref: str, *, query: str | None = None) -> FileRanking:
    """The files session ``ref`` (id or unique prefix) used, costliest first.

    ``query``: only files whose path contains one of its words (any case).
    """
    report = export.build_report(conn, config, ref)
    files = report.files
    if query:
        words = [w.lower() for w in query.split()]
        files = [f for f in files if any(w in f.path.lower() for w in words)]
    files = sorted(files, key=lambda f: (f.tokens is None, -(f.tokens or 0), f.path))
    costs = [FileCost(f.path, f.actions, f.uses, f.tokens, f.token_source, _state(f)) for f in files]
    return FileRanking(
        session=report.session,
        files=costs,
        total_tokens=sum(f.tokens or 0 for f in costs),
        gone=sum(f.state == "gone" for f in costs),
    )


def _state(f: FileUse) -> str:
    """Why a file has a token count or not: counted, or what stood in the way."""
    if f.tokens is not None:
        return "counted"
    try:
        stat = os.stat(f.path)
    except FileNotFoundError:
        return "gone"
    except OSError:
        return "unreadable"
    if os.path.isdir(f.path):
        return "directory"
    return "too large" if stat.st_size > export.MAX_FILE_BYTES else "unreadable"
