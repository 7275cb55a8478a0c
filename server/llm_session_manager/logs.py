"""Where the servers log: stderr, which is their client's log of them."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable


def to_stderr(verbose: bool, keep: Callable[[logging.LogRecord], bool] | None = None) -> None:
    """Warnings and worse on stderr (everything with ``--verbose``); ``keep`` filters records."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if keep is not None:
        handler.addFilter(keep)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
