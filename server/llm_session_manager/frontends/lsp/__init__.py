"""The language server (``llm-session lsp``): pygls' protocol on a trio transport.

``server`` holds the thin ``LanguageServer``; ``transport`` the framing and
task structure of a connection; ``protocol`` the few places pygls' protocol
object needed trio instead of asyncio; ``features/`` one capability per module.
docs/lsp.md describes the protocol for editor-client authors.
"""

from __future__ import annotations

from .server import SessionServer, create_server, run_stdio

__all__ = ["SessionServer", "create_server", "run_stdio"]
