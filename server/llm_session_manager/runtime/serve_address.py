"""Where a running ``llm-session serve`` listens, for the programs that hand it work (hooks).

``serve`` writes ``serve-url`` next to its token in the data dir once its HTTP
port is bound (``http://127.0.0.1:8765 <pid>``) and removes it when it stops.
A ``serve`` killed without stopping leaves the file behind: a reader checks
that the process is alive, and a POST that finds nobody listening falls back
to doing the work itself anyway.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..core import whole_file
from ..core.paths import data_dir

FILE_NAME = "serve-url"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 in brackets or not) is this machine only:
    what decides whether a server of ours may listen on it without TLS or a token."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def path() -> Path:
    return data_dir() / FILE_NAME


def publish(url: str) -> None:
    """Say that this process serves at ``url`` (owner-only, like the token beside it)."""
    whole_file.write(path(), (f"{url} {os.getpid()}\n".encode("ascii"),), mode=0o600, parents=True)


def withdraw() -> None:
    """Remove the file if it is still this process's."""
    found = _read()
    if found is not None and found[1] == os.getpid():
        with contextlib.suppress(OSError):
            path().unlink()


def current() -> str | None:
    """The URL of a ``serve`` that is running, if one said where."""
    found = _read()
    if found is None:
        return None
    url, pid = found
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's: the POST will tell
    return url


def _read() -> tuple[str, int] | None:
    try:
        url, pid = path().read_text(encoding="ascii").split()
        return url, int(pid)
    except (OSError, ValueError):
        return None
