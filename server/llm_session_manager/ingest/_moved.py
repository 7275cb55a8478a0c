"""Which logs' stat moved since the store read them: the one ``stat`` per log of every rescan.

At 1 GB of Claude Code history a rescan with nothing new stats 10,000 logs, the
largest part of a warm ``usage``, most of it in the kernel and none of it
avoidable (appending to a log moves nothing but the log's own stat). On Linux,
while a second CPU is idle, a forked child stats the second half of a long list
while this process stats the first, and writes back the few paths that moved.
It only stats and compares (no store, no imports, no threads to inherit: a
process running threads does it all itself), and a child that fails in any way
costs only the time to do its half again here. On a busy machine a child would
only add its own cost: this process does it all then.

(A ``stat`` by name in an open directory, ``dir_fd``, saves the kernel's walk of
the path but costs as much again in Python: measured, and left out.)

What counts as moved is what ``ingest._changed`` then looks at closely: the
stat differs from the store's row (inode, size, mtime, ctime, packed as
``_known_kept.stamp`` packs the row), the store read the file as another
provider or not at all, or it cannot be stat'ed (the close look says why, in a
warning). A row from before the store kept ctime never matches, and the close
look takes any ctime for it, as it always has.
"""

from __future__ import annotations

import gc
import os
import struct
import sys
from collections.abc import Mapping
from typing import NoReturn

from ._known_kept import STAT

# Fewer logs than this are stat'ed here alone: a fork and its exit cost about a
# millisecond, what stat'ing a few hundred logs costs.
FORK_AT = 2000


def moved(paths: list[str], provider: str, known: Mapping[str, bytes]) -> list[str]:
    """The ``paths`` (``provider``'s logs) whose stat moved from ``known``'s row for them
    (path -> ``_known_kept.stamp``), in their order."""
    if len(paths) < FORK_AT or not _may_fork():
        return _moved(paths, provider, known)
    half = len(paths) // 2
    theirs = _Child(paths[half:], provider, known)
    try:
        mine = _moved(paths[:half], provider, known)
    finally:
        found = theirs.result()
    return mine + (_moved(paths[half:], provider, known) if found is None else found)


class _Child:
    """A forked process finding which of ``paths`` moved, its answer read through a pipe."""

    def __init__(self, paths: list[str], provider: str, known: Mapping[str, bytes]) -> None:
        self._pid = 0
        self._read = -1
        try:
            read, write = os.pipe()
        except OSError:
            return
        parent = os.getpid()
        try:
            pid = os.fork()
            if pid == 0:
                _child(read, write, paths, provider, known)
        except OSError:  # no memory or process to spare: this process does it all
            os.close(read)
            os.close(write)
            return
        except BaseException:  # Ctrl-C just as it forked: the child must not go on as this process
            if os.getpid() != parent:
                os._exit(1)
            os.close(read)  # a child started meanwhile fails to write, and ends
            os.close(write)
            raise
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> list[str] | None:
        """The paths the child found moved; None if it did not finish (or never started)."""
        if not self._pid:
            return None
        try:
            chunks = []
            while chunk := os.read(self._read, 1 << 16):
                chunks.append(chunk)
        except OSError:
            chunks = None
        finally:
            os.close(self._read)
            status = _reaped(self._pid)
        if chunks is None or status != 0:
            return None
        data = b"".join(chunks)
        return data.decode("utf-8", "surrogateescape").split("\0") if data else []


def _child(read: int, write: int, paths: list[str], provider: str, known: Mapping[str, bytes]) -> NoReturn:
    """The forked child: write the moved ``paths``, NUL-separated, and exit; never return.

    ``os._exit``: nothing of the parent's (buffered output, the store's connection,
    exit handlers) is flushed, closed or run twice. The collector stays off, so it
    does not walk (and copy) every page of the parent's objects.
    """
    code = 1
    try:
        gc.disable()
        os.close(read)
        data = memoryview("\0".join(_moved(paths, provider, known)).encode("utf-8", "surrogateescape"))
        while data:
            data = data[os.write(write, data):]
        code = 0
    finally:
        os._exit(code)


def _reaped(pid: int) -> int | None:
    """The child's exit code once it has ended (None: killed by a signal, or reaped by someone else)."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:  # SIGCHLD ignored: reaped by the kernel, its status lost
            return None
        return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None


def _may_fork() -> bool:
    """Whether a child may take half: Linux (fork without exec is unsafe on macOS), a
    CPU of ours idle right now (``/proc/loadavg`` counts the tasks running, this one
    too: on a busy machine a child only adds its own cost), and no other thread in
    this process (one holding a lock at the fork would leave it held in the child
    forever)."""
    if sys.platform != "linux":
        return False
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
        return running < len(os.sched_getaffinity(0)) and len(os.listdir("/proc/self/task")) == 1
    except (OSError, ValueError, IndexError):
        return False


def _moved(paths: list[str], provider: str, known: Mapping[str, bytes]) -> list[str]:
    """``moved`` in this process alone: each log's stat packed as ``_known_kept.stamp``
    packs its row, and the two compared."""
    tag = provider.encode()
    pack = struct.Struct(f"{STAT.format}{len(tag)}s").pack
    out: list[str] = []
    stat = os.stat
    for path in paths:
        try:
            st = stat(path)
            if known.get(path) == pack(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, tag):
                continue
        except (OSError, struct.error):  # gone or unreadable, or a number no row can hold: looked at closely
            pass
        out.append(path)
    return out
