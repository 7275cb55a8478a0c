"""A small request's body, read whole from ASGI ``receive``: the hook and chat doors."""

from __future__ import annotations

from typing import Any


async def read_body(receive: Any, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes (read to its end all the same, so
    the client gets the answer rather than a reset connection)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks) if size <= limit else None
