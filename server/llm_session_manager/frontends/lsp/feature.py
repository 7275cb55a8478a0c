"""The base of every LSP feature: it registers its own handlers and hears the lifecycle.

pygls allows one handler per method, but several features care about the same
events (``initialized``, a document opened or changed, ``shutdown``); the
server owns those handlers and passes each event to every feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pygls.workspace import TextDocument

from ...core.errors import LlmSessionError
from .errors import error_response

if TYPE_CHECKING:
    from .server import SessionServer


class Feature:
    def __init__(self, server: SessionServer) -> None:
        self.server = server

    def register(self) -> None:
        """Register this feature's requests, notifications and commands (with ``on``, ``command``)."""

    def on(self, method: str, handler: Callable[[Any], Awaitable[Any]], options: Any = None) -> None:
        """Handle the LSP request or notification ``method`` with ``handler(params)``."""
        self.server.feature(method, options)(_plain(handler))

    def command(self, name: str, handler: Callable[..., Awaitable[Any]]) -> None:
        """Handle ``workspace/executeCommand`` for ``name`` with ``handler(*arguments)``."""
        self.server.command(name)(_plain(handler))

    async def initialized(self, options: dict[str, Any]) -> None:
        """The client is ready; ``options`` are its ``initializationOptions``."""

    async def document_changed(self, document: TextDocument) -> None:
        """A document was opened or edited (``document`` holds the new text)."""

    async def document_closed(self, uri: str) -> None:
        """A document was closed."""

    async def shutdown(self) -> None:
        """The client asked the server to shut down; stop background work."""


def _plain(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A plain function calling ``method``.

    pygls tags handlers with attributes, which bound methods cannot take, and
    passes command arguments through ``*args``. Our one-line errors, from bad
    params or from a service, become error responses here, at the one edge.
    """

    async def handler(*args):
        try:
            return await method(*args)
        except LlmSessionError as e:
            raise error_response(e) from None

    handler.__name__ = handler.__qualname__ = getattr(method, "__name__", "handler")
    return handler
