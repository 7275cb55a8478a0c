"""A keyring backend that keeps its entries in a JSON file named by ``LSM_TEST_KEYRING``:
what `keyring` would do with the OS keyring, without touching the real one. Chosen by
``PYTHON_KEYRING_BACKEND=keyring_file_backend.FileKeyring`` (keyring's own switch)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _entries(self) -> dict[str, str]:
        path = Path(os.environ["LSM_TEST_KEYRING"])
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, entries: dict[str, str]) -> None:
        Path(os.environ["LSM_TEST_KEYRING"]).write_text(json.dumps(entries))

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._save({**self._entries(), f"{service}\0{username}": password})

    def delete_password(self, service: str, username: str) -> None:
        entries = self._entries()
        if entries.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(entries)
