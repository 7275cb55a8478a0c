"""The status line's agent: one resident process per data dir that draws the line.

It keeps what each ``llm-session statusline`` process would make again (Python,
the imports, the store's connection, the parsed config) and answers one request
at a time over ``statusline.sock`` in the data dir (0600, in a private dir): the
client's payload and options, drawn by the command's own code
(``frontends/cli/_statusline.text``) under the client's environment (``TZ``,
``NO_COLOR``, where the config and logs are) and working directory, restored
afterwards. Between requests it notices a replaced store (another inode: it
reopens) and a changed config file (it reloads).

One per data dir: an ``flock`` on ``statusline-agent.lock`` (which holds its
pid), taken before binding; a second agent waits briefly (an old one may be
exiting) and leaves. It exits after ``statusline.agent_idle_minutes`` without a
request, when its socket is removed or replaced, when asked by another version
of the program (``wire.MISMATCH``), when the config turns it off, when a module it
runs or the price table changed (an edited checkout, ``pricing update``), on
``statusline stop-agent`` and on SIGTERM. It writes to nobody's terminal: what
it has to say goes to ``statusline-agent.log`` in the data dir (1 MB, then
``.1``, as ``hooks.log``).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

from ....core import line_log
from . import wire
from .kept import DrawContext, Kept, as_client

# How often an agent looks whether its socket is still its own (when idle) and whether
# its code or the price table changed (then it exits: the next line starts a fresh one).
CHECK_S = 5.0
# How long a new agent waits for the lock of one that is exiting (another version).
LOCK_WAIT_S = 1.0
# How long a connected client may take to send its request.
READ_TIMEOUT_S = 1.0
MAX_REQUEST = 16 << 20  # a payload is a few KB
# While another process writes the store (a scan), wait this long, then draw what it
# holds: the answer is then still in time for the client (client.TIMEOUT_S).
BUSY_MS = 150

# What a line that stores a new response imports (its ingest machinery: 60-100 M
# instructions in a new process), imported before the agent takes requests.
_WARM = (
    "llm_session_manager.frontends.cli._statusline", "llm_session_manager.services.statusline",
    "llm_session_manager.services.health", "llm_session_manager.services.working",
    "llm_session_manager.services.blocks", "llm_session_manager.services.limits",
    "llm_session_manager.store", "llm_session_manager.store.quarters", "llm_session_manager.store.limit_readings",
    "llm_session_manager.ingest", "llm_session_manager.ingest._rows", "llm_session_manager.ingest._store",
    "llm_session_manager.ingest._parallel", "llm_session_manager.sources.exports",
    "llm_session_manager.sources.claude_code", "llm_session_manager.sources.claude_code._usage",
    "llm_session_manager.sources.claude_code._conversation", "llm_session_manager.core.redact", "string",
)


def main() -> None:
    """Run an agent for the data dir of this environment, unless one runs already."""
    directory = wire.folder()
    path = wire.socket_path(directory)
    if path is None or not wire.supported():
        return
    with contextlib.suppress(OSError):
        os.makedirs(directory, mode=0o700, exist_ok=True)
    lock = _lock(Path(directory) / wire.LOCK_NAME)
    if lock is None:
        return
    logging.getLogger().addHandler(_LogHandler(Path(directory)))
    signal.signal(signal.SIGTERM, _exit_on_signal)
    sys.path[:] = [os.path.abspath(p) for p in sys.path]  # a relative PYTHONPATH entry: as it was started
    os.chdir("/")  # hold no directory of the user's; each request runs in its client's
    agent = Agent(Path(directory), path)
    try:
        agent.serve()
    except SystemExit:
        log(Path(directory), "exits: terminated (SIGTERM)")
    except Exception as e:  # noqa: BLE001 -- logged: an agent that dies leaves the lines to the command
        log(Path(directory), f"stopped: {e.__class__.__name__}: {e}")
    finally:
        agent.close()
        os.close(lock)


class Agent:
    def __init__(self, directory: Path, path: str) -> None:
        self.directory = directory
        self.path = path
        self.fingerprint = wire.fingerprint()
        self.running = True
        self.why = "stopped"
        self.drawn = 0  # lines drawn, for ``ping``
        self.idle_s = 15 * 60.0
        self.listener: socket.socket | None = None
        self.bound: tuple[int, int] | None = None  # the socket file's (device, inode)
        self.kept = Kept()
        self._files: dict[str, tuple[int, int]] = {}  # what it runs and prices with: path -> (mtime_ns, size)
        self._checked = 0.0
        for name in _WARM:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        with contextlib.suppress(Exception):  # the config of the environment it was started in: its idle time
            config = self.kept.config(None)
            self.idle_s = config.statusline.agent_idle_minutes * 60
            if not config.statusline.agent:
                self._stop("the config says statusline.agent: false")
        import gc

        gc.freeze()  # what the imports made stays: collections walk only what requests make
        self._check_files()  # what it started with

    # --- the socket ----------------------------------------------------------------

    def serve(self) -> None:
        if not self.running:
            log(self.directory, f"not started: {self.why}")
            return
        self._bind()
        log(self.directory, f"started (pid {os.getpid()}, {self.path})")
        assert self.listener is not None
        last = time.monotonic()
        while self.running:
            left = self.idle_s - (time.monotonic() - last)
            if left <= 0:
                self._stop(f"idle for {self.idle_s / 60:g} min")
                break
            self.listener.settimeout(min(left, CHECK_S))
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                pass
            else:
                with client:
                    self._handle(client)
                last = time.monotonic()
            if self.running and not self._ours():
                self._stop("its socket was removed or replaced")
            if self.running and time.monotonic() - self._checked >= CHECK_S:
                self._check_files()
        log(self.directory, f"exits: {self.why}")

    def _bind(self) -> None:
        """Listen at the socket path, replacing a stale socket (the lock is held: no live agent uses it)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # created 0600: only its owner may ask
        try:
            listener.bind(self.path)
        finally:
            os.umask(old)
        listener.listen(16)
        st = os.stat(self.path)
        self.listener, self.bound = listener, (st.st_dev, st.st_ino)

    def _check_files(self) -> None:
        """Stop if a module it imported or the price table changed since it first looked.

        The version fingerprint covers an install; this covers an edited checkout, and
        ``pricing update`` (the table is read once per process, as in ``serve``)."""
        self._checked = time.monotonic()
        from ....core.pricing import TABLE_NAME

        files = [getattr(m, "__file__", None) for name, m in list(sys.modules.items())
                 if name.startswith("llm_session_manager")]
        for path in [f for f in files if f] + [str(self.directory / TABLE_NAME)]:
            try:
                st = os.stat(path)
                now = (st.st_mtime_ns, st.st_size)
            except OSError:
                now = (0, 0)
            if self._files.setdefault(path, now) != now:
                self._stop(f"{path} changed")
                return

    def _ours(self) -> bool:
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.bound

    def close(self) -> None:
        if self.listener is not None:
            if self._ours():
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
            self.listener.close()
            self.listener = None
        self.kept.close()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(READ_TIMEOUT_S)
        try:
            data = _read_all(client)
            answer = self.answer(wire.Request(data))
            client.sendall(wire.MAGIC + answer)
        except Exception as e:  # noqa: BLE001 -- a client gone, not one of ours, or a bug: the client draws the line
            log(self.directory, f"request dropped: {e.__class__.__name__}: {e}")

    # --- the answers ---------------------------------------------------------------

    def answer(self, request: wire.Request) -> bytes:
        """The status byte and body for ``request``."""
        if request.fingerprint != self.fingerprint:
            self._stop("another version of llm-session asked")
            return wire.MISMATCH
        if request.kind == wire.PING:
            return wire.PONG + f"{os.getpid()}\0{self.drawn}\0".encode() + self.fingerprint
        if request.kind == wire.STOP:
            self._stop("asked to stop")
            return wire.STOPPING + f"{os.getpid()}".encode()
        if request.kind != wire.DRAW:
            return wire.MISMATCH
        with as_client(request):
            answer = self._draw(request)
        self.drawn += answer[:1] == wire.LINE
        return answer

    def _draw(self, request: wire.Request) -> bytes:
        from .. import _statusline, _statusline_args

        args = _statusline_args(request.argv)
        if args is None or args.verbose:
            return wire.MISMATCH  # not a line the client hands off: let it draw it
        ctx = DrawContext(args, self.kept)
        try:
            config = ctx.config
        except Exception:  # noqa: BLE001 -- the line says what is wrong with it
            config = None
        if config is not None:
            if not config.statusline.agent:
                self._stop("the config says statusline.agent: false")
                return wire.DISABLED
            self.idle_s = config.statusline.agent_idle_minutes * 60
        line = _statusline.text(ctx, request.payload, busy_ms=BUSY_MS)
        return wire.LINE + line.encode("utf-8", "surrogateescape")

    def _stop(self, why: str) -> None:
        self.running = False
        self.why = why

def _read_all(client: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = client.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REQUEST:
            raise ValueError("request too large")


def _lock(path: Path) -> int | None:
    """The agent lock, held until the process ends (its fd is never inherited); None: another agent holds it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.05)
        except OSError:  # a file system without locks: no agent rather than two
            os.close(fd)
            return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)  # through serve's finally: the socket is removed


def log(directory: Path, message: str) -> None:
    """One line in ``statusline-agent.log`` in the data dir; never raises."""
    line_log.append(directory / wire.LOG_NAME, f"pid {os.getpid()}: {message}")


class _LogHandler(logging.Handler):
    """Warnings of the code the agent runs (ingest's, say), into its log rather than a terminal it has not."""

    def __init__(self, directory: Path) -> None:
        super().__init__(logging.WARNING)
        self.directory = directory

    def emit(self, record: logging.LogRecord) -> None:
        log(self.directory, f"{record.levelname} {record.name}: {record.getMessage()}")

