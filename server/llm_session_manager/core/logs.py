"""Where we log: stderr, which is a server's client's log of it, and what
``--verbose`` shows of any command."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable


def to_stderr(verbose: bool, keep: Callable[[logging.LogRecord], bool] | None = None) -> None:
    """Warnings and worse on stderr (everything with ``--verbose``); ``keep`` filters records.

    Called again (the CLI for ``--verbose``, then a server it starts), it keeps the
    one handler, so no line is written twice.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == _HANDLER), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    if keep is not None:
        handler.addFilter(keep)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


_HANDLER = "llm-session-stderr"
