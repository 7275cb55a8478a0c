"""Directory listings kept between scans: a directory whose stat has not moved is not listed again.

A rescan with nothing new lists every directory of logs: at 1 GB of Claude Code
history, 10,000 entries in 160 directories, a third of the walk-and-stat time.
Creating, deleting or renaming an entry moves its directory's mtime and ctime;
appending to a file does not, which is why ingest still ``stat``s every log. A
listing is kept with its directory's device, inode, mtime and ctime, and reused
while all four are the same (ctime cannot be set back, so a restore that keeps
times still shows).

Not kept, so listed again on the next scan:

* a directory changed within ``RACY_NS`` before it was listed: it could change
  again within the same clock tick and keep its times (git's "racily clean" rule);
* a listing that warned (an entry that cannot be read, a link looping on itself),
  so the warning is said on every scan, as before.

Listings are kept per source (``scope``): two sources may walk one directory for
different files.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import msgspec

RACY_NS = 2_000_000_000  # coarser than any file system's clock tick but FAT's

# (files, subdirectories, links to directories), each sorted.
Listed = tuple[list[str], list[str], list[str]]
# The directory's (st_dev, st_ino, st_mtime_ns, st_ctime_ns) when listed, then what it held.
Kept = tuple[tuple[int, int, int, int], list[str], list[str], list[str]]

_DECODE = msgspec.msgpack.Decoder(dict[str, Kept])


class Listings:
    """The listings kept from the last scan and those this one used or made."""

    def __init__(self, kept: dict[str, Kept] | None = None) -> None:
        self.kept: dict[str, Kept] = kept or {}
        self.fresh: dict[str, Kept] = {}
        self.scope = ""
        self.relisted = False

    @classmethod
    def decode(cls, data: bytes) -> Listings:
        """Listings as ``encode`` wrote them; none kept from bytes that are not that."""
        try:
            return cls(_DECODE.decode(data))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return cls()

    def encode(self) -> bytes:
        return msgspec.msgpack.encode(self.fresh)

    @property
    def changed(self) -> bool:
        """Whether what should be kept now differs from what was: a directory listed
        afresh and kept, or one kept that this scan did not reach."""
        return self.relisted or len(self.fresh) != len(self.kept)

    def listing(self, directory: str, list_it: Callable[[], tuple[list[str], list[str], list[str], bool]]) -> Listed:
        """``directory``'s listing: as kept, if its stat has not moved, else ``list_it()``
        (files, directories, links, and whether it said nothing)."""
        key = f"{self.scope}\0{directory}"
        try:
            st = os.stat(directory)
        except OSError:  # gone, or unreadable: listing it says which
            files, dirs, links, _ = list_it()
            return files, dirs, links
        stamp = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        kept = self.kept.get(key)
        if kept is not None and kept[0] == stamp:
            self.fresh[key] = kept
            return kept[1], kept[2], kept[3]
        listed_at = time.time_ns()
        files, dirs, links, quiet = list_it()
        if quiet and listed_at - max(st.st_mtime_ns, st.st_ctime_ns) >= RACY_NS:
            self.fresh[key] = (stamp, files, dirs, links)
            self.relisted = True
        return files, dirs, links


_active: ContextVar[Listings | None] = ContextVar("kept_listings", default=None)


@contextmanager
def kept_in(listings: Listings | None) -> Iterator[None]:
    """Have ``find_files`` (in this thread) reuse and keep listings in ``listings`` meanwhile."""
    token = _active.set(listings)
    try:
        yield
    finally:
        _active.reset(token)


def active() -> Listings | None:
    """The listings the running scan keeps, if any."""
    return _active.get()
