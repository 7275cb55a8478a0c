"""What every command shares: the parsed arguments, config, store, console and output."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import argparse

    import apsw
    from rich.progress import Progress, TaskID

    from ...core.config import Config
    from ...core.models import ScanResult
    from ...services.kept_file import Block


class Context:
    """What commands share: parsed args, lazily loaded config, store and console."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._config: Config | None = None
        self._conn: apsw.Connection | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from ...core import config

            self._config = config.load(self.args.config)
        return self._config

    @property
    def loaded_config(self) -> Config | None:
        """The config if a command loaded it (None: it did not, or could not), without loading it."""
        return self._config

    @property
    def conn(self) -> apsw.Connection:
        if self._conn is None:
            from ...store import connect

            self._conn = connect()
        return self._conn

    def close(self) -> None:
        """Close the store, if a command opened it."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def explain(self, error: BaseException) -> Any:
        """``error`` as a one-line ``LlmSessionError`` if it is about the store's file (damaged, disk full)."""
        from ...store import db_path
        from ...store.failures import explain_on

        return explain_on(error, self._conn, db_path())

    def fresh_conn(self, conversation_later: bool = False) -> apsw.Connection:
        """The store, first brought up to date with the logs (unless ``--no-scan``).

        Reports are never stale: with nothing new a rescan costs a stat per log.
        ``conversation_later``: the command reads only usage (``ingest.scan``).
        """
        if not self.args.no_scan:
            self.scan(conversation_later)
        return self.conn

    def scan(self, conversation_later: bool = False) -> ScanResult:
        from ... import ingest

        with ScanProgress(enabled=not self.args.json) as progress:
            result = ingest.scan(self.conn, self.config, progress=progress, conversation_later=conversation_later)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return result

    @functools.cached_property
    def console(self):
        from rich.console import Console

        return Console()

    def emit(self, value: Any, human: Callable[[Any], object]) -> None:
        """Print ``value`` as JSON with ``--json``, else call ``human(render)``.

        The rich-based ``render`` module is imported only for people: it costs
        more start-up time than most commands take to run.
        """
        if getattr(self.args, "json", False):
            import msgspec  # here, not at the top: the status line and hooks draw without it

            write_json(msgspec.json.format(msgspec.json.encode(value), indent=2))
        else:
            from . import render

            human(render)


def write_text(text: str, output: str | None) -> None:
    """``text`` into the file ``output`` names (saying so on stderr), or on stdout without one (or ``-``)."""
    if output and output != "-":
        from pathlib import Path

        from ...core.errors import BadInput

        out = Path(output)
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise BadInput(f"cannot write {out}: {e.strerror}") from e
        print(f"Wrote {out} ({len(text):,} characters)", file=sys.stderr)
    else:
        sys.stdout.write(text)


def write_json(data: bytes) -> None:
    """``data`` and a newline on stdout, as its text layer would write them."""
    buffer = bytes_stdout()
    if buffer is not None:
        buffer.write(data)
        buffer.write(b"\n")
    else:
        sys.stdout.write(data.decode() + "\n")


def write_pieces(pieces: Sequence[bytes | Block]) -> None:
    """A JSON document in pieces and a newline on stdout: a block kept in a file goes from
    the file to stdout in the kernel (``sendfile``), where stdout takes the same bytes."""
    from ...services.kept_file import joined

    out = bytes_stdout()
    if out is None:
        write_json(joined(list(pieces)))
        return
    for piece in pieces:
        if isinstance(piece, bytes):
            out.write(piece)
        else:
            out.flush()
            _send(piece, out)
    out.write(b"\n")


def _send(block: Block, out: BinaryIO) -> None:
    """The block's bytes to ``out``; what ``sendfile`` cannot send (to a terminal, say) read and written."""
    offset, end = block.offset, block.offset + block.length
    with contextlib.suppress(OSError):
        while offset < end:
            sent = os.sendfile(out.fileno(), block.file.fileno(), offset, end - offset)
            if sent == 0:
                break
            offset += sent
    if offset < end:
        out.write(os.pread(block.file.fileno(), end - offset, offset))


def bytes_stdout() -> BinaryIO | None:
    """stdout's byte buffer (flushed of text), where its text layer would write the same bytes
    (UTF-8, no newline translation): ``list --json`` at 20,000 sessions is 18 MB, and decoding
    it to a string for the layer to encode again took 25 ms. None where it would not."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if buffer is not None and os.linesep == "\n" and (out.encoding or "").lower().replace("-", "") == "utf8":
        out.flush()
        return buffer
    return None


def warn_unpriced(models: list[str]) -> None:
    """One line on stderr naming the models whose cost is unknown (their cost_usd is null, not 0)."""
    if models:
        which = f"model {models[0]}: its" if len(models) == 1 else f"models {', '.join(models)}: their"
        print(f"warning: no price for {which} cost is unknown, not $0 (cost_usd null, or cost_complete false "
              "where priced usage is added in); see 'llm-session pricing show MODEL'", file=sys.stderr)


class ScanProgress:
    """A progress bar for scans that last longer than a second, on a terminal only."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> Callable[[int, int], None]:
        return self.update

    def update(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < 1.0:
            return
        bar, task = self.bar, self.task
        if bar is None or task is None:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            bar = Progress(
                "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                TimeRemainingColumn(), transient=True,
            )
            bar.start()
            task = bar.add_task("Scanning logs", total=total)
            self.bar, self.task = bar, task
        bar.update(task, completed=done)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def parse_since(value: str) -> float:
    """A local date (2025-01-31), an ISO time or an age (30m, 12h, 7d, 2w) as unix seconds."""
    from ...core import when

    return when.parse_since(value)  # an error names ``since``; main() says ``--since``
