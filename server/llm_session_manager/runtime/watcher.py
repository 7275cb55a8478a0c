"""Keeping the store fresh while ``serve`` runs.

A scan follows every change under the assistants' log directories within a
fraction of a second: the kernel tells us (inotify, FSEvents, ReadDirectoryChangesW,
through ``watchfiles``), so an idle machine costs nothing -- no polling loop
in Python. Where events are unavailable (a network filesystem, the inotify
watch limit reached, or ``WATCHFILES_FORCE_POLLING`` set) ``watchfiles`` polls
instead, and we say so once. A scan also runs every
``session_discovery.scan_interval`` seconds regardless: it finds log
directories created since (an assistant used for the first time) and sources
that are not watched (``Source.watched``: Aider's project trees are too broad
to watch).

Only changes that can matter wake the scanner: a log it already reads
(or its database's ``-wal``) changing, or a new file with a log's suffix
appearing. The directories watched hold other busy files -- VS Code keeps a
database per workspace next to Copilot's chat logs -- whose writes would
otherwise cost a scan each.

Changes arriving while a scan runs are folded into one more scan afterwards,
never queued one per event.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import trio

from .. import ingest
from ..core.config import Config
from ..core.models import ScanResult

logger = logging.getLogger(__name__)

# watchfiles yields once changes pause for STEP_MS, or after DEBOUNCE_MS of
# steady writing: a log line is scanned well within a second of being written.
STEP_MS = 50
DEBOUNCE_MS = 300
POLL_DELAY_MS = 500  # only when events are unavailable
LOG_SUFFIXES = (".jsonl", ".json", ".md", ".csv", ".db", ".vscdb")
_SIDE_FILES = ("-wal", "-journal")


def watched_dirs(config: Config, env: Mapping[str, str] | None = None, home: Path | None = None) -> list[Path]:
    """The existing log directories of every enabled, watchable source."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    found: list[Path] = []
    for source, roots in ingest.roots(config, env, home):
        if source.watched:
            found += [r for r in roots if r.is_dir() and r not in found]
    return found


class Relevant:
    """The watch filter: is a change one that a scan would read?"""

    def __init__(self) -> None:
        self.known: frozenset[str] = frozenset()  # the logs the store reads, updated after each scan

    def __call__(self, change: object, path: str) -> bool:
        for side in _SIDE_FILES:
            path = path.removesuffix(side)
        if path in self.known:
            return True
        import watchfiles

        return change == watchfiles.Change.added and path.endswith(LOG_SUFFIXES)


async def keep_fresh(
    scan: Callable[[], Awaitable[ScanResult]],
    config: Config,
    *,
    known_logs: Callable[[], Awaitable[frozenset[str]]],
    after_scan: Callable[[ScanResult], Awaitable[None]] | None = None,
) -> None:
    """Scan now, on every relevant change under the watched directories, and
    every ``scan_interval`` seconds, until cancelled. ``known_logs`` gives the
    paths of the logs the store reads. A failed scan is logged, not fatal."""
    from ..core.errors import LlmSessionError

    interval = config.session_discovery.scan_interval
    wake_send, wake_receive = trio.open_memory_channel[None](1)
    relevant = Relevant()
    async with trio.open_nursery() as nursery:
        dirs: list[Path] | None = None
        watching: trio.CancelScope | None = None
        while True:
            current = watched_dirs(config)
            if current != dirs:  # a log directory appeared (or went): watch the new set
                if watching is not None:
                    watching.cancel()
                dirs = current
                watching = await nursery.start(_watch, dirs, relevant, wake_send) if dirs else None
            try:
                result = await scan()
                relevant.known = await known_logs()
                for warning in result.warnings:
                    logger.warning("scan: %s", warning)
                if after_scan is not None:
                    await after_scan(result)
                logger.debug("scan done: %d files read, %d records", result.files_read, result.records)
            except LlmSessionError as e:
                logger.warning("scan failed: %s", e)
            except Exception:
                logger.exception("scan failed")
            with trio.move_on_after(interval):
                await wake_receive.receive()


async def _watch(dirs: list[Path], relevant: Relevant, wake: trio.MemorySendChannel[None], *,
                 task_status: trio.TaskStatus[trio.CancelScope]) -> None:
    """Wake the scanner on each batch of changes under ``dirs``; polls if events fail.

    ``awatch`` waits for events in a thread that trio cannot interrupt: cancelling
    the wait alone would leave ``serve`` stuck on Ctrl-C until the thread's next
    timeout (5 s). A sibling task sets ``stop`` as soon as the scope is cancelled,
    which the thread checks every ``STEP_MS``.
    """
    with trio.CancelScope() as scope:
        task_status.started(scope)
        stop = threading.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_stop_when_cancelled, stop)
            await _wake_on_changes(dirs, relevant, wake, stop)
            nursery.cancel_scope.cancel()


async def _stop_when_cancelled(stop: threading.Event) -> None:
    try:
        await trio.sleep_forever()
    finally:
        stop.set()


async def _wake_on_changes(dirs: list[Path], relevant: Relevant, wake: trio.MemorySendChannel[None],
                           stop: threading.Event) -> None:
    import watchfiles

    force_polling = None
    while True:
        try:
            async for _changes in watchfiles.awatch(
                *dirs, watch_filter=relevant, debounce=DEBOUNCE_MS, step=STEP_MS, force_polling=force_polling,
                poll_delay_ms=POLL_DELAY_MS, ignore_permission_denied=True,
                stop_event=stop,  # type: ignore[arg-type]  # watchfiles only calls is_set(); its stub lists async Events
            ):
                try:
                    wake.send_nowait(None)
                except trio.WouldBlock:
                    pass  # a scan is already due; it will see these changes too
            return
        except OSError as e:
            if force_polling:
                logger.warning("cannot watch the log directories (%s); relying on the periodic scan", e)
                return
            logger.warning("file events unavailable (%s); polling the log directories instead", e)
            force_polling = True
