"""The status line's client: hand the payload to the agent and print its line.

``llm-session statusline`` calls ``hand_off`` before importing anything heavy;
this module and ``wire`` import only ``os``, ``sys``, ``time`` and the C module
``_socket`` (``socket`` imports ``enum``: 34 M instructions, more than the whole
hand-off). Whatever goes wrong (no agent, a stale socket of a killed one, no
answer within ``TIMEOUT_S``, another version) leaves the line to the command
itself, which then starts an agent (``start``) once its line is out.
"""

from __future__ import annotations

import os
import sys
import time

from . import wire

# Connecting, sending and reading the answer: an agent answers in a few ms; one that
# has not within this has a store another process is writing, and the command draws
# the line itself (waiting for the store no longer than the agent would).
TIMEOUT_S = 0.25
_CHUNK = 65536


class NoAnswer(Exception):
    """The agent did not answer: ``start`` says whether starting one would help."""

    def __init__(self, reason: str, start: bool) -> None:
        super().__init__(reason)
        self.start = start


def hand_off(argv: list[str]) -> bool:
    """Print the agent's line for this process's stdin and end the process; or, where
    there is no agent to ask, return whether to start one after the line is drawn
    here (stdin is then still there to read, as the command reads it)."""
    try:
        return _hand_off(argv)
    except Exception:  # noqa: BLE001 -- whatever it is, the command draws the line (and never shows a traceback)
        return False


def _hand_off(argv: list[str]) -> bool:
    if wire.switched_off() or not wire.supported():
        return False
    path = wire.socket_path()
    if path is None:
        return False
    data = sys.stdin.buffer.read()
    _keep_stdin(data)
    try:
        status, body = ask(path, wire.request(wire.DRAW, argv, data))
    except NoAnswer as e:
        return e.start
    if status == wire.DISABLED:
        return False
    if status != wire.LINE:
        return True  # another version, which has exited: start ours
    out = sys.stdout.buffer
    try:
        out.write(body + b"\n")
        out.flush()
    except OSError:
        pass  # the assistant stopped reading: nothing more to say
    os._exit(0)


def ask(path: str, request: bytes, timeout: float = TIMEOUT_S) -> tuple[bytes, bytes]:
    """Send ``request`` to the agent at ``path``: its status and the rest of its answer."""
    import _socket

    deadline = time.monotonic() + timeout
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError) as e:
            raise NoAnswer("no agent", start=True) from e
        except OSError as e:  # a timeout (a full backlog), or a socket not ours to use
            raise NoAnswer(f"cannot connect: {e}", start=False) from e
        try:
            sock.sendall(request)
            sock.shutdown(_socket.SHUT_WR)
            chunks = []
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NoAnswer("no answer in time", start=False)
                sock.settimeout(left)
                chunk = sock.recv(_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError as e:  # a timeout, or an agent that died while answering
            raise NoAnswer(f"no answer: {e}", start=False) from e
    finally:
        sock.close()
    answer = b"".join(chunks)
    if answer[:4] != wire.MAGIC or len(answer) < 5:
        raise NoAnswer("not an agent's answer", start=True)  # an agent that died before answering
    return answer[4:5], answer[5:]


def _keep_stdin(data: bytes) -> None:
    """stdin again, holding ``data``, for the command that draws the line itself."""
    import io

    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def start() -> None:
    """Start an agent for this data dir, detached: its own session, no terminal, no
    pipes (Claude Code waits for the status line's output to close). One that finds
    another running exits (``agent.main``). ``posix_spawn``: ``subprocess`` would add
    its imports to the line this follows. Not ``nice``d, unlike ingest's continuation:
    the agent does the work of the lines Claude Code waits for, and a lower priority
    could not be raised again for them (an unprivileged process can only lower its own)."""
    code = "from llm_session_manager.frontends.cli.statusline_agent.agent import main; main()"
    null = os.devnull
    actions = [(os.POSIX_SPAWN_OPEN, 0, null, os.O_RDONLY, 0), (os.POSIX_SPAWN_OPEN, 1, null, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, null, os.O_WRONLY, 0)]
    try:
        # -P: the working directory (the user's project) is not on its import path.
        os.posix_spawn(sys.executable, [sys.executable, "-P", "-c", code], os.environ, file_actions=actions,
                       setsid=True)
    except (OSError, AttributeError, TypeError):
        pass  # no posix_spawn (or its setsid) here, or no interpreter to start: the line is drawn in-process, as before


def status() -> tuple[int, int, bool] | None:
    """The running agent's pid, the lines it drew and whether it is this install's version
    (another version exits on being asked); None: none answers."""
    answer = _ask_running(wire.PING)
    if answer is None:
        return None
    kind, body = answer
    if kind == wire.MISMATCH:
        return (0, 0, False)
    if kind != wire.PONG:
        return None
    pid, drawn, _ = body.split(b"\0", 2)
    return int(pid), int(drawn), True


def stop() -> int | None:
    """Ask the running agent to exit: its pid, or None if none answers."""
    answer = _ask_running(wire.STOP)
    if answer is None:
        return None
    kind, body = answer
    if kind == wire.STOPPING:
        return int(body or b"0")
    return 0 if kind == wire.MISMATCH else None  # another version: it exits on being asked anything


def _ask_running(kind: bytes) -> tuple[bytes, bytes] | None:
    """The running agent's answer to a request of ``kind`` (for people: a patient timeout); None: none answers."""
    path = wire.socket_path()
    if path is None or not wire.supported():
        return None
    try:
        return ask(path, wire.request(kind, []), timeout=2.0)
    except NoAnswer:
        return None
