"""What both assistants' logs share: compact JSON, millisecond UTC timestamps, rough token
counts, ids in each assistant's own format, and a file written and dated like the real one."""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def dumps(value: object) -> str:
    """Compact JSON with UTF-8 kept, as both assistants write it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def iso(t: datetime) -> str:
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def tokens(text: str) -> int:
    return len(text) // 4 + 1


class Ids:
    """Ids in each assistant's own format, all drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def uuid7(self, t: datetime) -> str:
        bits = (int(t.timestamp() * 1000) << 80) | (7 << 76) | (self.rng.getrandbits(12) << 64)
        return str(uuid.UUID(int=bits | (2 << 62) | self.rng.getrandbits(62)))

    def b58(self, n: int) -> str:
        return "".join(self.rng.choices(_B58, k=n))

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"


class LogFile:
    """One .jsonl file being written: its lines so far and a clock that only moves forward."""

    def __init__(self, ids: Ids, clock: datetime) -> None:
        self.ids, self.rng = ids, ids.rng
        self.clock = self.started = clock
        self.lines: list[str] = []

    @property
    def relpath(self) -> Path:
        """Where the assistant keeps this file, under its own directory."""
        raise NotImplementedError

    def wait(self, low: float, high: float) -> None:
        self.clock += timedelta(seconds=self.rng.uniform(low, high))

    def write(self, path: Path) -> int:
        """Write the file, dated like the real one (its last line), and return its size in bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(self.lines).encode()
        path.write_bytes(data)
        os.utime(path, (self.clock.timestamp(), self.clock.timestamp()))
        return len(data)
