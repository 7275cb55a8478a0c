"""One line at a time into a small log of ours in the data dir: for processes with no
terminal to tell (a hook's, the status line's agent).

What they log names sessions and paths, so the file is the owner's alone (0600, in a
0700 dir), whatever the umask. Past ``max_bytes`` it moves to ``<name>.1`` and starts
again. Never raises: a hook or the agent must not fail over its log.
"""

import contextlib
import os
import time
from pathlib import Path

MAX_BYTES = 1 << 20


def append(path: Path, text: str, max_bytes: int = MAX_BYTES) -> None:
    """``text`` on one line of ``path``, after the local time."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            if path.stat().st_size > max_bytes:
                os.replace(path, path.with_name(path.name + ".1"))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        with open(fd, "a", encoding="utf-8") as f:
            os.fchmod(fd, 0o600)  # one an older version made with the umask's mode
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {' '.join(text.split())}\n")
