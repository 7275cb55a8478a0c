"""Parsing chunks in forked worker processes while this one stores.

A first scan is parsing (about 55% of its CPU) and storing (35%), and SQLite
takes one writer. With the parsing in workers and this process writing each
chunk as it arrives, in order, a first ``usage`` over 200 MB of logs takes
0.85 s instead of 1.14 s on two cores (bench/run.py).

Workers are forked, so they start with everything imported and the price table
loaded, and nothing is sent to them but the chunk. What they parsed comes back
as msgpack, typed by the caller: seven times cheaper for a worker to encode
than to pickle, and decoded as fast. Forking is safe only from a process with
one thread (a fork copies locks other threads may hold), and on Linux (macOS's
system libraries do not survive a fork without an exec), so a scan run from a
server's worker thread, or elsewhere, parses in turn in this process. So does a
scan of one chunk or less: starting workers costs more than they would save,
and a rescan with nothing new does not even import them.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from itertools import islice
from typing import TypeVar

import msgspec

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4
# Chunks parsed ahead of the writer, per worker: enough to keep both sides busy,
# few enough that parsed rows waiting to be stored stay a few chunks' worth.
AHEAD = 2
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_parse: Callable | None = None  # what workers run: set before the fork, inherited


def parsed(parse: Callable[[T], R], chunks: list[T], result: type[R]) -> Iterator[R]:
    """``parse(chunk)`` for each chunk, in order: in worker processes when that pays.

    ``result`` is the type ``parse`` returns, for msgspec to decode it as.
    """
    workers = _workers(len(chunks))
    if not workers:
        yield from map(parse, chunks)
        return
    import logging  # these three only when there is a first scan to share out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _parse
    _parse = parse
    decode = msgspec.msgpack.Decoder(result).decode
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_die_with, initargs=(os.getpid(),))
    try:
        todo = iter(chunks)
        pending = deque(pool.submit(_run, c) for c in islice(todo, workers * AHEAD))
        logging.getLogger(__name__).info("parsing %d chunks in %d worker processes", len(chunks), workers)
        while pending:
            done = decode(pending.popleft().result())
            chunk = next(todo, None)
            if chunk is not None:
                pending.append(pool.submit(_run, chunk))
            yield done
    finally:  # also when the writer fails: what is still queued is not parsed for nothing
        pool.shutdown(wait=True, cancel_futures=True)


def _workers(chunks: int) -> int:
    """How many processes to parse ``chunks`` chunks in; 0 for this one alone."""
    cpus = os.cpu_count() or 1
    if chunks < 2 or cpus < 2 or threading.active_count() > 1 or not sys.platform.startswith("linux"):
        return 0
    return min(chunks, cpus, MAX_WORKERS)


def _die_with(parent: int) -> None:
    """Have Linux kill this worker when its parent dies: killed mid-scan, the parent
    cannot tell it to stop, and its siblings keep the queue it waits on open."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)


def _run(chunk: T) -> bytes:
    assert _parse is not None  # set in the parent before the workers were forked
    return msgspec.msgpack.encode(_parse(chunk))
