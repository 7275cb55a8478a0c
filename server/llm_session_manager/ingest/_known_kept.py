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

Each log's row is kept packed (``stamp``): 32 bytes of inode, size, mtime and
ctime, then the provider's id. A rescan packs each log's stat the same way and
compares bytes (``_moved``); decoding 10,000 packed rows costs a third of
decoding them as tuples of numbers, and the compare is cheaper too.
"""


import struct
from pathlib import Path

import apsw
import msgspec

from ..core import whole_file

KNOWN_FILE = "scan-known.msgpack"
_GENERATION = "SELECT value FROM meta WHERE key = 'source_files_generation'"
_KNOWN = "SELECT path, provider, inode, size, mtime_ns, ctime_ns FROM source_files"

# (provider, inode, size, mtime_ns, ctime_ns): ctime None in a row from before the store had it.
Row = tuple[str, int, int, int, int | None]
STAT = struct.Struct("<4q")  # inode, size, mtime_ns, ctime_ns: what SQLite's integers hold
NO_CTIME = -(1 << 63)  # in place of a ctime the store does not have: no file changed in 1677


class _Kept(msgspec.Struct, array_like=True):
    generation: int
    stamps: dict[str, bytes]  # path -> ``stamp``


_DECODE = msgspec.msgpack.Decoder(_Kept)


def stamp(provider: str, inode: int, size: int, mtime_ns: int, ctime_ns: int | None) -> bytes:
    """A log's row as kept and compared: its stat's four numbers packed, then the provider's id."""
    return STAT.pack(inode, size, mtime_ns, NO_CTIME if ctime_ns is None else ctime_ns) + provider.encode()


def unstamped(packed: bytes) -> Row:
    """The row ``stamp`` packed."""
    inode, size, mtime_ns, ctime_ns = STAT.unpack_from(packed)
    return packed[STAT.size:].decode(), inode, size, mtime_ns, None if ctime_ns == NO_CTIME else ctime_ns


def generation(conn: apsw.Connection) -> int | None:
    """The generation of ``source_files`` now (None: a store that does not keep one)."""
    row = conn.execute(_GENERATION).fetchone()
    return None if row is None else int(row[0])


class KnownLogs:
    """Every log the store has read, by path (its row, ``stamp``ed), and the generation of the rows it holds."""

    def __init__(self, conn: apsw.Connection) -> None:
        self._file = Path(conn.filename).with_name(KNOWN_FILE) if conn.filename else None
        kept = self._kept()
        self.generation = generation(conn)
        if kept is not None and self.generation is not None and kept.generation == self.generation:
            self.stamps = kept.stamps
            self._stale = False
            return
        begin = not conn.in_transaction
        if begin:
            conn.execute("BEGIN")  # the rows and their generation, as of one moment
        try:
            self.generation = generation(conn)
            self.stamps = {path: stamp(*row) for path, *row in conn.execute(_KNOWN)}
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
            self.stamps[f[0]] = stamp(f[1], f[2], f[3], f[4], f[9])
        self._stale = True

    def keep(self) -> None:
        """Write the file, if it differs from what is kept and the rows are of one known generation."""
        if self._file is None or not self._stale or self.generation is None:
            return
        body = msgspec.msgpack.encode(_Kept(self.generation, self.stamps))
        whole_file.write_cache(self._file, (body,))

    def _kept(self) -> _Kept | None:
        if self._file is None:
            return None
        try:
            with open(self._file, "rb") as f:
                return _DECODE.decode(f.read())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
