"""The per-install secret that clients of ``llm-session serve`` show at its doors.

The LSP TCP port always asks for it (any local process, and any web page
through the browser, can reach a loopback port); MCP over HTTP asks for it when
``serve`` is bound beyond loopback. It is a random string in the data dir,
``serve-token``, readable only by its owner (mode 0600), made on first use.
Whoever can read that file can already read the store beside it, so holding
the token proves nothing more than being this user on this machine, which is
the point.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

from ..core.errors import StoreError
from ..core.paths import data_dir

logger = logging.getLogger(__name__)

TOKEN_FILE = "serve-token"
TOKEN_BYTES = 32


def token_path() -> Path:
    return data_dir() / TOKEN_FILE


def load_or_create() -> str:
    """The token, made (mode 0600) if there is none yet; a file others can read is made private first."""
    path = token_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        token = _read(path)
        if not token:
            token = _create(path)
    except OSError as e:
        raise StoreError(f"cannot read or create the serve token {path}: {e.strerror or e}") from e
    return token


def matches(token: str, presented: object) -> bool:
    """Whether ``presented`` is the token, in time that does not depend on where they differ."""
    return isinstance(presented, str) and hmac.compare_digest(presented.encode(), token.encode())


def _read(path: Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        logger.warning("%s was readable by others; made it private (mode 0600)", path)
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip() or None


def _create(path: Path) -> str:
    """Write a new token under a private temporary name, then link it in place.

    The link fails if another ``serve`` started at the same moment got there
    first; then its token is the one.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(token + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read(path) or _replace(temporary, path, token)
    finally:
        temporary.unlink(missing_ok=True)
    return token


def _replace(temporary: Path, path: Path, token: str) -> str:
    """An empty token file (a crash while writing one) is replaced."""
    os.replace(temporary, path)
    return token
