"""Work-done progress (``$/progress``) for long jobs such as a scan.

The client shows it (VS Code's status bar, LSP4IJ's progress indicator,
Neovim's ``LspProgress``) only if it said it can
(``window.workDoneProgress``) and accepted our token: the server must ask with
``window/workDoneProgress/create`` first. A client that never answers would
hold the job up, so the ask is bounded; without an answer the job runs
without progress.

The job itself runs in a worker thread and reports ``(done, total)`` as it
goes; those reports are passed to the trio thread without blocking the worker,
and only when the whole percentage moves, at most every ``MIN_INTERVAL_S``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

if TYPE_CHECKING:
    from .server import SessionServer

Report = Callable[[int, int], None]  # (done, total), callable from any thread

CREATE_TIMEOUT_S = 2.0
MIN_INTERVAL_S = 0.1
logger = logging.getLogger(__name__)
_tokens = itertools.count(1)


@asynccontextmanager
async def work_done(server: SessionServer, title: str) -> AsyncIterator[Report | None]:
    """Show ``title`` as progress while the block runs; yields the reporter, or
    None when the client cannot show progress."""
    token = f"llm-session/{next(_tokens)}"
    if not await _create(server, token):
        yield None
        return
    trio_token = trio.lowlevel.current_trio_token()
    reporter = _Reporter(lambda value: trio_token.run_sync_soon(_send, server, token, value))
    _send(server, token, types.WorkDoneProgressBegin(title=title, percentage=0, cancellable=False))
    try:
        yield reporter
    finally:
        _send(server, token, types.WorkDoneProgressEnd())


async def _create(server: SessionServer, token: str) -> bool:
    window = server.client_capabilities.window
    if window is None or not window.work_done_progress:
        return False
    with trio.move_on_after(CREATE_TIMEOUT_S):
        try:
            await server.protocol.send_request_async(
                types.WINDOW_WORK_DONE_PROGRESS_CREATE, types.WorkDoneProgressCreateParams(token=token)
            )
        except JsonRpcException as e:
            logger.info("the client declined progress: %s", e)
            return False
        return True
    logger.info("the client did not answer window/workDoneProgress/create in %ss", CREATE_TIMEOUT_S)
    return False


def _send(server: SessionServer, token: str, value: object) -> None:
    server.notify(types.PROGRESS, types.ProgressParams(token=token, value=value))


class _Reporter:
    """``(done, total)`` from the worker, thinned to whole-percent steps."""

    def __init__(self, post: Callable[[types.WorkDoneProgressReport], None]) -> None:
        self._post = post
        self._lock = threading.Lock()
        self._percent = 0
        self._at = 0.0

    def __call__(self, done: int, total: int) -> None:
        percent = min(100, done * 100 // total) if total else 100
        now = time.monotonic()
        with self._lock:
            if percent <= self._percent or (percent < 100 and now - self._at < MIN_INTERVAL_S):
                return
            self._percent, self._at = percent, now
        try:
            self._post(types.WorkDoneProgressReport(percentage=percent, message=f"{_mb(done)} of {_mb(total)}"))
        except trio.RunFinishedError:
            pass  # the connection closed while the job ran


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
