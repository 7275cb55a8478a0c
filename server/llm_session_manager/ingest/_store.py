"""Writing one chunk of rows, with its files' new offsets, in one transaction.

A chunk is stored whole (``Part.ALL``), or in two passes (``_conversation``):
first what reports need (``Part.USAGE``: sessions, usage, context, the new
offsets, and for each file where its conversation is stored up to), later the
conversation (``Part.CONVERSATION``: messages and file references).
"""


import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import apsw

from ..core.models import Attribution
from ..store import attribution, limit_readings, otlp_usage, quarters, sealed, session_sums
from ..store._derived import usage_changed
from ._known_kept import generation

if TYPE_CHECKING:
    from ..core.models import MessageRow
    from ._files import Work
    from ._rows import Rows


# Where ``_files.read``'s file row (``_UPSERT_FILE``'s values) holds the new offset and state.
_FILE_OFFSET, _FILE_STATE = 5, 7


class Part(enum.Enum):
    """What of a parsed chunk one pass stores."""

    ALL = "all"
    USAGE = "usage"
    CONVERSATION = "conversation"


class NewKeys:
    """The responses a load into an empty ``usage`` table has stored so far, by
    the hash of their dedup key.

    A response is logged several times (streamed block by block, copied into a
    resumed session's log), so every row goes in through an upsert that keeps the
    better copy (``_INSERT_USAGE``). SQLite pays that upsert an extra seek of the
    key's index for every row, a third of a first ``usage``'s storing, while on
    an empty table only a key an earlier row of this load stored can clash (a
    resumed session's log repeats its predecessor's responses): the others go in
    by a plain ``INSERT``, and the repeats after them by the upsert. A hash shared
    by two keys only sends a row the slow, always right, way. Another process
    storing usage meanwhile makes the plain ``INSERT`` fail; the chunk then goes
    through the upsert, as does every chunk after it.
    """

    __slots__ = ("active", "stored")

    def __init__(self) -> None:
        self.active = True
        self.stored: set[int] = set()

    @classmethod
    def if_empty(cls, conn: apsw.Connection) -> "NewKeys | None":
        """Keys to track, if ``usage`` holds no response yet."""
        return cls() if conn.execute("SELECT 1 FROM usage LIMIT 1").fetchone() is None else None

    def insert(self, conn: apsw.Connection, usage: list[tuple]) -> None:
        """Store ``usage`` (rows of ``_INSERT_USAGE``) as the upsert would, in the transaction open."""
        if not self.active:
            conn.executemany(_INSERT_USAGE, usage)
            return
        stored = self.stored
        new: list[tuple] = []
        again: list[tuple] = []
        for row in usage:
            key = hash(row[0])
            if key in stored:
                again.append(row)
            else:
                stored.add(key)
                new.append(row)
        try:
            conn.executemany(_INSERT_NEW_USAGE, new)
        except apsw.ConstraintError:  # stored by another process meanwhile (or a row the upsert refuses too)
            self.active = False
            conn.executemany(_INSERT_USAGE, new)  # the rows already in are kept as they are
        conn.executemany(_INSERT_USAGE, again)


class Outcome(NamedTuple):
    nbytes: int
    records: int
    malformed: int
    sessions: list[str]
    warnings: list[str]
    # The generation of what a scan compares of each log (``_known_kept``) as the
    # transaction began and as it ended, and the file rows it stored; (None, None)
    # when it changed none of that.
    generations: tuple[int | None, int | None] = (None, None)
    files: list[tuple] = []  # noqa: RUF012 -- a NamedTuple's default, never changed in place


def parse_part(parse: Callable[[list["Work"]], "Rows"], part: Part, chunk: list["Work"]) -> "Rows":
    """``parse(chunk)`` without the rows ``part`` does not store: a worker then
    sends its writer only what it will write."""
    rows = parse(chunk)
    if part is Part.USAGE:
        return rows._replace(messages=[], file_refs=[], attribution=Attribution([], [], [], [], [], []))
    if part is Part.CONVERSATION:
        return rows._replace(sessions=[], usage=[], contexts=[], limits=[])
    return rows


def write(conn: apsw.Connection, rows: "Rows", chunk: Sequence["Work"] = (), part: Part = Part.ALL,
          new_keys: NewKeys | None = None) -> Outcome:
    """Store one parsed chunk (``part`` of it), with its files' new offsets, in the
    transaction the caller holds.

    ``chunk`` is what was read: where each file's read began, for ``Part.USAGE``
    to note that the conversation is stored only up to there. ``new_keys``: the
    load began on an empty ``usage`` table (``NewKeys``).
    """
    if part is Part.CONVERSATION:
        return _write_conversation(conn, rows, chunk)
    begun = generation(conn)
    # Upserts merge repeated sessions (a resumed session spans files).
    conn.executemany(_UPSERT_SESSION, rows.sessions)
    if new_keys is not None and rows.usage:
        # A load into an empty table: the tables derived from it are rebuilt whole after
        # it, and noting what each of its (smaller) chunks touched would be work thrown away.
        usage_changed(conn)
    else:
        quarters.usage_writing(conn, [(row[0], row[2]) for row in rows.usage])  # (dedup_key, session_id, ts, ...)
        session_sums.usage_writing(conn, rows.usage)
    session_sums.messages_writing(conn, rows.messages)
    otlp_usage.superseded(conn, rows.usage)  # a log row replaces what OTLP told of the same response
    before = conn.total_changes()
    if new_keys is None:
        conn.executemany(_INSERT_USAGE, rows.usage)
    else:
        new_keys.insert(conn, rows.usage)
    conn.executemany(_INSERT_FILE_REF, rows.file_refs)
    records = conn.total_changes() - before + _insert_messages(conn, rows.messages)
    attribution.record(conn, rows.attribution)
    conn.executemany(_UPDATE_CONTEXT, rows.contexts)
    limit_readings.record(conn, map(limit_readings.Reading._make, rows.limits))
    conn.executemany(_UPSERT_FILE, rows.files)
    conn.executemany(_SESSION_LOG, rows.logs)
    if rows.logs and conn.execute("SELECT 1 FROM sessions_log_gone LIMIT 1").fetchone():
        # A session whose logs were all gone goes on in a new one (resumed): it has a log again.
        conn.executemany("DELETE FROM sessions_log_gone WHERE session_id = ?", {(sid,) for _, sid in rows.logs})
    read = {row[0] for row in rows.files}  # a file that could not be read has no row
    if part is Part.USAGE:
        conn.executemany(_CONVERSATION_FROM, [(w.path, w.offset, w.state) for w in chunk if w.path in read])
    else:
        conn.executemany(_CONVERSATION_DONE, [(w.path, w.offset) for w in chunk if w.path in read])
    ended = generation(conn)
    touched = sorted({s[0] for s in rows.sessions})
    return Outcome(rows.nbytes, records, rows.malformed, touched, rows.warnings, (begun, ended), rows.files)


def _write_conversation(conn: apsw.Connection, rows: "Rows", chunk: Sequence["Work"]) -> Outcome:
    """The messages and file references of logs whose usage is stored, and how far
    each log's conversation now is. Only for logs whose conversation still begins
    where this read began: another scan may have stored it meanwhile."""
    ends = {row[0]: (row[_FILE_OFFSET], row[_FILE_STATE]) for row in rows.files}
    session_sums.messages_writing(conn, rows.messages)
    before = conn.total_changes()
    conn.executemany(_INSERT_FILE_REF, rows.file_refs)
    records = conn.total_changes() - before + _insert_messages(conn, rows.messages)
    attribution.record(conn, rows.attribution)
    conn.executemany(_CONVERSATION_UP_TO, [
        (w.path, w.offset, w.stat.st_ino, *ends[w.path]) for w in chunk if w.path in ends
    ])
    return Outcome(rows.nbytes, records, rows.malformed, [], rows.warnings)


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
# An exact count replaces an estimate of the same response (Cursor fills its
# counts in later), even a larger one, and is never replaced by one.
_INSERT_USAGE = """
INSERT INTO usage (dedup_key, session_id, ts, model, input_tokens, output_tokens,
    cache_creation_tokens, cache_read_tokens, cost_usd, priced, exact, sidechain, cache_creation_1h_tokens)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dedup_key) DO UPDATE SET
    session_id = excluded.session_id, ts = excluded.ts, model = excluded.model,
    input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
    cache_creation_tokens = excluded.cache_creation_tokens,
    cache_read_tokens = excluded.cache_read_tokens, cost_usd = excluded.cost_usd,
    priced = excluded.priced, exact = excluded.exact, sidechain = excluded.sidechain,
    cache_creation_1h_tokens = excluded.cache_creation_1h_tokens
WHERE (usage.sidechain AND NOT excluded.sidechain)
   OR (excluded.exact AND NOT usage.exact)
   OR (usage.sidechain = excluded.sidechain AND usage.exact = excluded.exact
       AND (excluded.input_tokens + excluded.output_tokens
              + excluded.cache_creation_tokens + excluded.cache_read_tokens
            > usage.input_tokens + usage.output_tokens
              + usage.cache_creation_tokens + usage.cache_read_tokens
            -- the same copy read again by a version that keeps the 1-hour writes apart (v11)
            OR (excluded.input_tokens + excluded.output_tokens
                  + excluded.cache_creation_tokens + excluded.cache_read_tokens
                = usage.input_tokens + usage.output_tokens
                  + usage.cache_creation_tokens + usage.cache_read_tokens
                AND excluded.cache_creation_1h_tokens > usage.cache_creation_1h_tokens)))
"""

# A response no earlier row of this load had, into a table that was empty (``NewKeys``).
# In one line: apsw looks a statement up by its text again for every row of an
# ``executemany``, which costs per character (see ``_one_line``).
_INSERT_NEW_USAGE = " ".join(_INSERT_USAGE[: _INSERT_USAGE.index("ON CONFLICT")].split())

_STAGE_MESSAGES = """CREATE TEMP TABLE IF NOT EXISTS new_messages (key, session_id, ts, role, kind, text)"""
_STAGE_MESSAGE = "INSERT INTO temp.new_messages VALUES (?, ?, ?, ?, ?, ?)"
_INSERT_MESSAGES = """INSERT OR IGNORE INTO messages (key, session_id, ts, role, kind, text)
                      SELECT key, session_id, ts, role, kind, text FROM temp.new_messages ORDER BY rowid"""


def _insert_messages(conn: apsw.Connection, messages: Sequence["MessageRow"]) -> int:
    """Store ``messages`` (those not stored yet), in one statement; how many were new.

    One statement, not one per message: the full-text index's trigger (migration
    019) then writes its pending words once, where a statement per message made
    FTS5 flush them at every statement (about 30 µs a message instead of 9). And
    its count is of the messages alone: ``total_changes`` would count the index's
    own writes too.
    """
    if not messages:
        return 0
    if (seal := sealed.sealer(conn)) is not None:  # an encrypted store (docs/privacy.md)
        messages = [m._replace(text=seal(m.text)) for m in messages]  # type: ignore[arg-type]
    conn.execute(_STAGE_MESSAGES)
    conn.executemany(_STAGE_MESSAGE, messages)
    conn.execute(_INSERT_MESSAGES)
    added = conn.changes()
    conn.execute("DELETE FROM temp.new_messages")
    return added



_INSERT_FILE_REF = "INSERT OR IGNORE INTO file_refs (key, session_id, ts, path, action) VALUES (?, ?, ?, ?, ?)"

_UPDATE_CONTEXT = """
UPDATE sessions SET
    context_ts = CASE WHEN context_ts IS NULL OR context_ts <= ?1 THEN ?1 ELSE context_ts END,
    context_tokens = CASE WHEN context_ts IS NULL OR context_ts <= ?1 THEN ?2 ELSE context_tokens END,
    context_window = CASE WHEN context_ts IS NULL OR context_ts <= ?1
                          THEN coalesce(?3, context_window) ELSE context_window END,
    context_peak = max(coalesce(context_peak, 0), ?5)
WHERE id = ?4
"""

_SESSION_LOG = "INSERT OR IGNORE INTO session_logs (path, session_id) VALUES (?, ?)"

_UPSERT_FILE = """
INSERT INTO source_files (path, provider, inode, size, mtime_ns, offset, head, state, tail, ctime_ns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (path) DO UPDATE SET provider = excluded.provider, inode = excluded.inode,
    size = excluded.size, mtime_ns = excluded.mtime_ns, offset = excluded.offset,
    head = excluded.head, state = excluded.state, tail = excluded.tail, ctime_ns = excluded.ctime_ns
"""

# Where a log's conversation is stored up to: set by a usage-first pass to where
# its read began (a log behind on its conversation is read from there: see
# ``ingest._changed``), cleared by a whole pass, and moved on by the conversation
# pass (cleared once it reaches the usage's offset).
_CONVERSATION_FROM = "UPDATE source_files SET conversation_offset = ?2, conversation_state = ?3 WHERE path = ?1"

# Only if this read began no later than the conversation stood: a usage-first scan
# running meanwhile may have left more behind.
_CONVERSATION_DONE = """
UPDATE source_files SET conversation_offset = NULL, conversation_state = NULL
WHERE path = ?1 AND conversation_offset >= ?2
"""

_CONVERSATION_UP_TO = """
UPDATE source_files SET
    conversation_offset = CASE WHEN offset <= ?4 THEN NULL ELSE ?4 END,
    conversation_state = CASE WHEN offset <= ?4 THEN NULL ELSE ?5 END
WHERE path = ?1 AND conversation_offset = ?2 AND inode = ?3
"""
