"""Parsing chunks in forked worker processes while this one stores.

A first scan is parsing (about 55% of its CPU) and storing (35%), and SQLite
takes one writer. With the parsing in workers and this process writing each
chunk as it arrives, in order, a first ``usage`` over 200 MB of logs takes
0.85 s instead of 1.14 s on two cores (bench/run.py).

Workers are forked, so they start with everything imported, the price table
loaded and the list of chunks in hand: only the chunks' numbers are sent to
them, through one pipe they all read. Each worker takes the next number left
when it is done with its last chunk (so they run out of work together, however
unequal the chunks), and writes each result, as msgpack typed by the caller
(seven times cheaper for a worker to encode than to pickle, and decoded as
fast), with its number, to a pipe of its own; this process reads whichever
pipes have something while it waits for the next chunk to store, and stores
the chunks in order. A worker whose pipe is full waits until this process
waits again: it is a chunk ahead of the writer, as far ahead as it needs to be.
(``concurrent.futures`` did this before: its
imports and its management thread cost a first scan 30-50 ms before the first
chunk was even handed out.) Forking is safe only from a process with
one thread (a fork copies locks other threads may hold), and on Linux (macOS's
system libraries do not survive a fork without an exec), so a scan run from a
server's worker thread, or elsewhere, parses in turn in this process. So does a
scan of one chunk or less: starting workers costs more than they would save,
and a rescan with nothing new does not even import them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

import msgspec

from ..core.errors import LlmSessionError

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_NUMBER = 4  # bytes of a chunk's number
# A frame: 1 byte (0: a result, 1: a pickled exception), the chunk's number, 8 bytes of length, the bytes.
_HEADER = 1 + _NUMBER + 8


def parsed(parse: Callable[[T], R], chunks: list[T], result: type[R]) -> Iterator[R]:
    """``parse(chunk)`` for each chunk, in order: in worker processes when that pays.

    ``result`` is the type ``parse`` returns, for msgspec to decode it as.
    """
    workers = _workers(len(chunks))
    if not workers:
        yield from map(parse, chunks)
        return
    decode = msgspec.msgpack.Decoder(result).decode
    pool = _Workers(parse, chunks, workers)
    if (logging := sys.modules.get("logging")) is not None:  # never imported for this alone: 3 ms before the report
        logging.getLogger(__name__).info("parsing %d chunks in %d worker processes", len(chunks), workers)
    try:
        for n in range(len(chunks)):
            yield decode(pool.result(n))
        pool.done = True
    finally:  # also when the writer fails: the workers stop parsing for nothing
        pool.close()


def _workers(chunks: int) -> int:
    """How many processes to parse ``chunks`` chunks in; 0 for this one alone."""
    cpus = os.cpu_count() or 1
    if chunks < 2 or cpus < 2 or not sys.platform.startswith("linux"):
        return 0
    import threading  # only here: a scan of one chunk (a status line's) never forks

    if threading.active_count() > 1:
        return 0
    return min(chunks, cpus, MAX_WORKERS)


class WorkerDied(LlmSessionError):
    """A worker died without handing back the chunk it was parsing (killed, out of memory)."""


class _Workers:
    """``count`` forked processes parsing ``chunks``, each taking the next chunk left when
    it is done with its last, and handing back each result on a pipe of its own."""

    def __init__(self, parse: Callable[[T], R], chunks: list[T], count: int) -> None:
        self.pipes: list[int] = []  # read ends, unbuffered: ``select`` must see all a worker wrote
        self.pids: list[int] = []
        self.done = False
        self.ready: dict[int, tuple[int, bytearray]] = {}  # results read while waiting for another
        parent = os.getpid()
        # What a worker needs first (``_die_with``), imported once here: an import in a
        # forked process is slower than the same in this one (every page it writes to is copied).
        import ctypes  # noqa: F401
        import signal  # noqa: F401

        # The chunks to take, as numbers in a pipe: a read of a few bytes from a pipe is
        # atomic, so each number goes to one worker. What does not fit in the pipe at first
        # (thousands of chunks) is written as the workers take numbers (``_receive``).
        take, self.offer = os.pipe()
        os.set_blocking(self.offer, False)
        self.numbers = b"".join(n.to_bytes(_NUMBER, "little") for n in range(len(chunks)))
        self._offer()
        try:
            for _ in range(count):
                read, write = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(read)
                    for earlier in self.pipes:
                        os.close(earlier)
                    if self.offer >= 0:
                        os.close(self.offer)
                    _work(parse, chunks, take, write, parent)
                os.close(write)
                self.pipes.append(read)
                self.pids.append(pid)
        finally:
            os.close(take)
        self.open = list(self.pipes)

    def _offer(self) -> None:
        """Write as many of the numbers left as the pipe takes; close it after the last
        (a worker reading it then finds no more)."""
        try:
            written = os.write(self.offer, self.numbers) if self.numbers else 0
        except BlockingIOError:
            written = 0
        self.numbers = self.numbers[written:]
        if not self.numbers:
            os.close(self.offer)
            self.offer = -1

    def result(self, n: int) -> bytearray:
        """What a worker made of chunk ``n`` (chunks are asked for in order)."""
        while n not in self.ready:
            self._receive()
        status, body = self.ready.pop(n)
        if status:
            import pickle

            raise pickle.loads(body)
        return body

    def _receive(self) -> None:
        """Wait for the next results the workers hand back, and keep them."""
        if not self.open:  # every worker is gone, and one took a chunk it never handed back
            raise WorkerDied("a process parsing the logs died; run the command again: the scan resumes where it stopped")
        import select

        readable, writable, _ = select.select(self.open, [self.offer] if self.offer >= 0 else [], [])
        if writable:
            self._offer()
        for pipe in readable:
            header = _read(pipe, _HEADER)
            size = int.from_bytes(header[1 + _NUMBER:], "little")
            body = _read(pipe, size) if len(header) == _HEADER else None
            if body is None or len(body) < size:  # it has finished (or died, maybe half-way through a result)
                self.open.remove(pipe)
                continue
            self.ready[int.from_bytes(header[1:1 + _NUMBER], "little")] = (header[0], body)

    def close(self) -> None:
        import signal

        if self.offer >= 0:
            os.close(self.offer)
        for pipe in self.pipes:
            os.close(pipe)
        for pid in self.pids:
            if not self.done:  # still parsing what nobody will store
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)


def _read(fd: int, size: int) -> bytearray:
    """``size`` bytes from the pipe ``fd`` (fewer if it ends first), read into one buffer:
    ``os.read`` would allocate ``size`` bytes for each 64 KB the pipe hands over."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if not n:
            break
        got += n
    view.release()
    if got < size:
        del buffer[got:]
    return buffer


def _work(parse: Callable[[T], R], chunks: list[T], take: int, out: int, parent: int) -> None:
    """In a worker: take the number of the next chunk left from ``take``, parse that
    chunk into the pipe ``out``, and so on until none is left; then exit.

    ``os._exit``: nothing of the parent's (buffered output, atexit handlers, the
    store's connection) is flushed or closed twice.
    """
    code = 0
    try:
        _die_with(parent)
        with os.fdopen(out, "wb") as pipe:
            while len(number := os.read(take, _NUMBER)) == _NUMBER:
                n = int.from_bytes(number, "little")
                try:
                    status, body = 0, msgspec.msgpack.encode(parse(chunks[n]))
                except Exception as e:  # noqa: BLE001 -- handed to the parent, which raises it
                    status, body = 1, _pickled(e)
                pipe.write(bytes([status]) + number + len(body).to_bytes(8, "little"))
                pipe.write(body)
                pipe.flush()
                if status:
                    break
    except BaseException:  # noqa: BLE001 -- the parent went away (a broken pipe): nothing to tell
        code = 1
    finally:
        os._exit(code)


def _pickled(error: Exception) -> bytes:
    import pickle

    try:
        return pickle.dumps(error)
    except Exception:  # noqa: BLE001 -- an exception that does not pickle: its text will do
        return pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))


def _die_with(parent: int) -> None:
    """Have Linux kill this worker when its parent dies: killed mid-scan, the parent
    cannot tell it to stop."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)
