"""One hook call, within its time budget: handed to ``serve``, done here, or left to a detached worker.

An assistant waits for its hooks (Claude Code before it goes on; its
``SessionEnd`` hooks get 1.5 s in all), so a hook must answer fast and never
fail. ``run`` keeps to ``hooks.time_budget_ms`` (300 ms by default):

1. Where ``serve`` is running (``serve_address``), the event is POSTed to it
   (``ROUTE``, with the serve token) and serve does the work in its own
   process; a SessionStart gets its context in the answer.
2. Otherwise a SessionStart is answered here: the session's log read when
   little of it is new (``INLINE_BYTES``) and no conversation is left over from
   a usage-first scan, and the project's memories as context.
3. Everything else goes to a detached worker, started at once: this program
   again with ``--background``, in a session of its own, at a lower priority,
   taking turns per store (``hooks.lock``), as ``ingest/_conversation.py``
   stores a first scan's conversation. It reads the session's new lines at
   once, again when the log has been quiet for a moment (``transcript_path``
   may lag: the assistant can still be writing the turn the event announced),
   and memorizes the session if the config says so. Opening the store, the
   price table and the secret patterns cost more than a turn's new lines: the
   hook itself does none of it and exits in little more than the
   interpreter's start-up.

Every error is one line in ``hooks.log`` in the data dir (``log``); the
caller exits 0 whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from ..core import line_log
from ..core.paths import data_dir
from ..services import hooks
from ..services.hooks import HookEvent

ROUTE = "/hooks/event"
INLINE_BYTES = 2 << 20  # read inline up to this much new log; measured: well inside 300 ms
LOG_NAME = "hooks.log"  # at most 1 MB, then hooks.log.1 (``core.line_log``)
LOCK_NAME = "hooks.lock"
NICE = 10


class ServeAnswer(msgspec.Struct, frozen=True):
    """What serve answers a hook: the SessionStart context, if any."""

    context: str | None = None


def run(event: str, raw: bytes, config_path: Path | None, client: str = "claude-code") -> str | None:
    """Do what hook ``event`` of ``client`` with payload ``raw`` asks; what to print on stdout (None: nothing)."""
    from ..core import config as config_module

    deadline = time.monotonic()
    ev = hooks.parse(event, raw, client)
    config = config_module.load(config_path)
    deadline += config.hooks.time_budget_ms / 1000
    handed = _to_serve(ev, deadline)
    if handed is not None:
        return hooks.start_output(ev.client, handed.context) if ev.event == "SessionStart" else None
    return _here(ev, config, config_path)


def _here(ev: HookEvent, config: Any, config_path: Path | None) -> str | None:
    """The work in this process: a SessionStart's context (and its log, when short); everything
    else goes to the worker at once, which reads the log now and again when it is quiet."""
    if ev.event != "SessionStart":
        detach(ev, config_path)
        return None
    from ..store import connect

    later = False
    conn = connect()
    try:
        paths = hooks.logs_of(conn, ev)
        unread = hooks.unread_bytes(conn, paths)
        if not paths:
            log(ev.event, f"no log for session {ev.session_id} yet ({ev.transcript_path or 'none named'})")
            later = ev.transcript_path is not None
        elif unread > INLINE_BYTES or (unread and _conversation_behind(conn)):
            later = True
        elif unread:  # nothing new (a resumed session): ingest, its price table and patterns stay unloaded
            hooks.ingest(conn, config, ev, paths)
        out = hooks.start_output(ev.client, hooks.session_context(conn, ev.cwd, config.hooks.session_start_tokens))
    finally:
        conn.close()
    if later:
        detach(ev, config_path)
    return out


def _conversation_behind(conn: Any) -> bool:
    from .. import ingest

    return ingest.conversation_behind(conn)


def _to_serve(ev: HookEvent, deadline: float) -> ServeAnswer | None:
    """Hand ``ev`` to a running serve; its answer, or None if there is none to hand it to."""
    from . import serve_address

    url = serve_address.current()
    if url is None:
        return None
    import http.client
    from urllib.parse import urlsplit

    from .serve_token import token_path

    try:
        token = token_path().read_text(encoding="ascii").strip()
        where = urlsplit(url)
        link = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port or 80,
                                          timeout=max(0.05, deadline - time.monotonic()))
        try:
            link.request("POST", ROUTE, body=msgspec.json.encode(ev),
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            reply = link.getresponse()
            body = reply.read()
        finally:
            link.close()
    except (OSError, ValueError) as e:  # not there (any more), or too slow: do it here
        log(ev.event, f"serve at {url} did not take the event ({e}); done here")
        return None
    if reply.status != 200:
        log(ev.event, f"serve at {url} answered {reply.status}; done here")
        return None
    try:
        return msgspec.json.decode(body, type=ServeAnswer)
    except msgspec.DecodeError:
        return ServeAnswer()


def detach(ev: HookEvent, config_path: Path | None) -> None:
    """Leave the rest of ``ev``'s work to a worker that outlives this process (``background``)."""
    import subprocess

    config = ["--config", str(config_path)] if config_path else []
    subprocess.Popen(
        [sys.executable, "-m", "llm_session_manager", "hook", *config, "--client", ev.client, ev.event,
         "--background", msgspec.json.encode(ev).decode()],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True,
    )


def background(payload: str, config_path: Path | None) -> None:
    """The detached worker: read the session's log now, again once it is quiet, memorize if asked."""
    from ..core import config as config_module
    from ..store import connect

    with contextlib.suppress(OSError):
        os.nice(NICE)  # the assistant the user is watching comes first
    ev = msgspec.json.decode(payload, type=HookEvent)
    config = config_module.load(config_path)
    conn = connect()
    try:
        with _one_at_a_time(conn.filename):
            hooks.ingest(conn, config, ev, hooks.logs_of(conn, ev))
        if ev.event in hooks.SETTLE_AFTER:
            hooks.settle(hooks.logs_of(conn, ev) or [Path(p) for p in (ev.transcript_path,) if p])
        with _one_at_a_time(conn.filename):
            paths = hooks.logs_of(conn, ev)
            if paths:
                hooks.ingest(conn, config, ev, paths)
            elif ev.transcript_path or ev.client == "codex":
                log(ev.event, f"no log for session {ev.session_id} after waiting for it")
            if hooks.wants_memorize(config, ev):
                hooks.memorize_session(conn, config, ev)
    finally:
        conn.close()


@contextlib.contextmanager
def _one_at_a_time(db: str) -> Iterator[None]:
    """Hold ``hooks.lock`` beside the store: workers take turns (the kernel frees it if one dies)."""
    try:
        import fcntl
    except ImportError:  # Windows: SQLite's own locking is all there is
        yield
        return
    with open(Path(db).with_name(LOCK_NAME), "a+") as f:
        with contextlib.suppress(OSError):  # a file system without locks: go on without
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def log(event: str, message: str) -> None:
    """One line in ``hooks.log`` in the data dir; never raises (a hook must not fail over its log)."""
    line_log.append(data_dir() / LOG_NAME, f"{event}: {message}")
