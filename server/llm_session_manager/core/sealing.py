"""Sealing message bodies: the key (a passphrase through scrypt, or a random key in
the OS keyring) and AES-GCM over one body at a time (docs/privacy.md).

A sealed body is ``b"LSM1" + nonce (12 bytes) + ciphertext + tag (16 bytes)``:
the version prefix lets a later format be told apart, and a body stored as text
is never one (SQLite keeps a sealed body as a BLOB, a plain one as TEXT), so a
store half-way through ``encrypt`` or ``decrypt`` reads every row. Which key the
store wants, and the sealed check value that tells a wrong key before anything is
written, are the ``Lock`` kept in the store's ``meta`` (``store/sealed.py``).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import msgspec

from .errors import EncryptionKeyMissing, WrongKey

MAGIC = b"LSM1"
NONCE_BYTES = 12
KEY_BYTES = 32
PASSPHRASE_ENV = "LLM_SESSION_PASSPHRASE"
KEYRING_SERVICE = "llm-session-manager"
# scrypt's cost: 2**15 x 8 x 128 bytes = 32 MB of memory and about 0.1 s a
# derivation (once per process), the parameters OWASP gives for passwords.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# Sealed with the key and kept beside the parameters: opening it tells a wrong key
# at once, before a row is written with it.
CHECK_TEXT = "llm-session-manager key check"


class Lock(msgspec.Struct, frozen=True):
    """How a store's key is found, as ``meta`` keeps it (JSON): ``kdf`` is
    ``scrypt`` (from ``LLM_SESSION_PASSPHRASE``, with ``salt`` and the cost) or
    ``keyring`` (a random key kept under ``account``); ``check`` is ``CHECK_TEXT`` sealed."""

    kdf: str
    check: str
    salt: str = ""
    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P
    account: str = ""


def new_lock(account: str, passphrase: str | None) -> tuple[Lock, bytes]:
    """A lock and its key for a store being encrypted: from ``passphrase`` when
    given, else a random key put in the OS keyring under ``account``."""
    if passphrase is not None:
        salt = os.urandom(16)
        key = _scrypt(passphrase.encode(), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return Lock("scrypt", seal(key, CHECK_TEXT).hex(), salt=salt.hex()), key
    key = os.urandom(KEY_BYTES)
    keyring = _keyring()
    try:
        keyring.set_password(KEYRING_SERVICE, account, key.hex())
        kept = keyring.get_password(KEYRING_SERVICE, account)
    except Exception as e:
        raise EncryptionKeyMissing(f"cannot keep a key in the OS keyring ({e}); set {PASSPHRASE_ENV} instead") from e
    if kept != key.hex():
        raise EncryptionKeyMissing(f"the OS keyring did not keep the key; set {PASSPHRASE_ENV} instead")
    return Lock("keyring", seal(key, CHECK_TEXT).hex(), account=account), key


def unlock(lock: Lock, passphrase: str | None = None) -> bytes:
    """The key ``lock`` wants, checked; ``EncryptionKeyMissing`` or ``WrongKey`` in one line."""
    if lock.kdf == "scrypt":
        passphrase = os.environ.get(PASSPHRASE_ENV) if passphrase is None else passphrase
        if not passphrase:
            raise EncryptionKeyMissing(f"the store's messages are encrypted: set {PASSPHRASE_ENV} to its passphrase")
        key = _scrypt(passphrase.encode(), bytes.fromhex(lock.salt), lock.n, lock.r, lock.p)
        if not _checks(key, lock):
            raise WrongKey(f"{PASSPHRASE_ENV} is not the passphrase the store's messages were encrypted with")
        return key
    try:
        found = _keyring().get_password(KEYRING_SERVICE, lock.account)
    except Exception as e:
        raise EncryptionKeyMissing(f"the store's messages are encrypted and the OS keyring cannot be read: {e}") from e
    if not found:
        raise EncryptionKeyMissing(
            f"the store's messages are encrypted and the OS keyring has no key for it "
            f"(service {KEYRING_SERVICE!r}, account {lock.account!r})")
    try:
        key = bytes.fromhex(found)
    except ValueError:
        key = b""
    if not _checks(key, lock):
        raise WrongKey(f"the OS keyring's key (service {KEYRING_SERVICE!r}) does not open the store's messages")
    return key


def seal(key: bytes, text: str) -> bytes:
    """``text`` encrypted and authenticated, as stored."""
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + _cipher(key).encrypt(nonce, text.encode(), None)


def open_sealed(key: bytes, blob: bytes) -> str:
    """The text of a sealed body; ``WrongKey`` if ``key`` is not its key or it was altered."""
    from cryptography.exceptions import InvalidTag

    if not blob.startswith(MAGIC):
        raise WrongKey("a stored message body is not in a format this version can open")
    start = len(MAGIC) + NONCE_BYTES
    try:
        return _cipher(key).decrypt(blob[len(MAGIC):start], blob[start:], None).decode()
    except InvalidTag:
        raise WrongKey("a stored message body does not open with the store's key (altered or another key)") from None


@functools.lru_cache(maxsize=4)
def _cipher(key: bytes) -> Any:
    """One AES-GCM context per key: making one costs more than opening a short body."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _checks(key: bytes, lock: Lock) -> bool:
    if len(key) != KEY_BYTES:
        return False
    try:
        return open_sealed(key, bytes.fromhex(lock.check)) == CHECK_TEXT
    except WrongKey:
        return False


@functools.lru_cache(maxsize=4)
def _scrypt(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    """Derived once per process: the engine opens a connection per worker thread."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passphrase)


def _keyring() -> Any:
    """The ``keyring`` module, imported only by a store that keeps its key there."""
    import keyring

    return keyring


def forget(lock: Lock) -> None:
    """Take a decrypted store's key out of the OS keyring (nothing sealed needs it now)."""
    try:
        _keyring().delete_password(KEYRING_SERVICE, lock.account)
    except Exception:  # noqa: BLE001 - already gone, or no keyring: nothing to forget
        pass
