"""``encrypt`` and ``decrypt`` of a store that exists: its message bodies sealed or
opened in batches, resumable (docs/privacy.md; the work is ``store.sealed``'s)."""

from __future__ import annotations

import time
from collections.abc import Callable

import apsw
import msgspec

from ..store import sealed


class EncryptionResult(msgspec.Struct, frozen=True):
    """What ``encrypt`` / ``decrypt --json`` print: ``rewritten`` bodies this run;
    ``sealed`` and ``plain`` bodies now; ``key``: ``passphrase``, ``keyring`` or
    null (not encrypted now); ``started``: this run turned encryption on (or off)."""

    encrypted: bool
    rewritten: int
    sealed: int
    plain: int
    key: str | None
    started: bool
    seconds: float


def encrypt(conn: apsw.Connection, batch: int = sealed.BATCH,
            progress: Callable[[int, int], None] | None = None) -> EncryptionResult:
    """Seal every stored body; a store half-way (an earlier run stopped) is finished."""
    began = time.perf_counter()
    done, started = sealed.encrypt(conn, batch=batch, progress=progress)
    return _result(conn, done, started, began)


def decrypt(conn: apsw.Connection, batch: int = sealed.BATCH,
            progress: Callable[[int, int], None] | None = None) -> EncryptionResult:
    """Open every sealed body back to text, then stop sealing new ones."""
    began = time.perf_counter()
    done, was = sealed.decrypt(conn, batch=batch, progress=progress)
    return _result(conn, done, was, began)


def _result(conn: apsw.Connection, done: int, started: bool, began: float) -> EncryptionResult:
    lock = sealed.lock_of(conn)
    n_sealed, n_plain = sealed.counts(conn)
    key = None if lock is None else "passphrase" if lock.kdf == "scrypt" else "keyring"
    return EncryptionResult(lock is not None, done, n_sealed, n_plain, key, started,
                            round(time.perf_counter() - began, 3))
