"""llm-session-manager: every AI coding session on this machine, in one place."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (40 M instructions)
if TYPE_CHECKING:
    from pathlib import Path

__version__ = "0.1.0"


def __getattr__(name: str) -> Path:
    """``DATA_DIR``: package data (pricing, encoding, embedding model, default config) as
    files on disk, as every install of this package has them (``importlib.resources``
    would say the same at 6 ms of imports per process). Made when first asked for
    (PEP 562): importing pathlib was most of what importing this package cost, and the
    status line's client (frontends/cli/statusline_agent) needs the package, not its data."""
    if name == "DATA_DIR":
        from pathlib import Path

        return Path(__file__).parent / "data"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
