"""``encrypt`` and ``decrypt``: message bodies sealed or opened in the store (docs/privacy.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ._context import Context


def cmd_encrypt(ctx: Context) -> None:
    from ...services import encryption

    with _progress(not ctx.args.json, "Encrypting messages") as progress:
        done = encryption.encrypt(ctx.conn, batch=ctx.args.batch_size, progress=progress)
    ctx.emit(done, lambda _: print(
        f"Encrypted {done.rewritten:,} message bodies in {done.seconds:g} s; {done.sealed:,} sealed, "
        f"{done.plain:,} plain. The key: {_key(done.key)}"))


def cmd_decrypt(ctx: Context) -> None:
    from ...services import encryption

    with _progress(not ctx.args.json, "Decrypting messages") as progress:
        done = encryption.decrypt(ctx.conn, batch=ctx.args.batch_size, progress=progress)
    ctx.emit(done, lambda _: print(
        f"Decrypted {done.rewritten:,} message bodies in {done.seconds:g} s; the store is no longer encrypted"
        if done.started else "The store is not encrypted: nothing to do"))


def _key(kind: str | None) -> str:
    return "LLM_SESSION_PASSPHRASE (keep it: without it the messages cannot be read)" if kind == "passphrase" \
        else "a random key in the OS keyring, service 'llm-session-manager'"


@contextmanager
def _progress(wanted: bool, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A bar of messages done, on a terminal only."""
    if not (wanted and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), transient=True)
    task = bar.add_task(what, total=None)

    def update(done: int, total: Any) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
