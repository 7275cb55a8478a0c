"""Incremental scan of every source into the store.

For each log file the store remembers (inode, size, mtime, byte offset, the
first bytes, the parser's state). A file whose stat is unchanged costs one
``stat``; a grown file is read from its offset up to its last complete line, so
a line the assistant is still writing waits for the next scan. A file that
shrank, was replaced (new inode) or rewritten (different first bytes) is read
again from the start; rows are keyed so re-reading never counts twice.

Rows go to the store in a few large transactions, each also advancing the
offsets of the files it holds, so a scan killed half-way resumes cleanly.
"""

from __future__ import annotations

import fnmatch
import gc
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import apsw

from .config import Config
from .models import Batch, FileRefRow, MessageRow, ScanResult, SessionRow, UsageRow
from .services import pricing
from .sources import SOURCES, Source
from .store import write_transaction
from .store.bulk import bulk_load

HEAD_BYTES = 64
# New bytes per transaction: commits stay rare in a cold scan (each one writes
# the index pages it touched again) and memory stays flat on a multi-GB history.
CHUNK_BYTES = 32 << 20
# A first scan of at least this much is loaded with secondary indexes off.
BULK_BYTES = 64 << 20

Progress = Callable[[int, int], None]  # (bytes done, bytes to do)


class _Known(NamedTuple):
    inode: int
    size: int
    mtime_ns: int
    offset: int
    head: bytes | None
    state: bytes | None


class _Stat(NamedTuple):
    """What decides whether a log changed since the last scan."""

    st_ino: int
    st_size: int
    st_mtime_ns: int


class _Work(NamedTuple):
    source: Source
    path: Path
    stat: _Stat
    offset: int
    state: bytes | None


def scan(
    conn: apsw.Connection,
    config: Config,
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Read everything new in every enabled source into the store."""
    started = time.perf_counter()
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    known = {
        row[0]: _Known(*row[1:])
        for row in conn.execute(
            "SELECT path, inode, size, mtime_ns, offset, head, state FROM source_files"
        )
    }
    warnings: list[str] = []
    found = 0
    work: list[_Work] = []
    for source, path in _discover(config, env, home, warnings):
        found += 1
        try:
            st = _stat(source, path)
        except OSError as e:
            warnings.append(f"cannot read {path}: {e.strerror}")
            continue
        old = known.get(str(path))
        if old and (old.inode, old.size, old.mtime_ns) == st:
            continue
        offset, state = _resume_point(path, st, old) if source.layout == "lines" else (0, None)
        work.append(_Work(source, path, st, offset, state))

    total = sum(w.stat.st_size - w.offset for w in work)
    done = records = malformed = 0
    touched: set[str] = set()
    first_big_load = total >= BULK_BYTES and conn.execute("SELECT 1 FROM usage LIMIT 1").fetchone() is None
    with bulk_load(conn, first_big_load):
        for outcome in _ingest(conn, _chunks(work)):
            done += outcome.nbytes
            records += outcome.records
            malformed += outcome.malformed
            touched.update(outcome.sessions)
            warnings += outcome.warnings
            if progress:
                progress(done, total)
    return ScanResult(
        files=found,
        records=records,
        sessions=len(touched),
        malformed=malformed,
        seconds=round(time.perf_counter() - started, 3),
        files_read=len(work),
        warnings=warnings,
    )


def roots(
    config: Config, env: Mapping[str, str], home: Path, warnings: list[str] | None = None
) -> Iterator[tuple[Source, list[Path]]]:
    """Every enabled source with the directories it reads: its standard ones
    (which may not exist yet) and those the config adds (which must)."""
    for source in SOURCES:
        settings = config.source(source.provider)
        if not settings.enabled:
            continue
        found = source.default_roots(env, home)
        for root in settings.paths:
            if not root.is_dir():
                if warnings is not None:
                    warnings.append(f"sources.{source.provider}.paths: {root} is not a directory")
                continue
            found.append(root)
        yield source, found


def _discover(
    config: Config, env: Mapping[str, str], home: Path, warnings: list[str]
) -> Iterator[tuple[Source, Path]]:
    ignore = config.session_discovery.ignore_patterns
    for source, source_roots in roots(config, env, home, warnings):
        seen: set[Path] = set()
        for root in source_roots:
            for path in source.discover(root):
                if path in seen or (ignore and any(fnmatch.fnmatch(str(path), p) for p in ignore)):
                    continue
                seen.add(path)
                yield source, path


def _stat(source: Source, path: Path) -> _Stat:
    """The file's stat; for a database, with its write-ahead log folded in.

    A program holding a SQLite database in WAL mode writes to ``-wal`` and
    leaves the main file untouched until a checkpoint.
    """
    st = path.stat()
    if source.layout != "sqlite":
        return _Stat(st.st_ino, st.st_size, st.st_mtime_ns)
    try:
        wal = os.stat(f"{path}-wal")
    except OSError:
        return _Stat(st.st_ino, st.st_size, st.st_mtime_ns)
    return _Stat(st.st_ino, st.st_size + wal.st_size, max(st.st_mtime_ns, wal.st_mtime_ns))


def _resume_point(path: Path, st: _Stat, old: _Known | None) -> tuple[int, bytes | None]:
    """Where to continue reading ``path``: its old offset, or 0 if it was replaced."""
    if old is None or st.st_ino != old.inode or st.st_size < old.offset:
        return 0, None
    if old.head:
        with path.open("rb") as f:
            if f.read(len(old.head)) != old.head:
                return 0, None
    return old.offset, old.state


def _read(item: _Work) -> tuple[Batch, tuple]:
    """Parse what changed in one file: the lines appended since its offset,
    or the whole of a document or database (see ``Source.layout``)."""
    layout = item.source.layout
    if layout == "sqlite":
        head, end = None, item.stat.st_size
        batch = item.source.parse(item.path, b"", None)
    else:
        with item.path.open("rb") as f:
            head = f.read(HEAD_BYTES)
            f.seek(item.offset)
            data = f.read(item.stat.st_size - item.offset)
        # A half-written last line waits for the next scan; a document is
        # rewritten whole, and one caught mid-write fails to parse and is
        # read again when its stat changes.
        end = data.rfind(b"\n") + 1 if layout == "lines" else len(data)
        if end:
            batch = item.source.parse(item.path, data[:end], item.state)
        else:
            batch = Batch(item.state)
    file_row = (
        str(item.path),
        item.source.provider,
        item.stat.st_ino,
        item.stat.st_size,
        item.stat.st_mtime_ns,
        item.offset + end,
        head,
        batch.state,
    )
    return batch, file_row


class _Outcome(NamedTuple):
    nbytes: int
    records: int
    malformed: int
    sessions: list[str]
    warnings: list[str]


class _Rows(NamedTuple):
    """One chunk of files, parsed and ready for one transaction."""

    nbytes: int
    malformed: int
    warnings: list[str]
    sessions: list[tuple]
    usage: list[tuple]
    messages: list[MessageRow]
    file_refs: list[FileRefRow]
    contexts: list[tuple]
    files: list[tuple]


def _chunks(work: list[_Work]) -> list[list[_Work]]:
    """Files grouped into about ``CHUNK_BYTES`` of new data: one transaction each."""
    chunks: list[list[_Work]] = [[]]
    size = 0
    for item in work:
        if size >= CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += item.stat.st_size - item.offset
    return [c for c in chunks if c]


def _ingest(conn: apsw.Connection, chunks: list[list[_Work]]) -> Iterator[_Outcome]:
    """Parse and store chunk after chunk.

    Tried and measured slower: a writer thread (apsw takes the GIL back for
    every row, so parser and writer convoy on it) and forked workers writing in
    turn (each commit by one throws away the other's page cache).
    """
    prices = pricing.load_table()
    # Parsing allocates millions of short-lived objects and no cycles; the
    # cyclic collector would only rescan them over and over.
    gc.disable()
    try:
        for chunk in chunks:
            yield _write(conn, _parse_chunk(chunk, prices))
    finally:
        gc.enable()


def _parse_chunk(chunk: list[_Work], prices: pricing.PriceTable) -> _Rows:
    rows = _Rows(0, 0, [], [], [], [], [], [], [])
    nbytes = malformed = 0
    latest: dict[str, UsageRow] = {}
    for item in chunk:
        nbytes += item.stat.st_size - item.offset
        try:
            batch, file_row = _read(item)
        except OSError as e:
            rows.warnings.append(f"cannot read {item.path}: {e.strerror}")
            continue
        rows.files.append(file_row)
        malformed += batch.malformed
        exact = item.source.exact
        rows.usage.extend(
            _priced(row, exact if row.exact is None else row.exact, prices) for row in batch.usage
        )
        rows.messages.extend(batch.messages)
        rows.file_refs.extend(batch.file_refs)
        rows.sessions.extend(_session_values(s) for s in batch.sessions.values())
        _keep_latest(latest, batch.usage)
    rows.contexts.extend((r.ts, r.context_tokens, r.context_window, r.session_id) for r in latest.values())
    return rows._replace(nbytes=nbytes, malformed=malformed)


def _write(conn: apsw.Connection, rows: _Rows) -> _Outcome:
    """Store one parsed chunk, with its files' new offsets, in one transaction."""
    with write_transaction(conn):
        # Upserts merge repeated sessions (a resumed session spans files).
        conn.executemany(_UPSERT_SESSION, rows.sessions)
        before = conn.total_changes()
        conn.executemany(_INSERT_USAGE, rows.usage)
        conn.executemany(_INSERT_MESSAGE, rows.messages)
        conn.executemany(_INSERT_FILE_REF, rows.file_refs)
        records = conn.total_changes() - before
        conn.executemany(_UPDATE_CONTEXT, rows.contexts)
        conn.executemany(_UPSERT_FILE, rows.files)
    touched = sorted({s[0] for s in rows.sessions})
    return _Outcome(rows.nbytes, records, rows.malformed, touched, rows.warnings)


def _session_values(s: SessionRow) -> tuple:
    project = os.path.basename(s.cwd.rstrip("/")) if s.cwd else None
    return (s.id, s.provider, s.cwd, project, s.title, s.model, s.git_branch, s.version,
            s.started_at, s.last_activity)


def _priced(row: UsageRow, exact: bool, prices: pricing.PriceTable) -> tuple:
    if row.cost_usd is None:
        cost = prices.cost(
            row.model,
            row.input_tokens,
            row.output_tokens,
            row.cache_creation_tokens,
            row.cache_read_tokens,
        )
        priced = 1
    else:
        cost, priced = row.cost_usd, 0
    return (
        row.dedup_key,
        row.session_id,
        row.ts,
        row.model,
        row.input_tokens,
        row.output_tokens,
        row.cache_creation_tokens,
        row.cache_read_tokens,
        cost,
        priced,
        exact,
        row.sidechain,
    )


def _keep_latest(latest: dict[str, UsageRow], rows: list[UsageRow]) -> None:
    """Keep each session's newest main-chain turn: what its context holds now."""
    for row in rows:
        if row.sidechain:
            continue
        cur = latest.get(row.session_id)
        if cur is None or row.ts >= cur.ts:
            latest[row.session_id] = row


_UPSERT_SESSION = """
INSERT INTO sessions (id, provider, cwd, project, title, model, git_branch, version,
                      started_at, last_activity)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    cwd = CASE WHEN excluded.last_activity >= last_activity
               THEN coalesce(excluded.cwd, cwd) ELSE coalesce(cwd, excluded.cwd) END,
    project = coalesce(project, excluded.project),
    title = coalesce(title, excluded.title),
    model = CASE WHEN excluded.last_activity >= last_activity
                 THEN coalesce(excluded.model, model) ELSE coalesce(model, excluded.model) END,
    git_branch = CASE WHEN excluded.last_activity >= last_activity
                      THEN coalesce(excluded.git_branch, git_branch)
                      ELSE coalesce(git_branch, excluded.git_branch) END,
    version = CASE WHEN excluded.last_activity >= last_activity
                   THEN coalesce(excluded.version, version) ELSE coalesce(version, excluded.version) END,
    started_at = min(started_at, excluded.started_at),
    last_activity = max(last_activity, excluded.last_activity)
"""

# A response is often logged several times (streamed block by block, copied into a
# resumed session); like ccusage, keep the main-chain copy, then the fullest one.
_INSERT_USAGE = """
INSERT INTO usage (dedup_key, session_id, ts, model, input_tokens, output_tokens,
    cache_creation_tokens, cache_read_tokens, cost_usd, priced, exact, sidechain)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dedup_key) DO UPDATE SET
    session_id = excluded.session_id, ts = excluded.ts, model = excluded.model,
    input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
    cache_creation_tokens = excluded.cache_creation_tokens,
    cache_read_tokens = excluded.cache_read_tokens, cost_usd = excluded.cost_usd,
    priced = excluded.priced, exact = excluded.exact, sidechain = excluded.sidechain
WHERE (usage.sidechain AND NOT excluded.sidechain)
   OR (usage.sidechain = excluded.sidechain
       AND excluded.input_tokens + excluded.output_tokens
           + excluded.cache_creation_tokens + excluded.cache_read_tokens
         > usage.input_tokens + usage.output_tokens
           + usage.cache_creation_tokens + usage.cache_read_tokens)
"""

_INSERT_MESSAGE = "INSERT OR IGNORE INTO messages (key, session_id, ts, role, kind, text) VALUES (?, ?, ?, ?, ?, ?)"

_INSERT_FILE_REF = "INSERT OR IGNORE INTO file_refs (key, session_id, ts, path, action) VALUES (?, ?, ?, ?, ?)"

_UPDATE_CONTEXT = """
UPDATE sessions SET context_ts = ?1, context_tokens = ?2,
    context_window = coalesce(?3, context_window)
WHERE id = ?4 AND (context_ts IS NULL OR context_ts <= ?1)
"""

_UPSERT_FILE = """
INSERT INTO source_files (path, provider, inode, size, mtime_ns, offset, head, state)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (path) DO UPDATE SET provider = excluded.provider, inode = excluded.inode,
    size = excluded.size, mtime_ns = excluded.mtime_ns, offset = excluded.offset,
    head = excluded.head, state = excluded.state
"""
