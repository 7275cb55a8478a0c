"""What the status line's client and agent say to each other, and where they meet.

The client reads this before importing anything else (no typing, pathlib, json or
``socket``: each costs more than the agent's whole answer), so the framing is
bytes: a request is ``MAGIC``, the header's length (4 bytes, big-endian), the
header (NUL-separated: kind, fingerprint, cwd, the count of environment entries,
the entries as ``NAME=value``, then the command line's arguments) and the payload
up to the end of what the client sends. An answer is ``MAGIC``, a status byte and
the rest (the line for ``LINE``).
"""

from __future__ import annotations

import os
import sys

from .... import __version__
from ....core.paths import data_dir_text

MAGIC = b"LSA1"
SOCKET_NAME = "statusline.sock"
LOCK_NAME = "statusline-agent.lock"
LOG_NAME = "statusline-agent.log"
# Linux's sun_path holds 108 bytes with its terminating NUL (macOS: 104).
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107
# The switch for one environment (a shell, CI, a benchmark): "0", "off", "false" or "no"
# and no agent is asked or started; the config's ``statusline.agent`` is the lasting one.
ENV = "LLM_SESSION_STATUSLINE_AGENT"

# Request kinds.
DRAW, PING, STOP = b"draw", b"ping", b"stop"
# Answer statuses.
LINE = b"="  # the line follows
MISMATCH = b"M"  # another version of the program: the client draws the line itself; the agent exits
DISABLED = b"D"  # the config says statusline.agent: false: the same, and no agent is started
PONG = b"P"  # the agent's pid, the lines it drew and its fingerprint, NUL-separated
STOPPING = b"S"

# The environment a line depends on, applied by the agent per request: the time
# zone (``today``), NO_COLOR, where the config, data and Claude Code's logs are.
ENV_NAMES = frozenset({"TZ", "NO_COLOR", "HOME", "CLAUDE_CONFIG_DIR"})
ENV_PREFIXES = ("LLM_SESSION_", "XDG_")


def supported() -> bool:
    """Whether this system has Unix sockets (Windows' Python has none)."""
    import _socket

    return hasattr(_socket, "AF_UNIX") and sys.platform != "win32"


def switched_off() -> bool:
    return os.environ.get(ENV, "").strip().lower() in ("0", "off", "false", "no")


def folder() -> str:
    return data_dir_text()


def socket_path(directory: str | None = None) -> str | None:
    """The agent's socket in the data dir; None where the path is too long for a Unix socket."""
    path = os.path.join(folder() if directory is None else directory, SOCKET_NAME)
    return path if len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def fingerprint() -> bytes:
    """This install's version: an upgraded (or edited) package never talks to an older agent.

    The version, the interpreter, and the package's ``__init__.py`` as installed
    (every install rewrites it). One ``stat``."""
    init = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 3, "__init__.py")  # the package's
    try:
        st = os.stat(init)
        stamp = f"{st.st_mtime_ns}.{st.st_size}.{st.st_ino}"
    except OSError:
        stamp = "?"
    return f"{__version__}:{sys.hexversion:x}:{stat_of_self()}:{stamp}".encode()


def stat_of_self() -> str:
    """This module's own file (the protocol's text): a changed framing is a new version."""
    try:
        st = os.stat(__file__)
    except OSError:
        return "?"
    return f"{st.st_mtime_ns}.{st.st_size}"


def wanted_env(environ: dict[bytes, bytes]) -> list[bytes]:
    """The ``NAME=value`` entries of ``environ`` a line depends on."""
    names = {n.encode() for n in ENV_NAMES}
    prefixes = tuple(p.encode() for p in ENV_PREFIXES)
    return [name + b"=" + value for name, value in environ.items() if name in names or name.startswith(prefixes)]


def is_wanted(name: str) -> bool:
    return name in ENV_NAMES or name.startswith(ENV_PREFIXES)


def request(kind: bytes, argv: list[str], payload: bytes = b"") -> bytes:
    """A whole request from this process: its cwd, its environment's entries that matter, ``argv``."""
    env = wanted_env(dict(os.environb)) if hasattr(os, "environb") else []
    fields = [kind, fingerprint(), os.getcwdb(), str(len(env)).encode(), *env, *map(os.fsencode, argv)]
    header = b"\0".join(fields)
    return MAGIC + len(header).to_bytes(4, "big") + header + payload


class Request:
    """A request as the agent reads it."""

    def __init__(self, data: bytes) -> None:
        if data[:4] != MAGIC or len(data) < 8:
            raise ValueError("not a status line request")
        size = int.from_bytes(data[4:8], "big")
        fields = data[8:8 + size].split(b"\0")
        self.payload = data[8 + size:]
        self.kind, self.fingerprint, self.cwd = fields[0], fields[1], os.fsdecode(fields[2])
        count = int(fields[3])
        self.env = dict(os.fsdecode(entry).partition("=")[::2] for entry in fields[4:4 + count])
        self.argv = [os.fsdecode(arg) for arg in fields[4 + count:]]
