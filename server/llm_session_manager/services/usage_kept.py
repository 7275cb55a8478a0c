"""``usage --by session --json`` over all time, kept as a file beside the store.

At 20,000 sessions the report is 7 MB of JSON, made from ``usage_sessions``
alone (``usage._per_session``), and the same until one of those rows changes:
their triggers move ``usage_sessions_generation`` on (migration 036). The
document is kept with the generation it was made at and the program that made
it (``kept_file``), and written out from the file while both still hold.
"""

from __future__ import annotations

import apsw
import msgspec

from .. import __version__
from ..store import SCHEMA_VERSION, session_sums
from . import kept_file, usage

GENERATION = "usage_sessions_generation"  # in ``meta``
FILE = "usage-by-session.json"


class Document(msgspec.Struct, frozen=True):
    pieces: list[bytes | kept_file.Block]  # the report's JSON, indented by two, as ``--json`` prints it
    unpriced_models: list[str]  # as in the report: models without a price


class _Made(msgspec.Struct, array_like=True):
    generation: int
    program: str  # version and schema: the report's shape and how it is made
    unpriced_models: list[str]


def per_session(conn: apsw.Connection) -> Document:
    """``usage.report(conn, "session")`` as its ``--json`` document: from the kept file where
    it was made from the rows as they are, else made (and kept for next time)."""
    program = f"{__version__}/{SCHEMA_VERSION}"
    try:
        session_sums.refresh(conn)
        conn.execute("BEGIN")  # the generation and the rows the report is made from: one snapshot
        try:
            generation, path = kept_file.meta_int(conn, GENERATION), kept_file.path_of(conn, FILE)
            found = None if generation is None or path is None else kept_file.open_kept(path, _Made)
            if found is not None and (found[0].generation, found[0].program) == (generation, program):
                made, block = found
                return Document([block], made.unpriced_models)
            report = usage.report(conn, "session")
        finally:
            conn.execute("COMMIT")
    except (apsw.BusyError, apsw.ReadOnlyError):  # the sums cannot be brought up to date in the snapshot
        generation, path, report = None, None, usage.report(conn, "session")
    body = msgspec.json.format(msgspec.json.encode(report), indent=2)
    if generation is not None and path is not None:
        kept_file.keep(path, _Made(generation, program, report.unpriced_models), body)
    return Document([body], report.unpriced_models)
