"""What the store remembers of each log, kept in a file beside it between scans.

A rescan compares each log's stat with what the store read it at (path,
provider, inode, size, mtime, ctime): at 10,000 logs, reading those from
``source_files`` costs 10 ms of a 0.13 s ``usage``, decoding them from a file a
third of that. The file names the generation of ``source_files`` it was read at
(``meta.source_files_generation``, which triggers move to a new random number on
every change of those columns: migration 037), and is used only while the store
still names the same one.

A scan keeps it up to date with its own writes: each transaction that stores
logs reads the generation as it begins and as it ends (``_store.write``). If
each began where the last ended (no other process wrote meanwhile), the scan's
rows are put in and the file is kept with the last generation; otherwise it is
left to go stale, and the next scan reads the table again and keeps it afresh.
"""


from pathlib import Path

import apsw
import msgspec

from ..core import whole_file

KNOWN_FILE = "scan-known.msgpack"
_GENERATION = "SELECT value FROM meta WHERE key = 'source_files_generation'"
_KNOWN = "SELECT path, provider, inode, size, mtime_ns, ctime_ns FROM source_files"

# (path, provider, inode, size, mtime_ns, ctime_ns): ctime None in a row from before the store had it.
Row = tuple[str, str, int, int, int, int | None]


class _Kept(msgspec.Struct, array_like=True):
    generation: int
    rows: list[Row]


_DECODE = msgspec.msgpack.Decoder(_Kept)


def generation(conn: apsw.Connection) -> int | None:
    """The generation of ``source_files`` now (None: a store that does not keep one)."""
    row = conn.execute(_GENERATION).fetchone()
    return None if row is None else int(row[0])


class KnownLogs:
    """Every log the store has read, by path, and the generation of the rows it holds."""

    def __init__(self, conn: apsw.Connection) -> None:
        self._file = Path(conn.filename).with_name(KNOWN_FILE) if conn.filename else None
        kept = self._kept()
        self.generation = generation(conn)
        if kept is not None and self.generation is not None and kept.generation == self.generation:
            self.rows: dict[str, tuple] = {row[0]: row for row in kept.rows}
            self._stale = False
            return
        begin = not conn.in_transaction
        if begin:
            conn.execute("BEGIN")  # the rows and their generation, as of one moment
        try:
            self.generation = generation(conn)
            self.rows = {row[0]: row for row in conn.execute(_KNOWN)}
        finally:
            if begin:
                conn.execute("COMMIT")
        self._stale = True  # the file is to be written afresh

    def stored(self, generations: tuple[int | None, int | None], files: list[tuple]) -> None:
        """A transaction of this scan stored ``files`` (``_files.read``'s file rows) from the
        generation ``generations[0]`` to ``generations[1]``."""
        begun, ended = generations
        if begun is None:  # nothing it compares changed
            return
        if self.generation is None or begun != self.generation:  # another process wrote meanwhile
            self.generation = None
            return
        self.generation = ended
        for f in files:
            self.rows[f[0]] = (f[0], f[1], f[2], f[3], f[4], f[9])
        self._stale = True

    def keep(self) -> None:
        """Write the file, if it differs from what is kept and the rows are of one known generation."""
        if self._file is None or not self._stale or self.generation is None:
            return
        body = msgspec.msgpack.encode(_Kept(self.generation, list(self.rows.values())))
        whole_file.write_cache(self._file, (body,))

    def _kept(self) -> _Kept | None:
        if self._file is None:
            return None
        try:
            with open(self._file, "rb") as f:
                return _DECODE.decode(f.read())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
